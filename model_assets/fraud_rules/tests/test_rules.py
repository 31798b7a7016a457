"""The rules engine: rules.yaml validation, transaction validation, scoring."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parents[1] / "rules" / "rules.yaml"
CLEAN = {
    "amount": 42.5,
    "account_age_days": 900,
    "txn_count_24h": 1,
    "country_mismatch": False,
    "hour": 14,
    "merchant_category": "grocery",
}


@pytest.fixture(scope="module")
def engine(src):
    return src("rules_engine")


@pytest.fixture(scope="module")
def rules(engine):
    return engine.load_rules(RULES)


def test_shipped_rules_load(rules) -> None:
    assert (rules.name, rules.version, rules.threshold) == ("fraud_rules", "1.0.0", 0.6)
    assert [r.id for r in rules.rules] == [
        "high_amount",
        "new_account_spend",
        "velocity",
        "country_mismatch",
        "night_time",
        "risky_merchant",
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {"fraud": False, "score": 0.0, "rules": []}),
        ({"amount": 2500.0}, {"fraud": False, "score": 0.4, "rules": ["high_amount"]}),
        (
            {"amount": 2500.0, "country_mismatch": True},
            {"fraud": True, "score": 0.7, "rules": ["high_amount", "country_mismatch"]},
        ),
        (
            {"amount": 600.0, "account_age_days": 3},
            {"fraud": False, "score": 0.5, "rules": ["new_account_spend"]},
        ),
        (
            {"amount": 600.0, "account_age_days": 3, "hour": 2},
            {"fraud": True, "score": 0.6, "rules": ["new_account_spend", "night_time"]},
        ),
        (
            {
                "amount": 9000.0,
                "account_age_days": 1,
                "txn_count_24h": 30,
                "country_mismatch": True,
                "hour": 0,
                "merchant_category": "crypto",
            },
            {
                "fraud": True,
                "score": 1.0,
                "rules": [
                    "high_amount",
                    "new_account_spend",
                    "velocity",
                    "country_mismatch",
                    "night_time",
                    "risky_merchant",
                ],
            },
        ),
    ],
)
def test_scores(engine, rules, changes: dict, expected: dict) -> None:
    assert engine.score(rules, engine.check_transaction(dict(CLEAN, **changes), rules.schema)) == expected


@pytest.mark.parametrize(
    ("row", "problems"),
    [
        ([1, 2], ["must be an object keyed by field name"]),
        ({k: v for k, v in CLEAN.items() if k != "hour"}, ["missing 'hour'"]),
        (dict(CLEAN, extra=1), ["unknown 'extra'"]),
        (dict(CLEAN, amount=-1), ["amount: -1 is outside [0, 1000000]"]),
        (dict(CLEAN, hour=3.5), ["hour: 3.5 is not an integer"]),
        (dict(CLEAN, amount="lots"), ["amount: 'lots' is not a finite number"]),
        (dict(CLEAN, country_mismatch="yes"), ["country_mismatch: 'yes' is not true/false"]),
        (
            dict(CLEAN, merchant_category="casino"),
            [
                "merchant_category: 'casino' is not one of "
                "['grocery', 'travel', 'electronics', 'gambling', 'crypto', "
                "'gift_cards', 'other']"
            ],
        ),
    ],
)
def test_invalid_transactions(engine, rules, row, problems: list[str]) -> None:
    with pytest.raises(engine.InvalidTransaction) as info:
        engine.check_transaction(row, rules.schema)
    assert info.value.problems == problems


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("threshold"), "threshold: required key is missing"),
        (lambda d: d.update(threshold=1.5), "threshold: 1.5 must be a number in (0, 1]"),
        (lambda d: d["rules"][1].update(id="high_amount"), "rules[1].id: 'high_amount' is used twice"),
        (lambda d: d["rules"][0].update(weight=0), "rules[0].weight: 0 must be a number in (0, 1]"),
        (lambda d: d["rules"][0].update(when={"amt": {"gt": 1}}), "rules[0].when.amt: not a schema field"),
        (
            lambda d: d["rules"][0].update(when={"amount": {"approx": 1}}),
            "rules[0].when.amount: operators must be",
        ),
        (lambda d: d["schema"]["hour"].update(type="time"), "schema.hour.type: must be one of"),
    ],
)
def test_malformed_rules_name_the_key(engine, tmp_path: Path, edit, message: str) -> None:
    data = yaml.safe_load(RULES.read_text())
    edit(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(
        engine.RulesError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        engine.load_rules(path)
