"""A configuration error found while the program runs is one line and exit 2, under the
out-of-process program too: checked before the first child where the value is known, and
raised as the program-config error (a ``pulumi.RunError``) where it is only known in an apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pulumi
import pytest

from components.serving.model_assets import ModelAssets, ModelAssetsArgs
from infra.cli import main
from infra.errors import ConfigError
from tests.support.project import copy_project
from tests.support.template import Template

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WS_ID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-dev"
MESSAGE = (
    "tests/model_assets/fixtures/scorer/azureml/batch-deployment.yml: line 10: compute: 'cpu-cluster' is not "
    "a compute of this stack; write compute: azureml:cpu-training"
)


@pytest.fixture(autouse=True)
def _fixture_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESTATE_REGISTRY_CATALOG", str(FIXTURES / "registry-catalog.yaml"))


def _scorer(**extra: Any) -> ModelAssetsArgs:
    args: dict[str, Any] = {
        "model": "scorer",
        "serving": "batch",
        "endpoint_name": "scorer-dev-ab12",
        "resource_group_name": "rg",
        "workspace_name": "mlw-dev",
        "workspace_id": WS_ID,
        "location": "westeurope",
        "registry_name": "mlr-shared",
        "registry_resource_group_name": "rg-shared",
        "deployments": {"blue": {"version": "1", "traffic": 100}},
        "batch_compute_id": f"{WS_ID}/computes/cpu-training",
        "spec_root": str(FIXTURES),
        **extra,
    }
    return cast(ModelAssetsArgs, args)  # extras may be wrong on purpose: the component checks them


def test_a_known_cluster_name_refuses_the_spec_before_any_child() -> None:
    registered: list[str] = []

    def program() -> None:
        try:
            ModelAssets("model-scorer", _scorer(batch_compute_name="cpu-training"))
        except ConfigError as exc:
            registered.append(str(exc))

    t = Template.from_function(program)
    assert registered == [MESSAGE]
    assert [r["type"] for r in t.resources if r["type"] != "pulumi:pulumi:Stack"] == [
        "mlops:model_assets:ModelAssets"
    ]  # the component itself, no child


def test_only_known_by_id_it_is_raised_in_the_apply_as_a_run_error() -> None:
    with pytest.raises(ConfigError) as err:
        Template.from_function(lambda: ModelAssets("model-scorer", _scorer()))
    assert isinstance(err.value, pulumi.RunError)
    assert str(err.value) == MESSAGE


PROGRAM = f"""
import pulumi
import pulumi_azure_native as azure_native

from components.serving.model_assets import ModelAssets

azure = azure_native.Provider("azure", location="westeurope")
ModelAssets("model-scorer", {{
    "model": "scorer", "serving": "batch", "endpoint_name": "scorer-dev-ab12",
    "resource_group_name": "rg", "workspace_name": "mlw-dev", "workspace_id": {WS_ID!r},
    "location": "westeurope", "registry_name": "mlr-shared", "registry_resource_group_name": "rg-shared",
    "deployments": {{"blue": {{"version": "1", "traffic": 100}}}},
    "batch_compute_id": {WS_ID + "/computes/cpu-training"!r}, "spec_root": {str(FIXTURES)!r},
}}, opts=pulumi.ResourceOptions(providers=[azure]))
"""


def test_the_preview_prints_one_line_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    project = copy_project(tmp_path / "p")
    (project / "__main__.py").unlink()
    (project / "__main__.py").write_text(PROGRAM)
    monkeypatch.chdir(project)
    capsys.readouterr()
    assert main(["preview", "shared", "--quiet"]) == 2
    assert capsys.readouterr().err == f"error: {MESSAGE}\n"
