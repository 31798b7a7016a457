"""The champion is the version with the most traffic in the target stack's config."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import ConfigError
from model_assets import champion

STACK = """\
# prod stack
config:
  mlops-estate:environment: prod
  mlops-estate:models:
    diabetes:
      kind: ml
      serving: online
      deployments:
        blue:  {version: "3", traffic: 90}
        green: {version: "4", traffic: 10, instanceType: Standard_DS3_v2, instanceCount: 2}
      mirrorTraffic: {green: 0}
    fraud_rules:
      kind: rule-based
      serving: online
      deployments:
        blue: {version: "2", traffic: 50}
        green: {version: "5", traffic: 50}
    churn_byom:
      kind: ml
      serving: batch
      deployments: {}
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.prod.yaml").write_text(STACK)
    return tmp_path


def test_most_traffic_wins(project: Path) -> None:
    assert champion.champion_version("prod", "diabetes", project) == "3"


def test_tie_goes_to_the_first_slot_in_file_order(project: Path) -> None:
    assert champion.champion_version("prod", "fraud_rules", project) == "2"


def test_no_deployments_means_no_champion(project: Path) -> None:
    assert champion.champion_version("prod", "churn_byom", project) is None


def test_model_entry_reads_kind_serving_and_slots(project: Path) -> None:
    entry = champion.model_entry("prod", "diabetes", project)
    assert (entry.kind, entry.serving) == ("ml", "online")
    assert entry.deployments == {"blue": ("3", 90), "green": ("4", 10)}


def test_unknown_model_is_a_config_error(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        champion.champion_version("prod", "churn", project)
    assert info.value.key == "config.mlops-estate:models.churn"
    assert "models there: churn_byom, diabetes, fraud_rules" in str(info.value)


def test_unknown_stack_is_a_config_error(project: Path) -> None:
    with pytest.raises(ConfigError, match="stack 'qa' does not exist"):
        champion.champion_version("qa", "diabetes", project)


@pytest.mark.parametrize(
    ("slot", "key"),
    [
        ("{version: latest, traffic: 100}", "blue.version"),
        ('{version: "3", traffic: 120}', "blue.traffic"),
        ("{traffic: 100}", "blue"),
    ],
)
def test_bad_slot_is_a_config_error(tmp_path: Path, slot: str, key: str) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  mlops-estate:models:\n    diabetes:\n      deployments:\n        blue: " + slot + "\n"
    )
    with pytest.raises(ConfigError) as info:
        champion.champion_version("dev", "diabetes", tmp_path)
    assert info.value.key == f"config.mlops-estate:models.diabetes.deployments.{key}"


def test_stack_without_models_and_bad_names(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  mlops-estate:environment: qa\n")
    with pytest.raises(ConfigError, match="declares no models"):
        champion.champion_version("qa", "diabetes", tmp_path)
    with pytest.raises(ConfigError, match="model name 'Bad-Name'"):
        champion.champion_version("qa", "Bad-Name", tmp_path)
    with pytest.raises(ConfigError, match="stack name"):
        champion.champion_version("../etc", "diabetes", tmp_path)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("ab", True),
        ("diabetes", True),
        ("churn_byom", True),
        ("x" * 31, True),
        ("a", False),
        ("x" * 32, False),
        ("1x", False),
        ("a-b", False),
        ("Ab", False),
    ],
)
def test_model_name_rule_is_the_stack_files_rule(name: str, ok: bool) -> None:
    # infra.settings.models.MODEL_NAME: a lower-case letter, then 1-30 of [a-z0-9_].
    assert bool(champion.MODEL_NAME.fullmatch(name)) is ok
