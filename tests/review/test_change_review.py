"""Reviewing real changes of real stacks, as a new user would: a promotion, a traffic shift, a
new model, a VM size change, a location change and a shared-stack change. Each gives a short,
correct diff, a cost delta that is right or says "unknown", a timeline that works, output that
fits 80 columns, and a refusal where Pulumi refuses (a protected resource replaced).

Every plan is the offline engine's real plan of this project's stack files; a change is the
stack's own config with one key edited (``preview(..., overrides=...)``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from ruamel.yaml import YAML

from infra.cost import cost_delta
from infra.engine import PROJECT_ROOT, preview
from infra.engine.diff import changes, output_changes, protected_violations
from infra.engine.render import render_changes, render_outputs, render_summary, render_tree
from infra.timeline import estimate_update

MODELS = "mlops-estate:models"


def _config(stack: str) -> dict[str, Any]:
    return YAML(typ="safe").load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def _promote(config: dict[str, Any]) -> dict[str, Any]:
    models = copy.deepcopy(config[MODELS])
    models["diabetes"]["deployments"]["blue"]["version"] = "4"
    return {MODELS: models}


def _traffic(config: dict[str, Any]) -> dict[str, Any]:
    models = copy.deepcopy(config[MODELS])
    slots = models["diabetes"]["deployments"]
    first, second = list(slots)[:2]
    slots[first]["traffic"], slots[second]["traffic"] = 50, 50
    return {MODELS: models}


def _new_model(config: dict[str, Any]) -> dict[str, Any]:
    models = copy.deepcopy(config[MODELS])
    models["fraud_rules_b"] = {
        **copy.deepcopy(models["fraud_rules"]),
        "spec": "fraud_rules",
        "registryModel": "fraud_rules",
    }
    return {MODELS: models}


def _vm_size(config: dict[str, Any]) -> dict[str, Any]:
    aks = copy.deepcopy(config["mlops-estate:aks"])
    aks["inferencePool"]["vmSize"] = "Standard_D8ds_v5"
    return {"mlops-estate:aks": aks}


def _location(config: dict[str, Any]) -> dict[str, Any]:
    return {"mlops-estate:location": "northeurope"}


def _shared_tags(config: dict[str, Any]) -> dict[str, Any]:
    return {"mlops-estate:tags": {**config["mlops-estate:tags"], "costCenter": "CC-0815"}}


SCENARIOS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "promotion": ("qa", _promote),
    "traffic-shift": ("prod", _traffic),
    "new-model": ("dev", _new_model),
    "vm-size": ("qa", _vm_size),
    "location": ("qa", _location),
    "shared-stack": ("shared", _shared_tags),
}


def _pair(name: str) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    stack, edit = SCENARIOS[name]
    old = preview(stack, policy=False)
    new = preview(stack, policy=False, overrides=edit(_config(stack)))
    return old, new, changes(old, new)


def _rendered(old: dict[str, Any], new: dict[str, Any], change_list: list[dict[str, Any]]) -> str:
    parts = [
        render_tree(new, change_list, width=80),
        render_changes(change_list, width=80),
        render_outputs(new, output_changes(old, new), width=80),
        render_summary(new, change_list),
    ]
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_real_change_has_a_fitting_diff_a_cost_and_a_timeline(name: str) -> None:
    old, new, change_list = _pair(name)
    assert change_list, name
    text = _rendered(old, new, change_list)
    assert max(len(line) for line in text.splitlines()) <= 80, text
    report = estimate_update(new, change_list, old_plan=old)  # was a KeyError on every change
    assert (
        0
        < report["wall_seconds"]["low"]
        <= report["wall_seconds"]["typical"]
        <= report["wall_seconds"]["high"]
    )
    assert all(edge["saves_seconds"] >= 0 for edge in report["serializing_edges"])
    delta = cost_delta(old, new)
    unknown = {u["urn"] for u in delta["unknown"]}
    for line in delta["resources"]:
        priced_both = all(
            side is None or side["status"] != "unpriced" for side in (line["before"], line["after"])
        )
        assert (line["urn"] not in unknown) == priced_both
    if unknown:
        assert delta["delta"] == {"idle_usd": None, "load_usd": None}


@pytest.mark.slow
def test_a_promotion_is_one_resource_one_property_old_to_new() -> None:
    old, new, change_list = _pair("promotion")
    assert [(c["action"], c["name"]) for c in change_list] == [("update", "model-diabetes-blue")]
    [diff] = change_list[0]["diffs"]
    assert diff["path"] == "properties.model"
    assert diff["before"].endswith("/models/diabetes/versions/3")
    assert diff["after"].endswith("/models/diabetes/versions/4")
    assert sorted(d["path"] for d in output_changes(old, new)) == [
        "endpoints.diabetes.slots.blue",
        "endpoints.diabetes.version",
    ]


@pytest.mark.slow
def test_a_location_change_is_refused_for_the_protected_resources() -> None:
    _, _, change_list = _pair("location")
    refused = protected_violations(change_list)
    kinds = {c["type"].rsplit(":", 1)[-1] for c in refused}
    assert {"ResourceGroup", "Vault", "StorageAccount", "Workspace"} <= kinds
    assert all(c["action"] in ("replace", "delete") for c in refused)
    because = {c["name"]: c["replaceBecause"] for c in refused if c["action"] == "replace"}
    # The resource group's name carries the region, so everything in it is replaced by address;
    # Key Vault 2024-11-01 marks no location create-only, so its location alone is no reason.
    assert because["workspace-kv"] == ["resourceGroupName"]
    assert all(
        {"resourceGroupName", "location"} <= set(paths)
        for name, paths in because.items()
        if name != "workspace-kv"
    )


@pytest.mark.slow
def test_a_vm_size_change_replaces_the_pool_and_is_not_refused() -> None:
    _, _, change_list = _pair("vm-size")
    assert [(c["action"], c["name"], c["type"], c["replaceBecause"]) for c in change_list] == [
        ("replace", "aks-inference", "azure-native:containerservice:AgentPool", ["vmSize"])
    ]
    [change] = change_list
    assert change["diffs"] == [
        {"path": "vmSize", "kind": "update", "before": "Standard_D4ds_v5", "after": "Standard_D8ds_v5"}
    ]
    # The node pools are not protected, so Pulumi replaces the pool without refusing.
    assert change["protect"] is False
    assert protected_violations(change_list) == []
    text = render_changes(change_list, width=80)
    assert text.splitlines() == [
        "Changes:",
        "  +- aks-inference (AgentPool): replace",
        "      (forces replace: vmSize)",
        '      ~ vmSize: "Standard_D4ds_v5" => "Standard_D8ds_v5"',
    ]


@pytest.mark.slow
def test_no_stack_protects_its_node_pools() -> None:
    for stack in ("qa", "prod"):  # dev has no AKS
        pools = [r for r in preview(stack, policy=False)["resources"] if r["type"].endswith(":AgentPool")]
        assert pools and not any(r.get("protect") for r in pools), stack


@pytest.mark.slow
def test_a_role_assignment_principal_change_is_a_replace() -> None:
    old = preview("qa", policy=False)

    def edited(key: str, value: str) -> dict[str, Any]:
        new = copy.deepcopy(old)
        [role] = [r for r in new["resources"] if r["name"] == "devops-environment-deployer"]
        role["inputs"][key] = value
        return new

    principal = changes(old, edited("principalId", "00000000-0000-0000-0000-000000000001"))
    assert [(c["action"], c["name"], c["replaceBecause"]) for c in principal] == [
        ("replace", "devops-environment-deployer", ["principalId"])
    ]
    # roleDefinitionId is in neither the spec's nor azure-native's replace data: an update,
    # as `pulumi preview` shows it (Azure refuses it at apply time; see docs/operations.md).
    role = changes(old, edited("roleDefinitionId", "/providers/Microsoft.Authorization/roleDefinitions/x"))
    assert [(c["action"], c["replaceBecause"]) for c in role] == [("update", [])]
