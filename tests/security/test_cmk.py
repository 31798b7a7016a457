"""Customer-managed keys of the workspace estate: the component's resources, the prod default,
the bad-input errors and the pack rule that keeps a prod estate from being half encrypted."""

from __future__ import annotations

from typing import Any

import pytest

from components import roles
from components.ml_workspace import CMK_EXPIRES_AFTER, CMK_ROTATE_AFTER, MlWorkspace, cmk_key_type
from infra.engine.policy_runner import evaluate
from infra.errors import ConfigError
from policy.rules import ALL_POLICIES
from tests.platform.platform_inputs import AI_ID, LA_ID, SUB, TENANT
from tests.security.test_policy_rules import _entry
from tests.support.template import Template

KEY = "azure-native:keyvault:Key"
KV = "azure-native:keyvault:Vault"
UAI = "azure-native:managedidentity:UserAssignedIdentity"
RA = "azure-native:authorization:RoleAssignment"
ST = "azure-native:storage:StorageAccount"
CR = "azure-native:containerregistry:Registry"
MLW = "azure-native:machinelearningservices:Workspace"
ARGS: dict[str, Any] = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "subscription_id": SUB,
    "tenant_id": TENANT,
    "workspace_name": "mlw-x",
    "key_vault_name": "kv-x",
    "storage_account_name": "stx",
    "container_registry_name": "crxprod1",
    "app_insights_id": AI_ID,
    "log_analytics_id": LA_ID,
    "training_cluster": {"name": "cpu-training"},
    "lifecycle": {"protect": True, "retain_on_delete": True},
}
CMK = {"customer_managed_key": {"identity_name": "id-cmk-x"}, "key_vault_sku": "premium"}


def _build(args: Any) -> Template:
    """The plan of an MlWorkspace with ``args`` (deliberately untyped: some are bad on purpose)."""
    return Template.from_function(lambda: MlWorkspace("ws", args))


@pytest.fixture(scope="module")
def estate() -> Template:
    return _build({**ARGS, **CMK})


@pytest.mark.parametrize(("sku", "kty"), [("premium", "RSA-HSM"), ("standard", "RSA")])
def test_key_type_follows_the_vault_sku(sku: str, kty: str) -> None:
    assert cmk_key_type(sku) == kty


def test_the_key_is_hsm_backed_rotated_and_protected(estate: Template) -> None:
    (vault,) = estate.find_resources(KV)
    assert vault["inputs"]["properties"]["sku"] == {"family": "A", "name": "premium"}
    assert vault["inputs"]["properties"]["enablePurgeProtection"] is True
    assert vault["inputs"]["properties"]["enableSoftDelete"] is True
    (key,) = estate.find_resources(KEY)
    assert key["inputs"]["keyName"] == "workspace-cmk"
    assert key["inputs"]["vaultName"] == "kv-x"
    assert key["inputs"]["properties"] == {
        "kty": "RSA-HSM",
        "keySize": 3072,
        "keyOps": ["wrapKey", "unwrapKey"],
        "attributes": {"enabled": True, "exportable": False},
        "rotationPolicy": {
            "attributes": {"expiryTime": CMK_EXPIRES_AFTER},
            "lifetimeActions": [
                {"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": CMK_ROTATE_AFTER}},
                {"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}},
            ],
        },
    }
    assert key["protect"] is True and key["retainOnDelete"] is True


def test_the_cmk_identity_holds_one_role_on_the_key_only(estate: Template) -> None:
    (identity,) = estate.find_resources(UAI, {"resourceName": "id-cmk-x"})
    (key,) = estate.find_resources(KEY)
    grants = [
        r
        for r in estate.find_resources(RA)
        if r["inputs"]["principalId"] == identity["outputs"]["principalId"]
    ]
    assert len(grants) == 1
    assert grants[0]["inputs"]["scope"] == key["id"]
    assert grants[0]["inputs"]["roleDefinitionId"].endswith(
        "/" + roles.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER.guid
    )


def test_workspace_storage_and_registry_encrypt_with_the_key(estate: Template) -> None:
    (identity,) = estate.find_resources(UAI, {"resourceName": "id-cmk-x"})
    (key,) = estate.find_resources(KEY)
    (grant,) = [r for r in estate.find_resources(RA) if r["name"] == "ws-cmk-crypto"]
    key_uri = "https://kv-x.vault.azure.net/keys/workspace-cmk"
    (account,) = estate.find_resources(ST)
    assert account["inputs"]["encryption"]["keySource"] == "Microsoft.Keyvault"
    assert account["inputs"]["encryption"]["keyVaultProperties"] == {
        "keyName": "workspace-cmk",
        "keyVaultUri": "https://kv-x.vault.azure.net/",
    }
    assert account["inputs"]["encryption"]["encryptionIdentity"] == {
        "encryptionUserAssignedIdentity": identity["id"]
    }
    assert account["inputs"]["encryption"]["requireInfrastructureEncryption"] is True
    assert account["inputs"]["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": [identity["id"]],
    }
    (registry,) = estate.find_resources(CR)
    assert registry["inputs"]["encryption"] == {
        "status": "enabled",
        "keyVaultProperties": {"keyIdentifier": key_uri, "identity": identity["outputs"]["clientId"]},
    }
    assert registry["inputs"]["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": {identity["id"]: {}},
    }
    (workspace,) = estate.find_resources(MLW)
    assert workspace["inputs"]["encryption"] == {
        "status": "Enabled",
        "keyVaultProperties": {
            "keyVaultArmId": estate.find_resources(KV)[0]["id"],
            "keyIdentifier": key_uri,
            "identityClientId": identity["outputs"]["clientId"],
        },
        "identity": {"userAssignedIdentity": identity["id"]},
    }
    assert workspace["inputs"]["identity"]["type"] == "SystemAssigned,UserAssigned"
    # Created after the identity may use the key; the create-only encryption replaces on change.
    for resource in (account, registry, workspace):
        assert grant["urn"] in resource["dependencies"]
    assert workspace["replaceOnChanges"] == ["encryption"]
    assert registry["replaceOnChanges"] == ["encryption"]
    assert account["replaceOnChanges"] == []
    assert key["id"].endswith("/providers/Microsoft.KeyVault/vaults/kv-x/keys/workspace-cmk")


def test_without_the_setting_nothing_changes() -> None:
    plain = _build(ARGS)
    assert plain.find_resources(KEY) == []
    assert plain.find_resources(UAI) == []
    (account,) = plain.find_resources(ST)
    assert account["inputs"]["encryption"]["keySource"] == "Microsoft.Storage"
    (workspace,) = plain.find_resources(MLW)
    assert "encryption" not in workspace["inputs"]
    assert workspace["inputs"]["identity"] == {"type": "SystemAssigned"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {**CMK, "container_registry_sku": "Standard"},
            "MlWorkspace args.container_registry_sku: 'Standard': a customer-managed key needs Premium",
        ),
        ({"key_vault_sku": "gold"}, "MlWorkspace args.key_vault_sku: 'gold' is not one of standard, premium"),
        (
            {"customer_managed_key": {"identity_name": ""}},
            "MlWorkspace args.customer_managed_key.identity_name: is required",
        ),
    ],
)
def test_bad_cmk_args_are_refused(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _build({**ARGS, **extra})
    assert str(caught.value) == message


# --- the pack rule --------------------------------------------------------------------------------

RULE = [p for p in ALL_POLICIES if p.name == "prod-customer-managed-keys"]
RG = f"/subscriptions/{SUB}/resourceGroups/rg-x/providers"


def _estate(*, encrypted_storage: bool = True, with_key: bool = True) -> list[dict[str, Any]]:
    encryption = {
        "keySource": "Microsoft.Keyvault",
        "encryptionIdentity": {"encryptionUserAssignedIdentity": "uai"},
    }
    resources = [
        _entry(
            "azure-native:machinelearningservices:Workspace",
            "ws-mlw",
            {
                "keyVault": f"{RG}/Microsoft.KeyVault/vaults/kv-x",
                "storageAccount": f"{RG}/Microsoft.Storage/storageAccounts/stx",
                "containerRegistry": f"{RG}/Microsoft.ContainerRegistry/registries/crx",
                "encryption": {
                    "status": "Enabled",
                    "keyVaultProperties": {"keyIdentifier": "https://kv-x.vault.azure.net/keys/k"},
                    "identity": {"userAssignedIdentity": "uai"},
                },
            },
        ),
        _entry(
            "azure-native:storage:StorageAccount",
            "ws-st",
            {
                "accountName": "stx",
                "encryption": encryption if encrypted_storage else {"keySource": "Microsoft.Storage"},
            },
        ),
        _entry(
            "azure-native:containerregistry:Registry",
            "ws-cr",
            {
                "registryName": "crx",
                "encryption": {"status": "enabled", "keyVaultProperties": {"keyIdentifier": "k"}},
            },
        ),
    ]
    if with_key:
        resources.append(_entry(KEY, "ws-cmk", {"vaultName": "kv-x", "keyName": "k"}))
    return resources


def test_a_fully_encrypted_prod_estate_passes() -> None:
    assert evaluate(_estate(), environment="prod", enforcement="mandatory", policies=RULE) == []


def test_a_half_encrypted_prod_estate_fails() -> None:
    found = [
        v.message
        for v in evaluate(
            _estate(encrypted_storage=False), environment="prod", enforcement="mandatory", policies=RULE
        )
    ]
    assert sorted(found) == [
        "azure-native:storage:StorageAccount 'ws-st': "
        "`encryption.encryptionIdentity.encryptionUserAssignedIdentity` is absent; expected set",
        "azure-native:storage:StorageAccount 'ws-st': `encryption.keySource` is \"Microsoft.Storage\"; "
        'expected "Microsoft.Keyvault"',
    ]


@pytest.mark.parametrize(("environment", "with_key"), [("qa", True), ("prod", False)])
def test_the_rule_applies_to_prod_with_its_key_only(environment: str, with_key: bool) -> None:
    plan = _estate(encrypted_storage=False, with_key=with_key)
    assert evaluate(plan, environment=environment, enforcement="mandatory", policies=RULE) == []
