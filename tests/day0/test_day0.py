"""Day 0: a brand-new estate deploys in one pass per stack, from an empty registry, no hand edits.

Walks the documented sequence offline in a temporary copy of the project and asserts the exact
resources of each step:

1. ``shared`` (the registry is created empty);
2. ``dev`` against an empty registry (``--registry empty``), every trained model declared without
   a version: endpoints deploy, no deployment, no traffic; the BYOM model registers its own
   version and deploys it;
3. version 1 of each model is registered: the registering step records it in the catalog;
4. ``dev``, ``qa`` and ``prod`` pinned to version 1 (the registry answers from the catalog).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from infra.catalog import CATALOG_ENV, load_catalog, record_version
from infra.cli.preview import unregistered_notes
from infra.engine import PROJECT_ROOT, preview
from infra.errors import ConfigError

pytestmark = pytest.mark.slow

KEY = "mlops-estate:models"
TRAINED = ("diabetes", "fraud_rules")
ML = "azure-native:machinelearningservices"
DYNAMIC = "pulumi-python:dynamic:Resource"
SERVING_TYPES = (
    f"{ML}:OnlineEndpoint",
    f"{ML}:OnlineDeployment",
    f"{ML}:BatchEndpoint",
    f"{ML}:BatchDeployment",
    f"{ML}:RegistryModelVersion",
    f"{ML}:DataContainer",
    f"{ML}:DataVersion",
    DYNAMIC,
)


def _copy_project(target: Path) -> Path:
    shutil.copytree(
        PROJECT_ROOT,
        target,
        ignore=shutil.ignore_patterns(".venv*", ".git", "__pycache__", "tests", "out", "*.egg-info", "docs"),
    )
    return target


def _edit_models(project: Path, stack: str, edit: Any) -> None:
    yaml = YAML(typ="rt")
    path = project / f"Pulumi.{stack}.yaml"
    document = yaml.load(path.read_text(encoding="utf-8"))
    edit(document["config"][KEY])
    with path.open("w", encoding="utf-8") as stream:
        yaml.dump(document, stream)


def _unpin(models: Any) -> None:
    """Day-0 stack file: the trained models' slots are declared without a version."""
    for name in TRAINED:
        for slot in models[name]["deployments"].values():
            del slot["version"]


def _pin_one(models: Any) -> None:
    """After the first registration: every slot pinned to version 1, all traffic on it."""
    for name in (*TRAINED, "churn_byom"):
        slots = models[name]["deployments"]
        first = next(iter(slots))
        for slot in list(slots):
            if slot != first:
                del slots[slot]
        slots[first]["version"] = "1"
        slots[first]["traffic"] = 100
        models[name].pop("mirrorTraffic", None)


def _serving(plan: dict[str, Any]) -> list[str]:
    """``type name`` of every serving resource of a plan, sorted."""
    return sorted(
        f"{r['type'].rsplit(':', 1)[-1]} {r['name']}" for r in plan["resources"] if r["type"] in SERVING_TYPES
    )


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    root = _copy_project(tmp_path / "estate")
    (root / "model_assets" / "registry-catalog.yaml").write_text("models: {}\n", encoding="utf-8")
    before = os.environ.get(CATALOG_ENV)
    os.environ[CATALOG_ENV] = str(root / "model_assets" / "registry-catalog.yaml")
    try:
        yield root
    finally:
        if before is None:
            os.environ.pop(CATALOG_ENV, None)
        else:
            os.environ[CATALOG_ENV] = before


def test_day0_sequence(project: Path) -> None:
    # 1. shared: nothing in it depends on a registered model.
    shared = preview("shared", project_dir=project, policy=False, cache=False)
    counts = {"shared": len(shared["resources"])}
    assert not [r for r in shared["resources"] if r["type"] in SERVING_TYPES]

    # 2. dev against an empty registry; the trained models are declared, not registered.
    _edit_models(project, "dev", _unpin)
    dev0 = preview("dev", project_dir=project, policy=False, cache=False, registry="empty")
    assert _serving(dev0) == [
        "BatchDeployment model-churn_byom-blue",
        "BatchEndpoint model-churn_byom-endpoint",
        "OnlineEndpoint model-diabetes-endpoint",
        "OnlineEndpoint model-fraud_rules-endpoint",
        "RegistryModelVersion model-churn_byom-byom-1",
        "Resource model-churn_byom-code",
        "Resource model-churn_byom-traffic",
        "Resource model-diabetes-code",
        "Resource model-fraud_rules-code",
    ]
    counts["dev, empty registry"] = len(dev0["resources"])
    assert {m: (e["slots"], e.get("unregistered")) for m, e in dev0["outputs"]["endpoints"].items()} == {
        "diabetes": ({}, ["blue"]),
        "fraud_rules": ({}, ["blue"]),
        "churn_byom": ({"blue": "1"}, None),
    }
    assert unregistered_notes(dev0) == [
        "diabetes/blue: no registered version yet; deploys after the first registration",
        "fraud_rules/blue: no registered version yet; deploys after the first registration",
    ]
    # Pinning a version the empty registry does not have fails the preview naming the key.
    _edit_models(project, "qa", _pin_one)
    with pytest.raises(
        ConfigError,
        match=r"Pulumi.qa.yaml: mlops-estate:models\.\w+\.deployments\.blue\.version: version '1' of model",
    ):
        preview("qa", project_dir=project, policy=False, cache=False, registry="empty")

    # 3. The first training run registers version 1; the registering step records it.
    for name in (*TRAINED, "churn_byom"):
        assert record_version(name, "1", project / "model_assets" / "registry-catalog.yaml")
    assert load_catalog(project / "model_assets" / "registry-catalog.yaml").models == {
        "diabetes": ("1",),
        "fraud_rules": ("1",),
        "churn_byom": ("1",),
    }

    # 4. dev, qa and prod pinned to 1: every slot deploys, traffic follows.
    plans = {}
    for stack in ("dev", "qa", "prod"):
        _edit_models(project, stack, _pin_one)
        plans[stack] = preview(stack, project_dir=project, policy=False, cache=False)
    added = Counter(_serving(plans["dev"])) - Counter(_serving(dev0))
    collected = [  # the data asset az ml registers per data-collector collection, before the deployment
        f"{kind} model-{model}-data-{endpoint}-dev-uc05-blue-{collection}{suffix}"
        for kind, suffix in (("DataContainer", ""), ("DataVersion", "-1"))
        for model, endpoint in (("diabetes", "diabetes"), ("fraud_rules", "fraud-rules"))
        for collection in ("model_inputs", "model_outputs")
    ]
    assert sorted(added.elements()) == sorted(
        [
            *collected,
            "OnlineDeployment model-diabetes-blue",
            "OnlineDeployment model-fraud_rules-blue",
            "Resource model-diabetes-traffic",
            "Resource model-fraud_rules-traffic",
        ]
    )
    counts.update({s: len(p["resources"]) for s, p in plans.items()})
    assert counts == {"shared": 56, "dev, empty registry": 109, "dev": 121, "qa": 234, "prod": 309}
    # One pass, no code deployed yet: every Event Grid subscription delivers to a queue the same
    # plan declares (an AzureFunction destination would need the Function's code to exist).
    subscriptions = [
        r for r in plans["prod"]["resources"] if r["type"].endswith(":SystemTopicEventSubscription")
    ]
    declared = {
        r["inputs"]["queueName"]
        for r in plans["prod"]["resources"]
        if r["type"] == "azure-native:storage:Queue"
    }
    retraining = [s for s in subscriptions if "deliveryWithResourceIdentity" in s["inputs"]]
    assert len(retraining) == 3  # diabetes new data; diabetes and fraud_rules threshold breaches
    assert not [
        s for s in subscriptions if s["inputs"].get("destination", {}).get("endpointType") == "AzureFunction"
    ]
    for subscription in retraining:
        destination = subscription["inputs"]["deliveryWithResourceIdentity"]["destination"]
        assert destination["endpointType"] == "StorageQueue" and destination["queueName"] in declared
    for stack, plan in plans.items():
        assert {m: e["slots"] for m, e in plan["outputs"]["endpoints"].items()} == {
            "diabetes": {"blue": "1"},
            "fraud_rules": {"blue": "1"},
            "churn_byom": {"blue": "1"},
        }, stack
