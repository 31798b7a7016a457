"""The registry catalog records each version's model type where the registering step knew it;
entries recorded before types were stay valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.catalog import load_catalog, record_version
from infra.engine.answers.common import ResourceContext
from infra.errors import ConfigError


def _catalog(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry-catalog.yaml"
    path.write_text(text)
    return path


def test_typed_and_untyped_entries_load(tmp_path: Path) -> None:
    catalog = load_catalog(
        _catalog(
            tmp_path,
            'models:\n  m: ["1", 2, {version: "3", type: mlflow_model}, {version: 4, type: triton_model}]\n',
        )
    )
    assert catalog.versions("m") == ("1", "2", "3", "4")
    assert [catalog.model_type("m", v) for v in ("1", "2", "3", "4")] == [
        None,
        None,
        "mlflow_model",
        "triton_model",
    ]
    assert catalog.model_type("other", "1") is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            '{version: "3", type: sklearn}',
            "registry-catalog.yaml: models.m[1].type: type 'sklearn' is not one of custom_model, mlflow_model, "
            "triton_model",
        ),
        (
            '{version: "3"}',
            'registry-catalog.yaml: models.m[1]: expected a version ("3") or {version: "3", type: '
            "<custom_model|mlflow_model|triton_model>} (got {'version': '3'})",
        ),
        (
            "true",
            'registry-catalog.yaml: models.m[1]: expected a version ("3") or {version: "3", type: '
            "<custom_model|mlflow_model|triton_model>} (got True)",
        ),
    ],
)
def test_a_bad_entry_is_one_line_naming_it(tmp_path: Path, entry: str, message: str) -> None:
    path = _catalog(tmp_path, f'models:\n  m: ["1", {entry}]\n')
    with pytest.raises(ConfigError) as err:
        load_catalog(path)
    assert str(err.value).endswith(message)
    assert "\n" not in str(err.value)


def test_record_version_records_the_type_in_flow_style(tmp_path: Path) -> None:
    path = _catalog(tmp_path, '# registered versions only\nmodels:\n  mdl: ["1"]  # first\n')
    assert record_version("mdl", "2", path, model_type="mlflow_model") is True
    assert record_version("fresh", "1", path, model_type="custom_model") is True
    assert record_version("mdl", "2", path, model_type="mlflow_model") is False
    assert path.read_text() == (
        "# registered versions only\n"
        "models:\n"
        '  mdl: ["1", {version: "2", type: mlflow_model}] # first\n'
        '  fresh: [{version: "1", type: custom_model}]\n'
    )
    assert load_catalog(path).model_type("mdl", "2") == "mlflow_model"


def test_record_version_refuses_an_unknown_type(tmp_path: Path) -> None:
    path = _catalog(tmp_path, "models: {}\n")
    with pytest.raises(ConfigError) as err:
        record_version("mdl", "1", path, model_type="sklearn")
    assert str(err.value) == "MODEL_TYPE: 'sklearn' is not one of custom_model, mlflow_model, triton_model"
    assert path.read_text() == "models: {}\n"


def test_the_offline_lookup_reports_the_recorded_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.engine.answers.serving import _registry_model_version

    path = _catalog(tmp_path, 'models:\n  m: ["1", {version: "2", type: mlflow_model}]\n')
    monkeypatch.setenv("ESTATE_REGISTRY_CATALOG", str(path))

    token = "azure-native:machinelearningservices:RegistryModelVersion"
    ctx = ResourceContext(
        token=token,
        logical_name="m",
        urn=f"urn:pulumi:dev::p::{token}::m",
        inputs={},
        subscription_id="sub",
        tenant_id="tenant",
        location="westeurope",
    )
    args = {"modelName": "m", "registryName": "r", "resourceGroupName": "rg"}
    typed = _registry_model_version({**args, "version": "2"}, ctx)
    untyped = _registry_model_version({**args, "version": "1"}, ctx)
    assert typed["properties"]["modelType"] == "mlflow_model"
    assert "modelType" not in untyped["properties"]
