"""The models in the real stacks: endpoints and deployments pinned to the shared registry's versions."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from infra.engine import preview
from tests.support.template import Template

pytestmark = pytest.mark.slow  # previews the real stacks

ML = "azure-native:machinelearningservices:"
OURS = (
    "mlops:model_assets:ModelAssets",
    f"{ML}OnlineEndpoint",
    f"{ML}OnlineDeployment",
    f"{ML}BatchEndpoint",
    f"{ML}BatchDeployment",
    f"{ML}EnvironmentVersion",
    f"{ML}RegistryModelVersion",
    "azure-native:monitor:AutoscaleSetting",
)


def _counts(t: Template) -> dict[str, int]:
    counts = {k: v for k, v in t.count_by_type().items() if k in OURS}
    kinds = Counter(
        r["inputs"].get("estateKind") for r in t.resources if r["type"] == "pulumi-python:dynamic:Resource"
    )
    counts.update({f"dynamic:{k}": v for k, v in kinds.items() if k in ("endpointTraffic", "servingCode")})
    return counts


def _registry() -> str:
    return preview("shared", policy=False)["outputs"]["registryName"]


def _models(t: Template) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in t.resources:
        if r["type"] == f"{ML}OnlineDeployment":
            out[r["name"]] = r["inputs"]["properties"]["model"]
        elif r["type"] == f"{ML}BatchDeployment":
            out[r["name"]] = r["inputs"]["properties"]["model"]["assetId"]
    return out


def _traffic(t: Template, model: str) -> dict[str, Any]:
    return t.resource("pulumi-python:dynamic:Resource", f"model-{model}-traffic")["inputs"]


def test_dev() -> None:
    t = Template.from_stack("dev")
    registry = _registry()
    assert _counts(t) == {
        "mlops:model_assets:ModelAssets": 3,
        f"{ML}OnlineEndpoint": 2,
        f"{ML}OnlineDeployment": 2,
        f"{ML}BatchEndpoint": 1,
        f"{ML}BatchDeployment": 1,
        f"{ML}EnvironmentVersion": 3,
        f"{ML}RegistryModelVersion": 1,
        "dynamic:endpointTraffic": 3,
        "dynamic:servingCode": 3,
    }
    assert _models(t) == {
        "model-diabetes-blue": f"azureml://registries/{registry}/models/diabetes/versions/3",
        "model-fraud_rules-blue": f"azureml://registries/{registry}/models/fraud_rules/versions/2",
        "model-churn_byom-blue": f"azureml://registries/{registry}/models/churn_byom/versions/1",
    }
    t.has_resource_properties(
        f"{ML}RegistryModelVersion",
        {
            "registryName": registry,
            "modelName": "churn_byom",
            "version": "1",
            "properties": {
                "modelUri": "azureml://datastores/workspaceblobstore/paths/byom/churn/2026-11/",
                "modelType": "custom_model",
            },
        },
    )
    t.has_resource_properties(
        f"{ML}OnlineDeployment",
        {"deploymentName": "blue", "sku": {"capacity": 1}, "properties": {"instanceType": "Standard_DS2_v2"}},
    )
    t.has_resource(f"{ML}OnlineEndpoint", {"protect": False})


def test_qa_serves_diabetes_on_aks() -> None:
    t = Template.from_stack("qa")
    counts = _counts(t)
    assert counts[f"{ML}OnlineDeployment"] == 2 and counts.get(f"{ML}RegistryModelVersion", 0) == 0
    endpoint = t.resource(f"{ML}OnlineEndpoint", "model-diabetes-endpoint")
    assert endpoint["inputs"]["kind"] == "Kubernetes"
    assert endpoint["inputs"]["properties"]["authMode"] == "AMLToken"
    attached = [
        r
        for r in t.resources
        if r["type"] == f"{ML}Compute" and r["inputs"]["properties"]["computeType"] == "Kubernetes"
    ]
    assert len(attached) == 1 and endpoint["inputs"]["properties"]["compute"] == attached[0]["id"]
    assert attached[0]["urn"] in endpoint["dependencies"]
    assert endpoint["protect"] is True
    assert _traffic(t, "diabetes")["traffic"] == {"blue": 100}


def test_prod_pins_every_deployment_and_passes_policy() -> None:
    plan = preview("prod")
    t = Template(plan)
    registry = _registry()
    assert _counts(t) == {
        "mlops:model_assets:ModelAssets": 3,
        f"{ML}OnlineEndpoint": 2,
        f"{ML}OnlineDeployment": 3,
        f"{ML}BatchEndpoint": 1,
        f"{ML}BatchDeployment": 1,
        f"{ML}EnvironmentVersion": 3,
        "azure-native:monitor:AutoscaleSetting": 1,
        "dynamic:endpointTraffic": 3,
        "dynamic:servingCode": 3,
    }
    assert _models(t) == {
        "model-diabetes-blue": f"azureml://registries/{registry}/models/diabetes/versions/3",
        "model-diabetes-green": f"azureml://registries/{registry}/models/diabetes/versions/4",
        "model-fraud_rules-blue": f"azureml://registries/{registry}/models/fraud_rules/versions/2",
        "model-churn_byom-blue": f"azureml://registries/{registry}/models/churn_byom/versions/1",
    }
    assert _traffic(t, "diabetes")["traffic"] == {"blue": 90, "green": 10}
    assert _traffic(t, "churn_byom")["traffic"] == {"blue": 100}
    ours = {r["urn"] for r in plan["resources"] if r["type"] in OURS or "model_assets" in r["urn"]}
    mandatory = [
        v for v in plan["policy"]["violations"] if v["enforcement"] == "mandatory" and v["urn"] in ours
    ]
    assert mandatory == []
    endpoints = plan["outputs"]["endpoints"]
    assert endpoints["diabetes"]["version"] == "3"
    assert endpoints["diabetes"]["slots"] == {"blue": "3", "green": "4"}
    assert endpoints["diabetes"]["scoringUri"].endswith(".westeurope.inference.ml.azure.com/score")


def test_prod_monitors_read_the_data_assets_the_deployments_register() -> None:
    """Cross-file contract: the model monitor's production data (``azureml:<asset>:<version>``,
    components/model_monitor.py) is a data asset ModelAssets declares for a deployment's
    data-collector collection, in the same workspace."""
    import json
    import re

    plan = preview("prod")
    declared = {
        (r["inputs"]["name"], r["inputs"]["version"], r["inputs"]["workspaceName"])
        for r in plan["resources"]
        if r["type"] == f"{ML}DataVersion"
    }
    assert len(declared) == 6  # diabetes blue + green, fraud_rules blue; model_inputs + model_outputs
    read = {
        (name, version, r["inputs"]["workspaceName"])
        for r in plan["resources"]
        if r["type"] == f"{ML}Schedule"
        for name, version in re.findall(r'"azureml:([^":]+):(\d+)"', json.dumps(r["inputs"]))
        if "-model_" in name
    }
    assert read == {
        (f"{endpoint}-blue-{collection}", "1", workspace)
        for endpoint in ("diabetes-prod-5yos", "fraud-rules-prod-5yos")
        for collection in ("model_inputs", "model_outputs")
        for workspace in {w for _, _, w in declared}
    }
    assert read <= declared
