"""estate promote: in-place edits (comments and format kept), refusals, exact offline diffs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from infra.cli.promote import register, run_promote
from infra.engine import PROJECT_ROOT
from infra.errors import ConfigError
from infra.promotion import prepare, render

DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with copies of the stack files (the program itself is the real one)."""
    from tests.support.project import copy_project

    return copy_project(tmp_path)


def _files(project: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(project.glob("Pulumi*.yaml"))}


def test_promote_edits_one_line_and_keeps_everything_else(project: Path) -> None:
    promotion = prepare("qa", "diabetes", "4", project_dir=project, preview_changes=False)
    assert promotion.slot == "blue" and promotion.old_version == "3"
    changed = [
        line
        for line in promotion.file_diff().splitlines()
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        '-        blue: {version: "3", traffic: 100}',
        '+        blue: {version: "4", traffic: 100}',
    ]
    before = promotion.before.splitlines()
    after = promotion.after.splitlines()
    blue = before.index('        blue: {version: "3", traffic: 100}')
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [blue]
    assert after[0].startswith("# qa: production-shaped")  # comments kept


def test_traffic_edits_both_slots_and_keeps_flow_style(project: Path) -> None:
    promotion = prepare(
        "prod",
        "diabetes",
        "4",
        slot="green",
        traffic=50,
        force=True,
        project_dir=project,
        preview_changes=False,
    )
    assert promotion.new_traffic == {"blue": 50, "green": 50}
    changed = [
        line
        for line in promotion.file_diff().splitlines()
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        '-        blue: {version: "3", traffic: 90}',
        '-        green: {version: "4", traffic: 10}',
        '+        blue: {version: "3", traffic: 50}',
        '+        green: {version: "4", traffic: 50}',
    ]


def test_rollback_restores_the_file_byte_for_byte(project: Path) -> None:
    original = (project / "Pulumi.qa.yaml").read_text()
    prepare("qa", "diabetes", "4", project_dir=project, preview_changes=False).write()
    assert (project / "Pulumi.qa.yaml").read_text() != original
    prepare("qa", "diabetes", "3", project_dir=project, preview_changes=False).write()
    assert (project / "Pulumi.qa.yaml").read_text() == original


def test_same_version_changes_nothing(project: Path) -> None:
    promotion = prepare("qa", "diabetes", "3", project_dir=project)
    assert not promotion.changed and promotion.changes == []
    assert (
        render(promotion) == "Pulumi.qa.yaml: diabetes slot blue already serves version 3; nothing to change"
    )


REFUSALS = [
    (
        ("qa", "churn", "4"),
        {},
        "MODEL: no model 'churn' in Pulumi.qa.yaml (models: diabetes, fraud_rules, churn_byom)",
    ),
    (
        ("qa", "diabetes", "4"),
        {"slot": "green"},
        "--slot: no slot 'green' for model 'diabetes' in Pulumi.qa.yaml (slots: blue)",
    ),
    (
        ("qa", "diabetes", "4"),
        {"traffic": 101},
        "--traffic: 101 is out of range; traffic is a percentage 0-100",
    ),
    (
        ("qa", "diabetes", "4"),
        {"traffic": -1},
        "--traffic: -1 is out of range; traffic is a percentage 0-100",
    ),
    (
        ("qa", "diabetes", "4"),
        {"traffic": 50},
        "--traffic: 50 for the only slot 'blue'; a single slot takes all traffic (100)",
    ),
    (("qa", "diabetes", "latest"), {}, "VERSION: 'latest' is not an explicit registry version"),
    (("qa", "diabetes", ""), {}, "VERSION: empty version; pin an explicit registry version"),
    (("staging", "diabetes", "4"), {}, "STACK: no stack 'staging' (stacks: shared, dev, qa, prod)"),
    (
        ("prod", "diabetes", "4"),
        {},
        "VERSION: qa does not run diabetes 4 (qa runs: 3); promote it in qa first, or pass --force",
    ),
    (
        ("shared", "diabetes", "4"),
        {},
        "Pulumi.shared.yaml: the stack serves no models (no mlops-estate:models)",
    ),
]


@pytest.mark.parametrize(("argv", "options", "message"), REFUSALS, ids=[m[:30] for _, _, m in REFUSALS])
def test_refusals_write_nothing(
    project: Path, argv: tuple[str, str, str], options: dict, message: str
) -> None:
    before = _files(project)
    with pytest.raises(ConfigError) as err:
        run_promote(*argv, project_dir=project, **options)
    assert str(err.value).startswith(message)
    assert _files(project) == before


@pytest.mark.slow  # previews the real stacks before and after
def test_a_version_the_registry_does_not_have_is_refused(project: Path) -> None:
    before = _files(project)
    with pytest.raises(ConfigError) as err:
        run_promote("qa", "diabetes", "41", project_dir=project)
    assert str(err.value).startswith(
        "Pulumi.qa.yaml: mlops-estate:models.diabetes.deployments.blue.version: version '41' of model 'diabetes' "
        "is not in registry "
    )
    assert str(err.value).endswith("(known: 1, 2, 3, 4)")
    assert _files(project) == before


@pytest.mark.slow  # previews the real stacks before and after
def test_qa_then_prod_and_the_offline_diff_touches_only_the_slot(project: Path) -> None:
    output = run_promote("qa", "diabetes", "4", project_dir=project)
    lines = output.splitlines()
    at = lines.index("Offline diff of qa (diabetes 3 -> 4 in slot blue):")
    assert lines[at + 1] == "  ~  update  OnlineDeployment model-diabetes-blue"
    assert lines[at + 2].startswith("        ~ properties.model: ")
    assert lines[at + 3] == f"wrote Pulumi.qa.yaml in {project}"
    promotion = prepare("prod", "diabetes", "4", project_dir=project)  # qa runs 4 now: allowed
    assert [(c["action"], c["urn"].rsplit("::", 1)[-1], c["paths"]) for c in promotion.changes] == [
        ("update", "model-diabetes-blue", ["properties.model"])
    ]


@pytest.mark.slow  # previews the real stacks before and after
def test_a_traffic_shift_changes_only_the_traffic_resource(project: Path) -> None:
    promotion = prepare("prod", "diabetes", "4", slot="green", traffic=30, project_dir=project, force=True)
    assert [
        (c["action"], c["type"], c["urn"].rsplit("::", 1)[-1], c["paths"]) for c in promotion.changes
    ] == [
        (
            "update",
            "pulumi-python:dynamic:Resource",
            "model-diabetes-traffic",
            ["traffic.blue", "traffic.green"],
        )
    ]


@pytest.mark.slow  # previews the real stacks before and after
def test_cli_command(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)  # the CLI works on the project of the working directory, as pulumi does
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Test root."""

    result = CliRunner().invoke(app, ["promote", "qa", "diabetes", "4"])
    assert result.exit_code == 0, result.output
    assert "--- a/Pulumi.qa.yaml\n+++ b/Pulumi.qa.yaml\n" in result.output
    assert 'blue: {version: "4", traffic: 100}' in (project / "Pulumi.qa.yaml").read_text()


def test_cli_refusal_is_a_config_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)  # the CLI works on the project of the working directory, as pulumi does
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """Test root."""

    refused = CliRunner().invoke(app, ["promote", "qa", "diabetes", "4", "--slot", "red"])
    assert isinstance(refused.exception, ConfigError)
    assert (
        str(refused.exception) == "--slot: no slot 'red' for model 'diabetes' in Pulumi.qa.yaml (slots: blue)"
    )


@pytest.mark.slow  # previews the real shared and qa stacks
def test_preview_of_a_version_typo_exits_2(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.cli import main

    qa = project / "Pulumi.qa.yaml"
    qa.write_text(
        qa.read_text().replace('blue: {version: "3", traffic: 100}', 'blue: {version: "31", traffic: 100}')
    )
    monkeypatch.chdir(project)
    assert main(["preview", "qa", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: Pulumi.qa.yaml: mlops-estate:models.diabetes.deployments.blue.version: "
        "version '31' of model 'diabetes' is not in registry "
    )
    assert err.rstrip().endswith("(known: 1, 2, 3, 4)")


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the registry catalog the promotion may edit."""
    from infra.catalog import CATALOG_RELATIVE

    path = tmp_path / "registry-catalog.yaml"
    shutil.copy(PROJECT_ROOT / CATALOG_RELATIVE, path)
    monkeypatch.setenv("ESTATE_REGISTRY_CATALOG", str(path))
    return path


def test_record_adds_the_new_version_to_the_catalog(project: Path, catalog: Path) -> None:
    before = catalog.read_text()
    promotion = prepare("qa", "diabetes", "5", project_dir=project, preview_changes=False, record=True)
    changed = [
        line
        for line in promotion.file_diff().splitlines()
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        '-        blue: {version: "3", traffic: 100}',
        '+        blue: {version: "5", traffic: 100}',
        '-  diabetes: ["1", "2", "3", "4"]',
        '+  diabetes: ["1", "2", "3", "4", "5"]',
    ]
    assert catalog.read_text() == before  # nothing written yet
    promotion.write()
    assert catalog.read_text() == before.replace(
        'diabetes: ["1", "2", "3", "4"]', 'diabetes: ["1", "2", "3", "4", "5"]'
    )
    assert 'blue: {version: "5", traffic: 100}' in (project / "Pulumi.qa.yaml").read_text()


def test_record_of_a_known_version_leaves_the_catalog(project: Path, catalog: Path) -> None:
    promotion = prepare("qa", "diabetes", "4", project_dir=project, preview_changes=False, record=True)
    assert promotion.catalog_after == promotion.catalog_before == catalog.read_text()


@pytest.mark.slow  # previews the real shared and qa stacks
def test_record_lets_a_just_registered_version_preview(project: Path, catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"version '5' of model 'diabetes' is not in registry "):
        run_promote("qa", "diabetes", "5", project_dir=project)
    output = run_promote("qa", "diabetes", "5", project_dir=project, record=True)
    lines = output.splitlines()
    at = lines.index("  ~  update  OnlineDeployment model-diabetes-blue")
    assert lines[at + 1].startswith("        ~ properties.model: ")
    assert "versions/5" in lines[at + 1] or "versions/5" in lines[at + 2]
    assert '"5"]' in catalog.read_text()


def test_record_with_the_model_type_records_it(project: Path, catalog: Path) -> None:
    from infra.catalog import load_catalog

    promotion = prepare(
        "qa",
        "diabetes",
        "5",
        project_dir=project,
        preview_changes=False,
        record=True,
        model_type="custom_model",
    )
    promotion.write()
    assert 'diabetes: ["1", "2", "3", "4", {version: "5", type: custom_model}]' in catalog.read_text()
    assert load_catalog(catalog).model_type("diabetes", "5") == "custom_model"
    assert load_catalog(catalog).model_type("diabetes", "4") is None  # recorded before types were


@pytest.mark.parametrize(
    ("record", "model_type", "message"),
    [
        (True, "sklearn", "--model-type: 'sklearn' is not one of custom_model, mlflow_model, triton_model"),
        (
            False,
            "mlflow_model",
            "--model-type: is recorded with --record only (the version was just registered)",
        ),
    ],
)
def test_a_bad_model_type_writes_nothing(
    project: Path, catalog: Path, record: bool, model_type: str, message: str
) -> None:
    before = catalog.read_text(), _files(project)
    with pytest.raises(ConfigError) as err:
        prepare(
            "qa",
            "diabetes",
            "4",
            project_dir=project,
            preview_changes=False,
            record=record,
            model_type=model_type,
        )
    assert str(err.value) == message
    assert (catalog.read_text(), _files(project)) == before
