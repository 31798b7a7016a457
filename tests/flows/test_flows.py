"""estate flows: the declaration's checks, the evidence resolvers, the report and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from infra.errors import ConfigError
from infra.flows import trace
from infra.flows.evidence import BROKEN, OK, UNDECIDABLE, matches, walk
from infra.flows.render import WIDTH, render
from infra.flows.spec import REQUIRED, SPEC_FILE, load_spec
from tests.flows.conftest import repository_plan


def _spec_copy(tmp_path: Path, change) -> Path:
    yaml = YAML()
    data = yaml.load(SPEC_FILE.read_text(encoding="utf-8"))
    change(data["flows"])
    target = tmp_path / "flows.yaml"
    with target.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return target


def test_the_declaration_has_every_required_link() -> None:
    spec = load_spec()
    assert list(spec) == ["F1", "F2", "F3", "F4", "F5", "F6", "F7"]
    for flow_id, required in REQUIRED.items():
        assert {link.id for link in spec[flow_id].links} >= set(required.links)
        assert spec[flow_id].level == required.level


def test_a_flow_cannot_pass_with_fewer_links(tmp_path: Path) -> None:
    def drop(flows) -> None:
        flows["F3"]["links"] = [x for x in flows["F3"]["links"] if x["id"] != "smoke-auth"]

    with pytest.raises(ConfigError) as err:
        load_spec(_spec_copy(tmp_path, drop))
    assert "flows.F3.links: lacks the required link(s) smoke-auth" in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "flows.yaml"))


def test_a_flow_level_cannot_be_raised_to_skip_it(tmp_path: Path) -> None:
    def raise_level(flows) -> None:
        flows["F6"]["level"] = 5

    with pytest.raises(ConfigError) as err:
        load_spec(_spec_copy(tmp_path, raise_level))
    assert "flows.F6.level: 5 differs from the level this flow starts at (3)" in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f["F1"]["links"][0].update(kind="guess"), "flows.F1.links[0].kind: 'guess' is not one of"),
        (lambda f: f["F1"]["links"][0].update(level=9), "flows.F1.links[0].level: 9 is not a maturity level"),
        (
            lambda f: f["F2"]["links"][1].update(when={"colour": "red"}),
            "flows.F2.links[1].when: filters models",
        ),
        (lambda f: f.update(F9={"level": 1, "links": []}), "flows.F9: is not a flow of the estate"),
        (lambda f: f.pop("F4"), "flows.F4: is missing"),
    ],
)
def test_bad_declarations_name_the_key(tmp_path: Path, change, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_spec(_spec_copy(tmp_path, change))
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("value", "rule", "expected"),
    [
        ("abc", "abc", True),
        (3, "3", True),
        ("abc", {"contains": "b"}, True),
        ("abc", {"contains": ["a", "z"]}, False),
        ("abc", {"not_contains": "z"}, True),
        ("https://x", {"startswith": "https://"}, True),
        ("/f/retrain_drift_event", {"endswith": "/retrain_drift_event"}, True),
        (["a", "b"], {"includes": ["b"]}, True),
        (["a"], {"includes": ["b"]}, False),
        ({"prep": 1, "train": 2}, {"keys": ["prep", "train"]}, True),
        (None, {"exists": False}, True),
        ('{"m": {"cooldownMinutes": 5}}', {"json": {"at": "m.cooldownMinutes", "expect": 5}}, True),
        ("not json", {"json": {"at": "m"}}, False),
        (["dev"], ["dev"], True),
        (["dev", "prod"], ["dev"], False),
    ],
)
def test_matches(value, rule, expected: bool) -> None:
    assert matches(value, rule) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("jobs[job=train].pool", (True, "p")),
        ("jobs[job=lint].pool", (False, None)),
        ("f.filters[key=data.RunTags.x].values.0", (True, "v")),
        ("nothing", (False, None)),
    ],
)
def test_walk(path: str, expected) -> None:
    doc = {
        "jobs": [{"job": "train", "pool": "p"}],
        "f": {"filters": [{"key": "data.RunTags.x", "values": ["v"]}]},
    }
    assert walk(doc, path) == expected


@pytest.fixture(scope="module")
def prod_report():
    return trace("prod", plan_of=repository_plan)


def test_prod_traces_every_flow_with_no_broken_link(prod_report) -> None:
    counts = prod_report.counts()
    assert counts[BROKEN] == 0
    assert prod_report.level == 5 and prod_report.claimed == 5 and prod_report.proven == 5
    traced = sorted({(f.id, f.model) for f in prod_report.flows})
    assert traced == [
        ("F1", None),
        ("F2", "churn_byom"),
        ("F2", "diabetes"),
        ("F3", "churn_byom"),
        ("F3", "diabetes"),
        ("F3", "fraud_rules"),
        ("F4", "diabetes"),
        ("F4", "fraud_rules"),
        ("F5", "diabetes"),
        ("F5", "fraud_rules"),
        ("F6", "churn_byom"),
        ("F7", "fraud_rules"),
    ]
    undecidable = sorted(
        (f.id, f.model, x.id) for f in prod_report.flows for x in f.links if x.status == UNDECIDABLE
    )
    assert undecidable == [
        ("F3", "diabetes", "build-service-may-queue-release"),
        ("F3", "diabetes", "scoring-uri-resolves"),
        ("F3", "fraud_rules", "build-service-may-queue-release"),
        ("F4", "diabetes", "reference-data-resolves"),
        ("F4", "fraud_rules", "reference-data-resolves"),
        ("F5", "diabetes", "drift-signal-emitted"),
        ("F5", "fraud_rules", "drift-signal-emitted"),
        ("F6", "churn_byom", "input-data-lands"),
    ]


def test_undecidable_links_are_never_ok_and_say_what_decides_them(prod_report) -> None:
    for flow in prod_report.flows:
        for link in flow.links:
            if link.kind == "undecidable":
                assert link.status == UNDECIDABLE and link.reason
            else:
                assert link.status == OK


def test_every_required_link_is_traced_in_prod(prod_report) -> None:
    for flow_id, required in REQUIRED.items():
        traced = {x.id for f in prod_report.flows if f.id == flow_id for x in f.links}
        # drift and schedule links apply only to the models that use them; all others are traced.
        assert traced >= set(required.links) - {"byom-artifact-datastore"}, flow_id


def test_the_report_fits_80_columns_and_is_json(prod_report) -> None:
    text = render(prod_report)
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert text.splitlines()[-1] == "12 flow traces, 129 links: 121 ✓, 0 ✗, 8 undecidable offline"
    data = json.loads(json.dumps(prod_report.to_json()))
    assert data["summary"] == {"ok": 121, "broken": 0, "undecidable": 8}


def test_the_shared_stack_has_no_flows() -> None:
    with pytest.raises(ConfigError) as err:
        trace("shared", plan_of=repository_plan)
    assert "the shared stack serves every environment and has no flows" in str(err.value)


def test_cli_unknown_stack_exits_2(capsys) -> None:
    from infra.cli import main

    assert main(["flows", "staging"]) == 2
    assert "STACK: no stack 'staging'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("stack", "level", "flows"),
    [("dev", 2, ["F1", "F2", "F7"]), ("qa", 3, ["F1", "F2", "F3", "F4", "F6", "F7"])],
)
def test_dev_and_qa_trace_their_level_with_no_broken_link(stack: str, level: int, flows: list[str]) -> None:
    report = trace(stack, plan_of=repository_plan)
    assert report.counts()[BROKEN] == 0
    assert (report.level, report.claimed) == (level, level)
    assert sorted({f.id for f in report.flows}) == flows
