"""Secure baseline resources of every type the rules check, built with the real SDK classes.

``build(kind, env, overrides)`` constructs one resource of a kind with the estate's secure
settings (snake_case SDK arguments, deep-merged with ``overrides``; :data:`REMOVE` drops a key)
and an explicit provider. It must run inside a program passed to ``sdk_capture.capture``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_azure_native as azure
import pulumi_azuredevops as ado

REMOVE: Any = object()
"""Override value that deletes the key from the baseline."""

LA_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-estate/providers/"
    "Microsoft.OperationalInsights/workspaces/log-estate-shared"
)
REGISTRY_MODEL = "azureml://registries/mlreg-estate/models/diabetes/versions/3"
READER_ROLE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/"
    "roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
)
OWNER_ROLE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/"
    "roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
)


def tags(env: str) -> dict[str, str]:
    """The estate's required tags for a stack."""
    return {
        "environment": env,
        "workload": "mlops",
        "owner": "ml-platform",
        "costCenter": "cc-4711",
        "managedBy": "pulumi",
    }


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` deep-merged into it (:data:`REMOVE` deletes a key)."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is REMOVE:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class Providers:
    """Explicit providers, created once per program."""

    def __init__(self) -> None:
        self._azure: azure.Provider | None = None
        self._ado: ado.Provider | None = None

    def azure(self) -> azure.Provider:
        if self._azure is None:
            self._azure = azure.Provider("azure-estate")
        return self._azure

    def ado(self) -> ado.Provider:
        if self._ado is None:
            self._ado = ado.Provider("ado-estate", org_service_url="https://dev.azure.com/contoso")
        return self._ado


def _storage(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "account_name": "stestateprod01",
        "kind": "StorageV2",
        "sku": {"name": "Standard_ZRS"},
        "allow_shared_key_access": False,
        "allow_blob_public_access": False,
        "minimum_tls_version": "TLS1_2",
        "enable_https_traffic_only": True,
        "public_network_access": "Disabled",
        "network_rule_set": {"default_action": "Deny", "bypass": "AzureServices"},
        "encryption": {"require_infrastructure_encryption": True, "key_source": "Microsoft.Storage"},
        "tags": tags(env),
    }


def _key_vault(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "vault_name": "kv-estate-prod-01",
        "properties": {
            "tenant_id": "11111111-1111-1111-1111-111111111111",
            "sku": {"family": "A", "name": "premium"},
            "enable_rbac_authorization": True,
            "enable_purge_protection": True,
            "enable_soft_delete": True,
            "soft_delete_retention_in_days": 90,
            "public_network_access": "Disabled",
            "network_acls": {"default_action": "Deny", "bypass": "AzureServices"},
        },
        "tags": tags(env),
    }


def _acr(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "registry_name": "crestateprod01",
        "sku": {"name": "Premium"},
        "admin_user_enabled": False,
        "anonymous_pull_enabled": False,
        "public_network_access": "Disabled",
        "policies": {"export_policy": {"status": "disabled"}},
        "tags": tags(env),
    }


def _aml_workspace(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "workspace_name": "mlw-estate-prod",
        "public_network_access": "Disabled",
        "managed_network": {"isolation_mode": "AllowOnlyApprovedOutbound"},
        "system_datastores_auth_mode": "identity",
        "identity": {"type": "SystemAssigned"},
        "tags": tags(env),
    }


def _aml_registry(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "registry_name": "mlreg-estate",
        "public_network_access": "Disabled",
        "region_details": [{"location": "westeurope"}],
        "identity": {"type": "SystemAssigned"},
        "tags": tags(env),
    }


def _aks(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "resource_name_": "aks-estate-prod",
        "enable_rbac": True,
        "disable_local_accounts": True,
        "aad_profile": {"managed": True, "enable_azure_rbac": True},
        "api_server_access_profile": {"enable_private_cluster": True},
        "network_profile": {"network_plugin": "azure", "network_policy": "azure"},
        "oidc_issuer_profile": {"enabled": True},
        "security_profile": {"workload_identity": {"enabled": True}},
        "auto_upgrade_profile": {"upgrade_channel": "stable", "node_os_upgrade_channel": "NodeImage"},
        "addon_profiles": {
            "omsagent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": LA_ID}}
        },
        "tags": tags(env),
    }


def _app_insights(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "resource_name_": "appi-estate-prod",
        "kind": "web",
        "application_type": "web",
        "disable_local_auth": True,
        "workspace_resource_id": LA_ID,
        "tags": tags(env),
    }


def _log_analytics(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "workspace_name": "log-estate-prod",
        "features": {"disable_local_auth": True},
        "tags": tags(env),
    }


def _function_app(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "name": "func-estate-prod",
        "kind": "functionapp,linux",
        "https_only": True,
        "site_config": {
            "min_tls_version": "1.2",
            "ftps_state": "Disabled",
            "remote_debugging_enabled": False,
            "cors": {"allowed_origins": ["https://ml.contoso.com"]},
            "linux_fx_version": "DOCKER|crestateprod01.azurecr.io/retrain:1.4.2",
        },
        "tags": tags(env),
    }


def _vmss(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "vm_scale_set_name": "vmss-ado-prod",
        "orchestration_mode": "Uniform",
        "overprovision": False,
        "upgrade_policy": {"mode": "Manual"},
        "sku": {"name": "Standard_D4s_v5", "capacity": 0},
        "virtual_machine_profile": {
            "security_profile": {
                "encryption_at_host": True,
                "security_type": "TrustedLaunch",
                "uefi_settings": {"secure_boot_enabled": True, "v_tpm_enabled": True},
            },
            "os_profile": {
                "computer_name_prefix": "ado",
                "admin_username": "azureuser",
                "linux_configuration": {
                    "disable_password_authentication": True,
                    "ssh": {
                        "public_keys": [
                            {
                                "path": "/home/azureuser/.ssh/authorized_keys",
                                "key_data": "ssh-ed25519 AAAAC3Nza",
                            }
                        ]
                    },
                },
            },
            "network_profile": {
                "network_interface_configurations": [
                    {
                        "name": "nic",
                        "primary": True,
                        "ip_configurations": [{"name": "ipconfig", "subnet": {"id": "/subnets/agents"}}],
                    }
                ]
            },
        },
        "tags": tags(env),
    }


def _databricks(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "workspace_name": "dbw-estate-prod",
        "managed_resource_group_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dbw",
        "parameters": {"enable_no_public_ip": {"value": True}},
        "tags": tags(env),
    }


def _data_factory(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "factory_name": "adf-estate-prod",
        "identity": {"type": "SystemAssigned"},
        "tags": tags(env),
    }


def _role_assignment(env: str) -> dict[str, Any]:
    return {
        "scope": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-estate",
        "principal_id": "22222222-2222-2222-2222-222222222222",
        "principal_type": "ServicePrincipal",
        "role_definition_id": READER_ROLE,
    }


def _online_deployment(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "workspace_name": "mlw-estate-prod",
        "endpoint_name": "diabetes-online",
        "deployment_name": "blue",
        "sku": {"name": "Default", "capacity": 1},
        "model": REGISTRY_MODEL,
        "environment_id": "azureml://registries/mlreg-estate/environments/sklearn/versions/2",
        "tags": tags(env),
    }


def _batch_deployment(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "workspace_name": "mlw-estate-prod",
        "endpoint_name": "diabetes-batch",
        "deployment_name": "nightly",
        "asset_id": REGISTRY_MODEL,
        "tags": tags(env),
    }


def _environment_version(env: str) -> dict[str, Any]:
    return {
        "resource_group_name": "rg-estate",
        "workspace_name": "mlw-estate-prod",
        "name": "sklearn",
        "version": "2",
        "properties": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20250601.v1"},
    }


def _azurerm_connection(env: str) -> dict[str, Any]:
    return {
        "project_id": "33333333-3333-3333-3333-333333333333",
        "service_endpoint_name": f"azure-{env}",
        "service_endpoint_authentication_scheme": "WorkloadIdentityFederation",
        "azurerm_spn_tenantid": "11111111-1111-1111-1111-111111111111",
        "azurerm_subscription_id": "00000000-0000-0000-0000-000000000000",
        "azurerm_subscription_name": "estate",
        "credentials": {"serviceprincipalid": "44444444-4444-4444-4444-444444444444"},
    }


def _github_connection(env: str) -> dict[str, Any]:
    return {
        "project_id": "33333333-3333-3333-3333-333333333333",
        "service_endpoint_name": "github",
        "auth_oauth": {"oauth_configuration_id": "55555555-5555-5555-5555-555555555555"},
    }


def _make_vault(name: str, args: dict[str, Any], opts: pulumi.ResourceOptions) -> Any:
    # VaultPropertiesArgs (not a plain dict) so the SDK fills its defaults, as the estate's code does.
    properties = azure.keyvault.VaultPropertiesArgs(**args.pop("properties"))
    return azure.keyvault.Vault(name, properties=properties, opts=opts, **args)


def _make_online(name: str, args: dict[str, Any], opts: pulumi.ResourceOptions) -> Any:
    ml = azure.machinelearningservices
    props = ml.ManagedOnlineDeploymentArgs(
        endpoint_compute_type="Managed",
        model=args.pop("model"),
        environment_id=args.pop("environment_id"),
        instance_type="Standard_DS3_v2",
    )
    return ml.OnlineDeployment(name, properties=props, opts=opts, **args)


def _make_batch(name: str, args: dict[str, Any], opts: pulumi.ResourceOptions) -> Any:
    ml = azure.machinelearningservices
    props = ml.BatchDeploymentPropertiesArgs(
        model=ml.IdAssetReferenceArgs(asset_id=args.pop("asset_id"), reference_type="Id"),
        compute="cpu-cluster",
    )
    return ml.BatchDeployment(name, properties=props, opts=opts, **args)


Kind = tuple[
    Callable[[str], dict[str, Any]], Callable[[str, dict[str, Any], pulumi.ResourceOptions], Any], str, bool
]
"""(baseline kwargs, constructor, provider family, stateful)."""

KINDS: dict[str, Kind] = {
    "storage": (_storage, lambda n, a, o: azure.storage.StorageAccount(n, opts=o, **a), "azure", True),
    "key_vault": (_key_vault, _make_vault, "azure", True),
    "acr": (_acr, lambda n, a, o: azure.containerregistry.Registry(n, opts=o, **a), "azure", True),
    "aml_workspace": (
        _aml_workspace,
        lambda n, a, o: azure.machinelearningservices.Workspace(n, opts=o, **a),
        "azure",
        True,
    ),
    "aml_registry": (
        _aml_registry,
        lambda n, a, o: azure.machinelearningservices.Registry(n, opts=o, **a),
        "azure",
        True,
    ),
    "aks": (_aks, lambda n, a, o: azure.containerservice.ManagedCluster(n, opts=o, **a), "azure", False),
    "app_insights": (
        _app_insights,
        lambda n, a, o: azure.applicationinsights.Component(n, opts=o, **a),
        "azure",
        False,
    ),
    "log_analytics": (
        _log_analytics,
        lambda n, a, o: azure.operationalinsights.Workspace(n, opts=o, **a),
        "azure",
        True,
    ),
    "function_app": (_function_app, lambda n, a, o: azure.web.WebApp(n, opts=o, **a), "azure", False),
    "vmss": (_vmss, lambda n, a, o: azure.compute.VirtualMachineScaleSet(n, opts=o, **a), "azure", False),
    "databricks": (_databricks, lambda n, a, o: azure.databricks.Workspace(n, opts=o, **a), "azure", False),
    "data_factory": (
        _data_factory,
        lambda n, a, o: azure.datafactory.Factory(n, opts=o, **a),
        "azure",
        False,
    ),
    "role_assignment": (
        _role_assignment,
        lambda n, a, o: azure.authorization.RoleAssignment(n, opts=o, **a),
        "azure",
        False,
    ),
    "online_deployment": (_online_deployment, _make_online, "azure", False),
    "batch_deployment": (_batch_deployment, _make_batch, "azure", False),
    "environment_version": (
        _environment_version,
        lambda n, a, o: azure.machinelearningservices.EnvironmentVersion(n, opts=o, **a),
        "azure",
        False,
    ),
    "azurerm_connection": (
        _azurerm_connection,
        lambda n, a, o: ado.ServiceEndpointAzureRM(n, opts=o, **a),
        "ado",
        False,
    ),
    "github_connection": (
        _github_connection,
        lambda n, a, o: ado.ServiceEndpointGitHub(n, opts=o, **a),
        "ado",
        False,
    ),
}
"""Every resource kind the fixtures can build."""


def build(
    providers: Providers,
    kind: str,
    env: str,
    overrides: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    opts: pulumi.ResourceOptions | None = None,
    explicit_provider: bool = True,
) -> Any:
    """Construct one resource of ``kind`` with the secure baseline plus ``overrides``."""
    baseline, construct, family, stateful = KINDS[kind]
    args = merge(baseline(env), overrides or {})
    provider = None
    if explicit_provider:
        provider = providers.azure() if family == "azure" else providers.ado()
    default_opts = pulumi.ResourceOptions(provider=provider, protect=stateful, retain_on_delete=stateful)
    return construct(name or kind, args, pulumi.ResourceOptions.merge(default_opts, opts))
