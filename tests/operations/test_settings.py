"""Operations settings: maturity claims versus enabled components, and the retraining,
monitoring, Databricks and Data Factory cross-checks (each fails naming file and key)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from infra.errors import ConfigError
from infra.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
NS = "mlops-estate"


def stack_config(stack: str) -> dict[str, Any]:
    """The stack file's config as Python values (``mlops-estate:<key>`` → value)."""
    return dict(YAML(typ="safe").load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"])


def load(stack: str, config: dict[str, Any]):
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    return load_settings(raw, project="mlops-estate", stack=stack)


def error(stack: str, change) -> ConfigError:
    config = copy.deepcopy(stack_config(stack))
    change(config)
    with pytest.raises(ConfigError) as caught:
        load(stack, config)
    return caught.value


def at(e: ConfigError, stack: str, key: str) -> bool:
    """The message starts with the file and the key path."""
    return str(e).startswith(f"Pulumi.{stack}.yaml: {NS}:{key}: ")


def test_committed_stacks_claim_levels_2_3_5():
    levels = {s: load(s, stack_config(s)).settings.maturity_level for s in ("dev", "qa", "prod")}
    assert levels == {"dev": 2, "qa": 3, "prod": 5}
    prod = load("prod", stack_config("prod")).settings
    assert prod.retraining.enabled and prod.monitoring.model_monitoring
    triggers = prod.retraining.models["diabetes"]
    assert (triggers.schedule, triggers.new_data, triggers.drift) == ("0 0 2 * * 1", True, True)
    assert prod.databricks.enabled and prod.data_factory.enabled
    dev = load("dev", stack_config("dev")).settings
    assert (dev.monitoring.enabled, dev.retraining.enabled, dev.databricks.enabled) == (False, False, False)


def _retraining(config: dict[str, Any], **triggers: Any) -> None:
    config[f"{NS}:retraining"] = {
        "enabled": True,
        "trainPipeline": {
            "organizationUrl": "https://dev.azure.com/contoso",
            "project": "p",
            "definitionId": 3,
        },
        "models": {"diabetes": triggers},
    }


def test_level_5_without_drift_retraining_is_an_error():
    def change(c):
        _retraining(c, newData=True)

    e = error("prod", change)
    assert at(e, "prod", "maturityLevel")
    assert "level 5 includes monitoring-driven retraining" in str(e)


def test_level_4_without_new_data_is_an_error():
    def change(c):
        c[f"{NS}:maturityLevel"] = 4
        c[f"{NS}:monitoring"] = {"alertEmails": ["a@contoso.com"]}
        _retraining(c, schedule="0 0 2 * * 1")

    e = error("prod", change)
    assert at(e, "prod", "maturityLevel") and "level 4 includes retraining when new data arrives" in str(e)


def test_retraining_at_level_3_is_an_error():
    e = error("qa", lambda c: _retraining(c, newData=True))
    assert at(e, "qa", "retraining.enabled")
    assert "belongs to maturity level 4" in str(e) and "maturityLevel is 3" in str(e)


def test_drift_at_level_4_is_an_error():
    def change(c):
        c[f"{NS}:maturityLevel"] = 4
        _retraining(c, newData=True, drift=True)

    e = error("prod", change)
    assert at(e, "prod", "retraining.models.diabetes.drift") and "maturity level 5" in str(e)


def test_model_monitoring_below_level_5_is_an_error():
    e = error("qa", lambda c: c[f"{NS}:monitoring"].update(modelMonitoring=True))
    assert at(e, "qa", "monitoring.modelMonitoring") and "maturityLevel is 3" in str(e)


def test_drift_needs_model_monitoring():
    e = error("prod", lambda c: c[f"{NS}:monitoring"].update(modelMonitoring=False))
    assert at(e, "prod", "retraining.models.diabetes.drift") and "monitoring.modelMonitoring" in str(e)


def test_retraining_queues_the_shared_stacks_train_pipeline_by_default():
    from tests.support.template import Template

    shared = Template.from_stack("shared")
    train_id = str(shared.has_output("devopsPipelineIds")["train"])
    app = Template.from_stack("prod").has_resource_properties(
        "azure-native:web:WebApp", {"kind": "functionapp,linux"}
    )
    settings = {s["name"]: s["value"] for s in app["inputs"]["siteConfig"]["appSettings"]}
    assert settings["ADO_TRAIN_PIPELINE_ID"] == train_id
    assert settings["ADO_ORGANIZATION_URL"] == shared.has_output("devopsOrganizationUrl")
    assert settings["ADO_PROJECT"] == shared.has_output("devopsProjectName") == "mlops-estate"


def test_retraining_unknown_model():
    e = error("prod", lambda c: c[f"{NS}:retraining"]["models"].update(churn={"newData": True}))
    assert at(e, "prod", "retraining.models.churn") and "no model 'churn'" in str(e)


def test_landing_prefix_without_new_data():
    def change(c):
        c[f"{NS}:retraining"]["models"]["diabetes"] = {
            "drift": True,
            "schedule": None,
            "landingPrefix": "in/",
        }

    e = error("prod", change)
    assert at(e, "prod", "retraining.models.diabetes.landingPrefix")


def test_schedule_must_have_six_fields():
    e = error("prod", lambda c: c[f"{NS}:retraining"]["models"]["diabetes"].update(schedule="0 2 * * 1"))
    assert at(e, "prod", "retraining.models.diabetes.schedule") and "6-field NCRONTAB" in str(e)


def test_data_factory_needs_databricks():
    e = error("prod", lambda c: c[f"{NS}:databricks"].update(enabled=False))
    assert at(e, "prod", "dataFactory.enabled") and "enable databricks" in str(e)


def test_databricks_needs_its_subnets():
    e = error("prod", lambda c: c[f"{NS}:network"]["subnets"].pop("databricksPublic"))
    assert at(e, "prod", "network.subnets") and "databricksPublic" in str(e)


def test_batch_models_need_the_repository_url():
    def change(c):
        c[f"{NS}:databricks"].pop("repositoryUrl")
        c[f"{NS}:models"]["churn_byom"] = {
            "kind": "ml",
            "serving": "batch",
            "deployments": {"main": {"version": "1", "traffic": 100}},
        }

    e = error("prod", change)
    assert at(e, "prod", "databricks.repositoryUrl") and "churn_byom" in str(e)


def test_alert_email_must_be_an_address():
    e = error("qa", lambda c: c[f"{NS}:monitoring"].update(alertEmails=["oncall"]))
    assert at(e, "qa", "monitoring.alertEmails") and "'oncall' is not an e-mail address" in str(e)


def test_monitor_task_type_of_an_unknown_model():
    e = error("prod", lambda c: c[f"{NS}:monitoring"].update(taskTypes={"churn": "Regression"}))
    assert at(e, "prod", "monitoring.taskTypes.churn") and "no model 'churn'" in str(e)


def test_monitor_task_type_must_be_classification_or_regression():
    e = error("prod", lambda c: c[f"{NS}:monitoring"].update(taskTypes={"diabetes": "Forecasting"}))
    assert at(e, "prod", "monitoring.taskTypes.diabetes")
