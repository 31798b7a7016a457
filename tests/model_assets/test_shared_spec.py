"""Several endpoints can serve one spec folder and one registered model (``spec``, ``registryModel``)."""

from __future__ import annotations

from tests.support.template import Template

DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"


def test_two_endpoints_serve_the_diabetes_spec_and_registry_model():
    models = {
        name: {
            "kind": "ml",
            "serving": "online",
            "spec": "diabetes",
            "registryModel": "diabetes",
            "deployments": {"blue": {"version": "3", "traffic": 100}},
        }
        for name in ("diabetes_eu", "diabetes_us")
    }
    t = Template.from_stack("dev", overrides={"mlops-estate:models": models})
    t.resource_count_is(ENDPOINT, 2)
    t.resource_count_is(DEPLOYMENT, 2)
    names = sorted(r["inputs"]["endpointName"] for r in t.find_resources(ENDPOINT))
    assert names == ["diabetes-eu-dev-uc05", "diabetes-us-dev-uc05"]
    for deployment in t.find_resources(DEPLOYMENT):
        assert (
            deployment["inputs"]["properties"]["model"]
            == "azureml://registries/mlr-mlops-weu-qvsj9/models/diabetes/versions/3"
        )
