"""The offline diff's classification: create / update / replace / delete and the changed keys."""

from __future__ import annotations

import copy
from typing import Any

from infra.engine.diff import changes, summary

DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
DYNAMIC = "pulumi-python:dynamic:Resource"


def _resource(type_: str, name: str, inputs: dict[str, Any], **options: Any) -> dict[str, Any]:
    entry = {
        "urn": f"urn:pulumi:prod::mlops-estate::{type_}::{name}",
        "type": type_,
        "name": name,
        "custom": True,
        "inputs": inputs,
        "protect": False,
        "retainOnDelete": False,
        "ignoreChanges": [],
        "deleteBeforeReplace": False,
        "replaceOnChanges": [],
    }
    entry.update(options)
    return entry


def _deployment(**props: Any) -> dict[str, Any]:
    properties = {
        "model": "azureml://registries/r/models/diabetes/versions/3",
        "instanceType": "Standard_DS3_v2",
        "endpointComputeType": "Managed",
        "requestSettings": {"requestTimeout": "PT5S"},
    }
    properties.update(props)
    return _resource(
        DEPLOYMENT,
        "model-diabetes-blue",
        {
            "deploymentName": "blue",
            "endpointName": "diabetes-prod",
            "workspaceName": "mlw",
            "resourceGroupName": "rg",
            "location": "westeurope",
            "kind": "Managed",
            "properties": properties,
            "sku": {"name": "Default", "capacity": 1},
        },
    )


def _traffic(traffic: dict[str, int], endpoint: str = "ep") -> dict[str, Any]:
    return _resource(
        DYNAMIC,
        "model-diabetes-traffic",
        {
            "estateKind": "endpointTraffic",
            "endpointId": endpoint,
            "traffic": traffic,
            "mirrorTraffic": {},
            "endpointRevision": "r",
            "__provider": "<python dynamic provider>",
        },
    )


def _plan(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resources": list(resources)}


def _only(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, list[str], list[str]]]:
    return [
        (
            c["action"],
            c["name"] if "name" in c else c["urn"].rsplit("::", 1)[-1],
            c["keys"],
            c.get("paths", []),
        )
        for c in changes(_plan(old), _plan(new))
    ]


def test_version_bump_is_an_in_place_update_of_properties_model() -> None:
    new = _deployment(model="azureml://registries/r/models/diabetes/versions/4")
    assert _only(_deployment(), new) == [
        ("update", "model-diabetes-blue", ["properties"], ["properties.model"])
    ]


def test_unchanged_resources_are_not_listed() -> None:
    assert (
        changes(_plan(_deployment(), _traffic({"blue": 100})), _plan(_deployment(), _traffic({"blue": 100})))
        == []
    )


def test_a_changed_property_carries_its_path_and_old_and_new_values() -> None:
    new = _deployment(model="azureml://registries/r/models/diabetes/versions/4")
    [change] = changes(_plan(_deployment()), _plan(new))
    assert change["diffs"] == [
        {
            "path": "properties.model",
            "kind": "update",
            "before": "azureml://registries/r/models/diabetes/versions/3",
            "after": "azureml://registries/r/models/diabetes/versions/4",
        }
    ]
    assert change["replaceBecause"] == []


def test_added_removed_and_list_entries_get_full_paths() -> None:
    old = _deployment()
    new = copy.deepcopy(old)
    old["inputs"]["tags"] = {"env": "qa"}
    new["inputs"]["tags"] = {"env": "qa", "cost center": "42"}
    new["inputs"]["ipRules"] = [{"value": "10.0.0.1"}]
    old["inputs"]["ipRules"] = [{"value": "10.0.0.2"}, {"value": "10.0.0.3"}]
    del new["inputs"]["properties"]["requestSettings"]
    [change] = changes(_plan(old), _plan(new))
    assert [(d["path"], d["kind"]) for d in change["diffs"]] == [
        ("ipRules[0].value", "update"),
        ("ipRules[1]", "delete"),
        ("properties.requestSettings", "delete"),
        ('tags["cost center"]', "add"),
    ]


def test_secrets_stay_masked_in_the_diff() -> None:
    old = _resource(DYNAMIC, "s", {"estateKind": "x", "token": "[secret]", "n": 1})
    new = _resource(DYNAMIC, "s", {"estateKind": "x", "token": "[secret]", "n": 2})
    [change] = changes(_plan(old), _plan(new))
    assert [d["path"] for d in change["diffs"]] == ["n"]


def test_instance_count_and_request_settings_update_in_place() -> None:
    new = _deployment(requestSettings={"requestTimeout": "PT9S"})
    new["inputs"]["sku"]["capacity"] = 3
    assert _only(_deployment(), new) == [
        (
            "update",
            "model-diabetes-blue",
            ["properties", "sku"],
            ["properties.requestSettings.requestTimeout", "sku.capacity"],
        )
    ]


def test_name_location_and_resource_group_changes_are_replaces() -> None:
    for key, value in (
        ("deploymentName", "green"),
        ("location", "northeurope"),
        ("resourceGroupName", "rg2"),
        ("endpointName", "other"),
        ("workspaceName", "mlw2"),
    ):
        new = copy.deepcopy(_deployment())
        new["inputs"][key] = value
        assert _only(_deployment(), new)[0][:3] == ("replace", "model-diabetes-blue", [key]), key


def test_traffic_shift_updates_only_the_traffic_resource() -> None:
    old = _plan(_deployment(), _traffic({"blue": 90, "green": 10}))
    new = _plan(_deployment(), _traffic({"blue": 50, "green": 50}))
    result = changes(old, new)
    assert [(c["action"], c["type"], c["keys"], c["paths"]) for c in result] == [
        ("update", DYNAMIC, ["traffic"], ["traffic.blue", "traffic.green"])
    ]


def test_traffic_resource_on_another_endpoint_is_a_replace() -> None:
    assert _only(_traffic({"blue": 100}), _traffic({"blue": 100}, endpoint="other"))[0][0] == "replace"


def test_create_and_delete() -> None:
    green = _resource(DEPLOYMENT, "model-diabetes-green", {"deploymentName": "green"})
    added = changes(_plan(_deployment()), _plan(_deployment(), green))
    assert [(c["action"], c["keys"]) for c in added] == [("create", ["deploymentName"])]
    removed = changes(_plan(_deployment(), green), _plan(_deployment()))
    assert [(c["action"], c["urn"].rsplit("::", 1)[-1]) for c in removed] == [
        ("delete", "model-diabetes-green")
    ]
    assert summary(added + removed) == {"create": 1, "delete": 1}


def test_replace_says_which_path_forces_it() -> None:
    new = copy.deepcopy(_deployment())
    new["inputs"]["location"] = "northeurope"
    new["inputs"]["properties"]["instanceType"] = "Standard_DS4_v2"
    [change] = changes(_plan(_deployment()), _plan(new))
    assert change["action"] == "replace"
    assert change["replaceBecause"] == ["location"]


def test_replace_on_changes_option_forces_a_replace() -> None:
    old = _resource(ENDPOINT, "ep", {"endpointName": "e", "properties": {"description": "d"}})
    new = _resource(
        ENDPOINT,
        "ep",
        {"endpointName": "e", "properties": {"description": "n"}},
        replaceOnChanges=["properties"],
    )
    assert _only(old, new)[0][0] == "replace"
    assert _only(old, {**new, "replaceOnChanges": []})[0][0] == "update"


def test_protected_replace_and_delete_are_refused_in_one_message() -> None:
    from infra.engine.diff import protected_violations, refusal_message

    old = _deployment()
    old["protect"] = True
    moved = copy.deepcopy(old)
    moved["inputs"]["location"] = "northeurope"
    refused = protected_violations(changes(_plan(old), _plan(moved)))
    assert [c["name"] for c in refused] == ["model-diabetes-blue"]
    assert refusal_message(refused) == (
        "refusing a change that would replace or delete 1 protected resource(s): "
        f"{DEPLOYMENT} 'model-diabetes-blue' (replace); unprotect them first (protect: false) "
        "or undo the change that forces it"
    )
    assert protected_violations(changes(_plan(old), _plan())) != []
    tagged = copy.deepcopy(old)
    tagged["inputs"]["tags"] = {"a": "b"}
    assert protected_violations(changes(_plan(old), _plan(tagged))) == []


def test_option_changes_are_updates_with_bracketed_keys() -> None:
    assert _only(_deployment(), {**_deployment(), "protect": True}) == [
        ("update", "model-diabetes-blue", ["[protect]"], ["[protect]"])
    ]
