"""App settings validation: every error names the setting, the bad value and what is allowed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from retrain.errors import SettingsError
from retrain.settings import load_settings, parse_models


def test_valid_settings_are_normalized(environ: dict[str, str]) -> None:
    environ["RETRAIN_STATE_ACCOUNT_URL"] = "https://stmlopsdevretrain.blob.core.windows.net"
    environ["ADO_ORGANIZATION_URL"] = "https://dev.azure.com/contoso-ml/"
    s = load_settings(environ)
    assert s.state_account_url == "https://stmlopsdevretrain.blob.core.windows.net/"
    assert s.ado_organization_url == "https://dev.azure.com/contoso-ml"
    assert (s.ado_project, s.ado_pipeline_id, s.environment, s.state_container) == (
        "mlops estate",
        17,
        "dev",
        "retrain-state",
    )
    assert sorted(s.models) == ["churn", "demand", "fraud", "returns"]
    churn = s.models["churn"]
    assert churn.schedule is not None and churn.schedule.expression == "0 0 2 * * *"
    assert churn.new_data is not None
    assert (churn.new_data.container, churn.new_data.prefix) == ("landing-churn", "daily/")
    assert churn.drift is True and churn.cooldown == timedelta(days=1)
    fraud = s.models["fraud"]
    assert [fraud.trigger_enabled(k) for k in ("schedule", "newData", "drift")] == [False, True, False]


def test_defaults_for_omitted_triggers_and_cooldown() -> None:
    models = parse_models('{"m1": {"triggers": {"drift": true}}}')
    m = models["m1"]
    assert (m.schedule, m.new_data, m.drift, m.cooldown) == (None, None, True, timedelta(minutes=1440))


def test_visualstudio_organization_url(environ: dict[str, str]) -> None:
    environ["ADO_ORGANIZATION_URL"] = "https://contoso-ml.visualstudio.com/"
    assert load_settings(environ).ado_organization_url == "https://contoso-ml.visualstudio.com"


@pytest.mark.parametrize(
    "name",
    [
        "RETRAIN_MODELS",
        "RETRAIN_STATE_ACCOUNT_URL",
        "RETRAIN_STATE_CONTAINER",
        "ADO_ORGANIZATION_URL",
        "ADO_PROJECT",
        "ADO_TRAIN_PIPELINE_ID",
        "ENVIRONMENT",
    ],
)
def test_missing_setting_is_named(environ: dict[str, str], name: str) -> None:
    del environ[name]
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    assert caught.value.key == name
    assert str(caught.value) == f"{name}: is not set; the infrastructure must set this app setting"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENVIRONMENT", "staging", "ENVIRONMENT: 'staging' is not an environment; allowed: dev, qa, prod"),
        ("ADO_TRAIN_PIPELINE_ID", "train", "ADO_TRAIN_PIPELINE_ID: 'train' is not a pipeline id"),
        ("ADO_TRAIN_PIPELINE_ID", "0", "ADO_TRAIN_PIPELINE_ID: '0' is not a pipeline id"),
        (
            "RETRAIN_STATE_CONTAINER",
            "Retrain_State",
            "RETRAIN_STATE_CONTAINER: 'Retrain_State' is not a blob container name",
        ),
        (
            "RETRAIN_STATE_ACCOUNT_URL",
            "http://stmlopsdevretrain.blob.core.windows.net/",
            "RETRAIN_STATE_ACCOUNT_URL: 'http://stmlopsdevretrain.blob.core.windows.net/' is not a blob endpoint",
        ),
        (
            "RETRAIN_STATE_ACCOUNT_URL",
            "https://stmlopsdevretrain.blob.core.windows.net/?sv=2024-11-04&sig=abc",
            "RETRAIN_STATE_ACCOUNT_URL: carries a key or SAS token",
        ),
        (
            "RETRAIN_STATE_ACCOUNT_URL",
            "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc==",
            "RETRAIN_STATE_ACCOUNT_URL: carries a key or SAS token",
        ),
        (
            "ADO_ORGANIZATION_URL",
            "https://dev.azure.com/contoso-ml/mlops",
            "ADO_ORGANIZATION_URL: 'https://dev.azure.com/contoso-ml/mlops' is not an Azure DevOps organization URL",
        ),
        ("ADO_PROJECT", "ml/ops", "ADO_PROJECT: 'ml/ops' is not an Azure DevOps project name"),
        ("ADO_PROJECT", "_mlops", "ADO_PROJECT: '_mlops' is not an Azure DevOps project name"),
        (
            "RETRAIN_MODELS",
            "{churn: 1}",
            "RETRAIN_MODELS: is not valid JSON (Expecting property name enclosed",
        ),
        (
            "RETRAIN_MODELS",
            "{}",
            "RETRAIN_MODELS: must be a non-empty JSON object of model name -> settings, got {}",
        ),
        ("RETRAIN_MODELS", "[1]", "RETRAIN_MODELS: must be a non-empty JSON object"),
        (
            "AzureWebJobsStorage",
            "DefaultEndpointsProtocol=https;AccountName=stfunc;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net",
            "AzureWebJobsStorage: holds a key-based connection string; use identity-based settings",
        ),
    ],
)
def test_bad_setting_is_named(environ: dict[str, str], name: str, value: str, message: str) -> None:
    environ[name] = value
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    assert caught.value.key == name
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("models", "key", "message"),
    [
        ({"churn model": {"triggers": {}}}, "RETRAIN_MODELS", "model name 'churn model' is not allowed"),
        (
            {"churn": []},
            "RETRAIN_MODELS.churn",
            "must be an object with 'triggers' and 'cooldownMinutes', got []",
        ),
        ({"churn": {"cooldownMinutes": 5}}, "RETRAIN_MODELS.churn", "has no 'triggers' object"),
        (
            {"churn": {"triggers": {}, "cooldown": 5}},
            "RETRAIN_MODELS.churn",
            "unknown key(s) cooldown; allowed: triggers, cooldownMinutes",
        ),
        (
            {"churn": {"triggers": {"drfit": True}}},
            "RETRAIN_MODELS.churn.triggers",
            "unknown key(s) drfit; allowed: schedule, newData, drift",
        ),
        (
            {"churn": {"triggers": {"drift": "yes"}}},
            "RETRAIN_MODELS.churn.triggers.drift",
            '"yes" is not allowed; allowed: true or false',
        ),
        (
            {"churn": {"triggers": {}, "cooldownMinutes": 0}},
            "RETRAIN_MODELS.churn.cooldownMinutes",
            "0 is not allowed; allowed: an integer number of minutes, 1-525600",
        ),
        (
            {"churn": {"triggers": {}, "cooldownMinutes": True}},
            "RETRAIN_MODELS.churn.cooldownMinutes",
            "true is not allowed",
        ),
        (
            {"churn": {"triggers": {}, "cooldownMinutes": 90.5}},
            "RETRAIN_MODELS.churn.cooldownMinutes",
            "90.5 is not allowed",
        ),
        (
            {"churn": {"triggers": {"schedule": "0 2 * * *"}}},
            "RETRAIN_MODELS.churn.triggers.schedule",
            "'0 2 * * *' is not a valid NCRONTAB expression: '0 2 * * *' has 5 fields; NCRONTAB needs 6",
        ),
        (
            {"churn": {"triggers": {"schedule": 2}}},
            "RETRAIN_MODELS.churn.triggers.schedule",
            "2 is not allowed; allowed: an NCRONTAB string or null",
        ),
        (
            {"churn": {"triggers": {"newData": "landing"}}},
            "RETRAIN_MODELS.churn.triggers.newData",
            '"landing" is not allowed; allowed: null or',
        ),
        (
            {"churn": {"triggers": {"newData": {"prefix": "a/"}}}},
            "RETRAIN_MODELS.churn.triggers.newData.container",
            "null is not a container name",
        ),
        (
            {"churn": {"triggers": {"newData": {"container": "Landing"}}}},
            "RETRAIN_MODELS.churn.triggers.newData.container",
            "'Landing' is not a blob container name",
        ),
        (
            {"churn": {"triggers": {"newData": {"container": "landing", "prefix": "/a"}}}},
            "RETRAIN_MODELS.churn.triggers.newData.prefix",
            '"/a" is not allowed',
        ),
        (
            {"churn": {"triggers": {"newData": {"container": "landing", "path": "a"}}}},
            "RETRAIN_MODELS.churn.triggers.newData",
            "unknown key(s) path; allowed: container, prefix",
        ),
    ],
)
def test_bad_model_settings_name_the_key_path(
    environ: dict[str, str], models: dict, key: str, message: str
) -> None:
    environ["RETRAIN_MODELS"] = json.dumps(models)
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: {message}")
