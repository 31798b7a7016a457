"""``estate spec check``: every field class of the azureml-examples shapes, through the component's path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from components.serving import spec_convert
from components.serving.spec_check import check_file
from components.serving.specs import StackTargets
from infra.cli import main as estate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MANAGED = StackTargets(target="managed", training_compute="cpu-training", kubernetes_compute="aks-inference")
KUBERNETES = StackTargets(
    target="kubernetes", training_compute="cpu-training", kubernetes_compute="aks-inference"
)


def _check(name: str, targets: StackTargets = MANAGED) -> dict:
    return check_file(FIXTURES / name, targets, root=FIXTURES).as_dict()


def _errors(report: dict) -> list[str]:
    return [f"{e['line']}: {e['field']}: {e['message']}" for e in report["errors"]]


def _warnings(report: dict) -> list[str]:
    return [f"{w['line']}: {w['field']}" for w in report["warnings"]]


# (file, target, kind, errors as "line: field: message start", warnings as "line: field")
CASES = [
    ("online-endpoint.yml", MANAGED, "online-endpoint", [], []),
    ("online-endpoint-uai.yml", MANAGED, "online-endpoint", [], []),
    (
        "online-deployment.yml",
        MANAGED,
        "online-deployment",
        [],
        ["8: environment.name"],
    ),
    ("custom-container-deployment.yml", MANAGED, "online-deployment", [], ["7: environment.name"]),
    ("mlflow-deployment.yml", MANAGED, "online-deployment", [], ["4: model"]),
    ("env-registry-deployment.yml", MANAGED, "online-deployment", [], []),
    ("kubernetes-endpoint.yml", KUBERNETES, "online-endpoint", [], []),
    ("kubernetes-deployment.yml", KUBERNETES, "online-deployment", [], []),
    ("batch-endpoint.yml", MANAGED, "batch-endpoint", [], []),
    ("model-batch-deployment.yml", MANAGED, "batch-deployment", [], ["9: environment.name"]),
    ("pipeline-batch-deployment.yml", MANAGED, "batch-deployment", [], ["4: type"]),
    ("docker-image-environment.yml", MANAGED, "environment", [], []),
    ("automl-pipeline.yml", MANAGED, "pipeline", [], ["5: inputs", "9: jobs", "15: jobs.regression_node"]),
    (
        "latest-image-deployment.yml",
        MANAGED,
        "online-deployment",
        ["8: environment.image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest' floats"],
        [],
    ),
    (
        "env-curated-latest-deployment.yml",
        MANAGED,
        "online-deployment",
        [
            "7: environment: 'azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest' floats (latest); pin it: "
            "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:<version>"
        ],
        [],
    ),
    (
        "docker-context-environment.yml",
        MANAGED,
        "environment",
        ["3: build: docker build context 'environment' is a local folder"],
        [],
    ),
    (
        "other-compute-batch-deployment.yml",
        MANAGED,
        "batch-deployment",
        ["12: compute: 'gpu-cluster' is not a compute of this stack; write compute: azureml:cpu-training"],
        [],
    ),
    (
        "kubernetes-deployment.yml",
        MANAGED,
        "online-deployment",
        ["3: type: a Kubernetes deployment spec on a managed target"],
        [],
    ),
    (
        "online-deployment.yml",
        KUBERNETES,
        "online-deployment",
        ["13: egress_public_network_access: disabled cannot be honoured on a Kubernetes target"],
        ["8: environment.name"],
    ),
    (
        "missing-conda-deployment.yml",
        MANAGED,
        "online-deployment",
        ["9: environment.conda_file: 'model/conda.yaml' not found next to this file ("],
        [],
    ),
    (
        "template-endpoint.yml",
        MANAGED,
        None,
        ["2: ENDPOINT_NAME: template placeholders ENDPOINT_NAME (line 2): substitute values first"],
        [],
    ),
]


@pytest.mark.parametrize(("name", "targets", "kind", "errors", "warnings"), CASES)
def test_each_fixture_is_carried_refused_or_warned(name, targets, kind, errors, warnings) -> None:
    report = _check(name, targets)
    assert report["kind"] == kind
    found = _errors(report)
    assert len(found) == len(errors), found
    for got, want in zip(found, errors, strict=True):
        assert got.startswith(want), got
    assert _warnings(report) == warnings
    assert report["differences"] == []  # nothing differs from azure-ai-ml's conversion unexplained


def test_endpoint_carries_auth_mode_public_network_access_and_tags() -> None:
    assert _check("online-endpoint.yml")["inputs"] == {
        "identity": {"type": "SystemAssigned"},
        "properties": {"authMode": "Key", "publicNetworkAccess": "disabled"},
        "tags": {"team": "scoring"},
    }


def test_user_assigned_identity_is_kept_as_azure_native_list() -> None:
    identity = _check("online-endpoint-uai.yml")["inputs"]["identity"]
    assert identity == {
        "type": "UserAssigned",
        "userAssignedIdentities": [
            "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai"
        ],
    }


def test_managed_deployment_keeps_tags_egress_and_data_destination() -> None:
    inputs = _check("online-deployment.yml")["inputs"]
    assert inputs["tags"] == {"owner": "data-science"}
    assert inputs["sku"] == {"name": "Default", "capacity": 2}
    properties = inputs["properties"]
    assert properties["egressPublicNetworkAccess"] == "disabled"  # as az ml sends it
    assert properties["dataCollector"]["collections"]["model_inputs"] == {
        "dataCollectionMode": "enabled",
        "dataId": "@@workspace@@/data/my_model_inputs/versions/2",
    }
    assert json.dumps(inputs)  # plain JSON: no Python object leaks into an input


def test_a_collection_destination_is_the_data_asset_registered_first() -> None:
    report = _check("online-deployment.yml")
    assert report["data_assets"] == [
        {
            "collection": "model_inputs",
            "name": "my_model_inputs",
            "version": "2",
            "properties": {
                "dataType": "uri_folder",
                "dataUri": "azureml://datastores/workspaceblobstore/paths/mdc/inputs",
                "description": "<estate description>",
                "isAnonymous": False,
                "isArchived": False,
            },
        }
    ]
    assert not [w for w in report["warnings"] if w["field"].startswith("data_collector")]


def test_custom_container_keeps_inference_config_in_the_environment() -> None:
    from azure.ai.ml.entities import OnlineDeployment

    from components.serving.spec_loader import YamlLines, load_entity
    from components.serving.specs import environment_spec

    raw = YamlLines(FIXTURES / "custom-container-deployment.yml", "d.yml")
    entity = load_entity(raw, "online-deployment")
    assert isinstance(entity, OnlineDeployment)
    env = environment_spec(entity.environment, raw, where="environment", name="m-serving", issues=[])
    assert env is not None and env.version != "None" and len(env.version) == 32
    assert env.properties["inferenceConfig"]["scoringRoute"] == {
        "port": 8501,
        "path": "/v1/models/half_plus_two:predict",
    }
    assert env.properties["image"] == "docker.io/tensorflow/serving:2.17.0"


def test_kubernetes_deployment_keeps_resources_scale_settings_and_instance_type() -> None:
    properties = _check("kubernetes-deployment.yml", KUBERNETES)["inputs"]["properties"]
    assert properties["instanceType"] == "gpu-small"
    assert properties["scaleSettings"] == {
        "scaleType": "TargetUtilization",
        "minInstances": 1,
        "maxInstances": 3,
        "targetUtilizationPercentage": 70,
    }
    assert properties["containerResourceRequirements"] == {
        "containerResourceRequests": {"cpu": "0.1", "memory": "0.1Gi"},
        "containerResourceLimits": {"cpu": "0.2", "memory": "200Mi"},
    }


def test_model_batch_deployment_is_loaded_by_type_with_its_settings() -> None:
    properties = _check("model-batch-deployment.yml")["inputs"]["properties"]
    assert {
        k: properties[k]
        for k in ("miniBatchSize", "maxConcurrencyPerInstance", "outputAction", "errorThreshold")
    } == {
        "miniBatchSize": 10,
        "maxConcurrencyPerInstance": 2,
        "outputAction": "AppendRow",
        "errorThreshold": -1,
    }
    assert properties["retrySettings"] == {"maxRetries": 3, "timeout": "PT30S"}
    assert properties["resources"]["instanceCount"] == 2


def test_workspace_environment_reference_is_kept(tmp_path: Path) -> None:
    report = _check("env-workspace-deployment.yml")
    assert (
        report["errors"] == []
        and report["inputs"]["properties"]["environmentId"] == "<environment the estate registers>"
    )


def test_schema_errors_keep_line_and_field(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "f")
    path = tmp_path / "f" / "online-deployment.yml"
    path.write_text(path.read_text().replace("instance_count: 2", "instance_count: two\ninstanse_type: x"))
    assert _errors(check_file(path, MANAGED, root=tmp_path / "f").as_dict()) == [
        "12: instance_count: Not a valid integer; write a whole number",
        "13: instanse_type: Unknown field; remove it: the online deployment schema has no such field",
    ]
    path.write_text("name: [unclosed\n")
    assert _errors(check_file(path, MANAGED, root=tmp_path / "f").as_dict()) == [
        "2: : not valid YAML, column 1: expected ',' or ']', but got '<stream end>'"
    ]


def test_image_rule_is_the_policy_packs() -> None:
    from policy.rules.models import image_tag

    for reference in (
        "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
        "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest",
        "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20250601.v1",
        "localhost:5000/serving",
        "localhost:5000/serving:1.2",
        "docker.io/tensorflow/serving@sha256:" + "a" * 64,
    ):
        assert spec_convert.image_tag(reference) == image_tag(reference), reference


def test_cli_exit_codes_json_and_width(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ok = [str(FIXTURES / "online-endpoint.yml"), str(FIXTURES / "model-batch-deployment.yml")]
    assert estate(["spec", "check", *ok]) == 0
    assert all(len(line) <= 80 for line in capsys.readouterr().out.splitlines())
    bad = str(FIXTURES / "latest-image-deployment.yml")
    out = tmp_path / "report.json"
    assert estate(["spec", "check", bad, "--json", str(out)]) == 2
    text = capsys.readouterr().out
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "latest-image-deployment.yml:8: environment.image:" in text.replace("\n    ", " ")
    report = json.loads(out.read_text())
    assert [f["ok"] for f in report["files"]] == [False]
    assert estate(["spec", "check", bad, "--stack", "staging"]) == 2


def test_examples_run_skips_without_a_checkout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.specs import run_examples

    monkeypatch.delenv(run_examples.ENV, raising=False)
    assert run_examples.main([]) == 0
    assert "skipped: set AZUREML_EXAMPLES_DIR" in capsys.readouterr().out
    commit, paths = run_examples.read_manifest()
    assert len(commit) == 40 and len(paths) >= 80 and len(set(paths)) == len(paths)
    assert {p.split("/")[1] for p in paths} >= {"endpoints", "assets", "jobs"}


def test_training_submission_with_an_automl_step_binds_the_champion_elsewhere(tmp_path: Path) -> None:
    from model_assets import submit_training

    azureml = tmp_path / "models" / "diabetes" / "azureml"
    shutil.copytree(FIXTURES / "components", azureml / "components")
    shutil.copytree(FIXTURES / "src", azureml / "src")
    (azureml / "pipeline.yml").write_text((FIXTURES / "automl-pipeline.yml").read_text())
    models = (
        "  mlops-estate:models:\n    diabetes:\n      kind: ml\n"
        "      serving: online\n      deployments:\n        blue: {version: '3', traffic: 100}\n"
    )
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  mlops-estate:environment: prod\n" + models)
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  mlops-estate:environment: dev\n  mlops-estate:workspace:\n    registryWriter: true\n"
        + models
    )
    job, submission = submit_training.prepare_job(
        "diabetes",
        "dev",
        registry="reg",
        commit="abc",
        build_id="7",
        project_dir=tmp_path,
        models_dir=tmp_path / "models",
    )  # an AutoML step has no component: no AttributeError
    assert submission.champion_version is None  # no step takes champion_model: nothing bound
    assert job.tags is not None and job.tags["champion_version"] == "none"
