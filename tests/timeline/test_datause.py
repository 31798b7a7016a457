"""The serialization detector: does a dependent use a value of its dependency?"""

from __future__ import annotations

from infra.timeline.datause import occurs, tokens, uses

RG = "/subscriptions/0000/resourceGroups/rg-a"


def res(inputs=None, outputs=None, rid=None):
    return {"urn": "u", "id": rid, "inputs": inputs or {}, "outputs": outputs or {}}


def test_id_reference_is_data_use():
    vault = res(
        {"location": "eastus"},
        {"name": "kv-a", "location": "eastus"},
        f"{RG}/providers/Microsoft.KeyVault/vaults/kv-a",
    )
    ws = res({"properties": {"keyVault": f"{RG}/providers/Microsoft.KeyVault/vaults/kv-a"}})
    assert uses(ws, vault)


def test_edge_without_any_reference_is_not_data_use():
    vault = res(
        {"location": "eastus", "tags": {"env": "prod-01"}},
        {"name": "kv-a", "location": "eastus", "tags": {"env": "prod-01"}},
        f"{RG}/providers/Microsoft.KeyVault/vaults/kv-a",
    )
    # Same location and tags: echoed configuration, not a produced value.
    other = res({"location": "eastus", "tags": {"env": "prod-01"}, "name": "st-b"})
    assert not uses(other, vault)


def test_name_and_produced_values_count():
    rg = res({"location": "eastus"}, {"name": "rg-a", "location": "eastus"}, RG)
    assert uses(res({"resourceGroupName": "rg-a"}), rg)
    identity = res(
        {"name": "id-a"},
        {"name": "id-a", "principalId": "1b2c3d4e-0000-1111-2222-333344445555"},
        f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a",
    )
    assert uses(res({"principalId": "1B2C3D4E-0000-1111-2222-333344445555"}), identity)


def test_generic_and_secret_outputs_are_not_tokens():
    thing = res(
        {"sku": "Standard"},
        {
            "sku": "Standard",
            "publicNetworkAccess": "Enabled",
            "primaryKey": "[secret]",
            "state": "Succeeded",
            "endpoint": "<unknown>",
            "ref": "<resource reference>",
        },
        "<unknown>",
    )
    assert tokens(thing) == set()
    assert not uses(res({"publicNetworkAccess": "Enabled", "key": "[secret]"}), thing)


def test_boundaries():
    assert occurs(RG, f"{RG}/providers/Microsoft.Storage/storageAccounts/st")
    assert not occurs(RG, "/subscriptions/0000/resourceGroups/rg-ab/providers/x")
    assert occurs("acrprod", "acrprod.azurecr.io/image:1")
    assert not occurs("acrprod", "acrprod2.azurecr.io")
    assert not occurs("rg-a", "rg-a-b")
    assert occurs("rg-a", "RG-A")


def test_integer_ids_of_azure_devops_objects_count():
    pipeline = res({"name": "ci"}, {}, "67224")
    assert uses(res({"pipelineId": 67224, "type": "endpoint"}), pipeline)
    assert uses(res({"settings": {"buildDefinitionId": 67224}}), pipeline)
    assert not uses(res({"pipelineId": 672245, "enabled": True}), pipeline)
    assert not uses(res({"flag": True}), res({}, {}, "1"))  # booleans are not numbers here
