"""Every rule: resources built with the real SDK that pass, and ones that fail with the exact message."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native as azure
import pytest

from policy.rules import ALL_POLICIES
from tests.policy import security_cases
from tests.policy.estate_fixtures import LA_ID, OWNER_ROLE, REMOVE, Providers, build
from tests.policy.harness import Program, one, run_rule

ST = "azure-native:storage:StorageAccount 'storage'"
KV = "azure-native:keyvault:Vault 'key_vault'"
ACR = "azure-native:containerregistry:Registry 'acr'"
MLW = "azure-native:machinelearningservices:Workspace 'aml_workspace'"
MLREG = "azure-native:machinelearningservices:Registry 'aml_registry'"
AKS = "azure-native:containerservice:ManagedCluster 'aks'"
APPI = "azure-native:applicationinsights:Component 'app_insights'"
LOG = "azure-native:operationalinsights:Workspace 'log_analytics'"
FUNC = "azure-native:web:WebApp 'function_app'"
VMSS = "azure-native:compute:VirtualMachineScaleSet 'vmss'"
DBW = "azure-native:databricks:Workspace 'databricks'"
ADF = "azure-native:datafactory:Factory 'data_factory'"
RA = "azure-native:authorization:RoleAssignment 'role_assignment'"
ONLINE = "azure-native:machinelearningservices:OnlineDeployment 'online_deployment'"
BATCH = "azure-native:machinelearningservices:BatchDeployment 'batch_deployment'"
ENVV = "azure-native:machinelearningservices:EnvironmentVersion 'environment_version'"
ARM_SC = "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM 'azurerm_connection'"
GH_SC = "azuredevops:index/serviceEndpointGitHub:ServiceEndpointGitHub 'github_connection'"

OUTSIDE_DEV = "(required outside dev; stack environment is {})"
PUBLIC_IP = {
    "virtual_machine_profile": {
        "network_profile": {
            "network_interface_configurations": [
                {
                    "name": "nic",
                    "primary": True,
                    "ip_configurations": [
                        {
                            "name": "ipconfig",
                            "subnet": {"id": "/subnets/agents"},
                            "public_ip_address_configuration": {"name": "pip"},
                        }
                    ],
                }
            ]
        }
    }
}
NO_SECRET = "expected absent (use workload identity federation, no stored credentials)"
PINNED = "expected azureml://registries/<registry>/models/<model>/versions/<number>"
IMAGE = "expected an image with an explicit tag other than latest (or a digest)"


# --- programs with more than one resource -------------------------------------------------------


def _registry_behind_endpoint(sku: str, with_endpoint: bool) -> Program:
    def program(providers: Providers, env: str) -> None:
        registry = build(providers, "acr", env, {"sku": {"name": sku}})
        if with_endpoint:
            azure.network.PrivateEndpoint(
                "pe-acr",
                resource_group_name="rg-estate",
                private_endpoint_name="pe-acr",
                subnet={"id": "/subnets/endpoints"},
                private_link_service_connections=[
                    {"name": "acr", "private_link_service_id": registry.id, "group_ids": ["registry"]}
                ],
                opts=pulumi.ResourceOptions(provider=providers.azure()),
            )

    return program


def _diagnostics(storage_setting: dict[str, Any] | None, *, la_setting: bool = True) -> Program:
    """Log Analytics + storage; diagnostic settings for each as asked."""

    def program(providers: Providers, env: str) -> None:
        opts = pulumi.ResourceOptions(provider=providers.azure())
        workspace = build(providers, "log_analytics", env)
        storage = build(providers, "storage", env)
        all_logs: list[azure.monitor.DiagnosticsLogSettingsArgsDict] = [
            {"category_group": "allLogs", "enabled": True}
        ]
        if la_setting:
            azure.monitor.DiagnosticSetting(
                "diag-log",
                name="to-log",
                resource_uri=workspace.id,
                workspace_id=workspace.id,
                logs=all_logs,
                opts=opts,
            )
        if storage_setting is not None:
            args: dict[str, Any] = {"name": "to-log", "resource_uri": storage.id}
            for key, value in storage_setting.items():
                args[key] = workspace.id if value == "<workspace>" else value
            azure.monitor.DiagnosticSetting("diag-storage", opts=opts, **args)

    return program


def _two_vaults(second_name: str) -> Program:
    def program(providers: Providers, env: str) -> None:
        first = build(providers, "key_vault", env, name="kv-a")
        build(
            providers,
            "key_vault",
            env,
            {"vault_name": second_name},
            name="kv-b",
            opts=pulumi.ResourceOptions(depends_on=[first]),
        )

    return program


# --- the table ----------------------------------------------------------------------------------------

PASSING: list[Any] = [
    pytest.param("storage-network-default-deny", one("storage"), "prod", id="storage-deny"),
    pytest.param("storage-no-public-blob-access", one("storage"), "prod", id="storage-blob"),
    pytest.param("keyvault-network-acl-deny", one("key_vault"), "prod", id="kv-acl"),
    pytest.param("keyvault-public-access-disabled", one("key_vault"), "prod", id="kv-public-prod"),
    pytest.param(
        "keyvault-public-access-disabled",
        one("key_vault", {"properties": {"public_network_access": REMOVE}}),
        "dev",
        id="kv-public-dev-allowed",
    ),
    pytest.param("acr-anonymous-pull-disabled", one("acr"), "prod", id="acr-anon"),
    pytest.param("acr-export-policy-disabled", one("acr"), "prod", id="acr-export"),
    pytest.param(
        "acr-premium-for-private-endpoints", _registry_behind_endpoint("Premium", True), "prod", id="acr-pe"
    ),
    pytest.param(
        "acr-premium-for-private-endpoints",
        _registry_behind_endpoint("Standard", False),
        "prod",
        id="acr-no-pe",
    ),
    pytest.param("aml-workspace-public-access-disabled", one("aml_workspace"), "qa", id="mlw-public-qa"),
    pytest.param(
        "aml-workspace-public-access-disabled",
        one("aml_workspace", {"public_network_access": "Enabled"}),
        "dev",
        id="mlw-public-dev-allowed",
    ),
    pytest.param("aml-workspace-managed-network-isolation", one("aml_workspace"), "prod", id="mlw-network"),
    pytest.param("aml-registry-public-access-disabled", one("aml_registry"), "shared", id="mlreg-public"),
    pytest.param(
        "aml-registry-public-access-disabled",
        one("aml_registry", {"public_network_access": "Enabled"}),
        "dev",
        id="mlreg-public-dev-allowed",
    ),
    pytest.param("aks-private-cluster", one("aks"), "prod", id="aks-private"),
    pytest.param(
        "aks-private-cluster",
        one("aks", {"api_server_access_profile": REMOVE}),
        "dev",
        id="aks-private-dev-allowed",
    ),
    pytest.param("aks-network-policy", one("aks"), "prod", id="aks-netpol"),
    pytest.param("function-app-no-wildcard-cors", one("function_app"), "prod", id="func-cors"),
    pytest.param("function-app-no-remote-debugging", one("function_app"), "prod", id="func-debug"),
    pytest.param(
        "function-app-no-remote-debugging",
        one("function_app", {"site_config": {"remote_debugging_enabled": REMOVE}}),
        "prod",
        id="func-debug-absent",
    ),
    pytest.param("vmss-no-public-ip", one("vmss"), "prod", id="vmss-pip"),
    pytest.param("databricks-no-public-ip", one("databricks"), "prod", id="dbw-npip"),
    pytest.param("storage-shared-key-disabled", one("storage"), "prod", id="storage-keys"),
    pytest.param("keyvault-rbac-authorization", one("key_vault"), "prod", id="kv-rbac"),
    pytest.param("acr-admin-user-disabled", one("acr"), "prod", id="acr-admin"),
    pytest.param("aml-workspace-identity-datastores", one("aml_workspace"), "prod", id="mlw-datastores"),
    pytest.param("aml-workspace-managed-identity", one("aml_workspace"), "prod", id="mlw-identity"),
    pytest.param("aks-local-accounts-disabled", one("aks"), "prod", id="aks-local"),
    pytest.param("aks-entra-azure-rbac", one("aks"), "prod", id="aks-rbac"),
    pytest.param("aks-workload-identity", one("aks"), "prod", id="aks-wi"),
    pytest.param("appinsights-local-auth-disabled", one("app_insights"), "prod", id="appi-auth"),
    pytest.param("log-analytics-local-auth-disabled", one("log_analytics"), "prod", id="log-auth"),
    pytest.param("vmss-password-auth-disabled", one("vmss"), "prod", id="vmss-password"),
    pytest.param("data-factory-managed-identity", one("data_factory"), "prod", id="adf-identity"),
    pytest.param("role-assignment-least-privilege", one("role_assignment"), "prod", id="ra-reader"),
    pytest.param(
        "role-assignment-least-privilege",
        one("role_assignment", {"role_definition_id": OWNER_ROLE, "principal_type": "Group"}),
        "prod",
        id="ra-owner-for-people",
    ),
    pytest.param("storage-min-tls-1-2", one("storage"), "prod", id="storage-tls"),
    pytest.param("storage-https-only", one("storage"), "prod", id="storage-https"),
    pytest.param("storage-infrastructure-encryption", one("storage"), "prod", id="storage-infra"),
    pytest.param("keyvault-purge-protection", one("key_vault"), "prod", id="kv-purge"),
    pytest.param("keyvault-soft-delete-90-days", one("key_vault"), "prod", id="kv-soft-delete"),
    pytest.param(
        "keyvault-soft-delete-90-days",
        one(
            "key_vault",
            {"properties": {"enable_soft_delete": REMOVE, "soft_delete_retention_in_days": REMOVE}},
        ),
        "prod",
        id="kv-soft-delete-sdk-defaults",
    ),
    pytest.param("function-app-https-only", one("function_app"), "prod", id="func-https"),
    pytest.param("function-app-min-tls-1-2", one("function_app"), "prod", id="func-tls"),
    pytest.param("function-app-ftps-disabled", one("function_app"), "prod", id="func-ftps"),
    pytest.param("vmss-encryption-at-host", one("vmss"), "prod", id="vmss-host-enc"),
    pytest.param("vmss-trusted-launch", one("vmss"), "prod", id="vmss-tl"),
    pytest.param(
        "diagnostics-everywhere",
        _diagnostics(
            {"workspace_id": "<workspace>", "metrics": [{"category": "Transaction", "enabled": True}]}
        ),
        "prod",
        id="diag-in-stack",
    ),
    pytest.param(
        "diagnostics-everywhere",
        _diagnostics({"workspace_id": LA_ID, "metrics": [{"category": "Transaction", "enabled": True}]}),
        "prod",
        id="diag-shared-workspace-id",
    ),
    pytest.param("appinsights-workspace-based", one("app_insights"), "prod", id="appi-workspace"),
    pytest.param("aks-monitoring-addon", one("aks"), "prod", id="aks-oms"),
    pytest.param("protect-stateful-resources", one("storage"), "prod", id="protect"),
    pytest.param(
        "protect-stateful-resources",
        one("storage", opts=pulumi.ResourceOptions(protect=False)),
        "dev",
        id="protect-dev-allowed",
    ),
    pytest.param("retain-stateful-resources", one("key_vault"), "qa", id="retain"),
    pytest.param("explicit-provider", one("storage"), "prod", id="provider-azure"),
    pytest.param("explicit-provider", one("github_connection"), "prod", id="provider-ado"),
    pytest.param("aks-auto-upgrade-channel", one("aks"), "prod", id="aks-upgrade"),
    *[
        pytest.param("azure-resource-names", one(kind), "prod", id=f"name-{kind}")
        for kind in (
            "storage",
            "key_vault",
            "acr",
            "aml_workspace",
            "aml_registry",
            "aks",
            "app_insights",
            "log_analytics",
            "function_app",
            "vmss",
            "databricks",
            "data_factory",
        )
    ],
    pytest.param("unique-global-names", _two_vaults("kv-estate-prod-02"), "prod", id="unique-names"),
    pytest.param(
        "ml-deployment-no-latest-reference", one("online_deployment"), "prod", id="online-no-latest"
    ),
    pytest.param("ml-deployment-no-latest-reference", one("batch_deployment"), "prod", id="batch-no-latest"),
    pytest.param("ml-deployment-pinned-registry-model", one("online_deployment"), "prod", id="online-pinned"),
    pytest.param("ml-deployment-pinned-registry-model", one("batch_deployment"), "prod", id="batch-pinned"),
    pytest.param("container-image-not-latest", one("environment_version"), "prod", id="image-tag"),
    pytest.param("container-image-not-latest", one("function_app"), "prod", id="image-fx-tag"),
    pytest.param(
        "container-image-not-latest",
        one(
            "environment_version",
            {"properties": {"image": "mcr.microsoft.com/azureml/sklearn@sha256:" + "a" * 64}},
        ),
        "prod",
        id="image-digest",
    ),
    pytest.param("required-tags", one("storage"), "prod", id="tags"),
    pytest.param("required-tags", one("role_assignment"), "prod", id="tags-not-taggable"),
    pytest.param("ado-azurerm-workload-identity-federation", one("azurerm_connection"), "prod", id="ado-wif"),
    pytest.param(
        "ado-service-connection-no-secrets", one("azurerm_connection"), "prod", id="ado-arm-no-secret"
    ),
    pytest.param("ado-service-connection-no-secrets", one("github_connection"), "prod", id="ado-gh-oauth"),
]

FAILING: list[Any] = [
    pytest.param(
        "storage-network-default-deny",
        one("storage", {"network_rule_set": {"default_action": "Allow"}}),
        "prod",
        [f'{ST}: `networkRuleSet.defaultAction` is "Allow"; expected "Deny"'],
        id="storage-deny",
    ),
    pytest.param(
        "storage-no-public-blob-access",
        one("storage", {"allow_blob_public_access": True}),
        "prod",
        [f"{ST}: `allowBlobPublicAccess` is true; expected false"],
        id="storage-blob",
    ),
    pytest.param(
        "keyvault-network-acl-deny",
        one("key_vault", {"properties": {"network_acls": REMOVE}}),
        "prod",
        [f'{KV}: `properties.networkAcls.defaultAction` is absent; expected "Deny"'],
        id="kv-acl",
    ),
    pytest.param(
        "keyvault-public-access-disabled",
        one("key_vault", {"properties": {"public_network_access": REMOVE}}),
        "prod",
        [
            f'{KV}: `properties.publicNetworkAccess` is "enabled"; expected "Disabled" {OUTSIDE_DEV.format("prod")}'
        ],
        id="kv-public-sdk-default",
    ),
    pytest.param(
        "acr-anonymous-pull-disabled",
        one("acr", {"anonymous_pull_enabled": True}),
        "prod",
        [f"{ACR}: `anonymousPullEnabled` is true; expected false"],
        id="acr-anon",
    ),
    pytest.param(
        "acr-export-policy-disabled",
        one("acr", {"policies": REMOVE}),
        "prod",
        [f'{ACR}: `policies.exportPolicy.status` is absent; expected "disabled"'],
        id="acr-export",
    ),
    pytest.param(
        "acr-premium-for-private-endpoints",
        _registry_behind_endpoint("Standard", True),
        "prod",
        [f'{ACR}: `sku.name` is "Standard"; expected "Premium" (a private endpoint targets this registry)'],
        id="acr-pe-standard",
    ),
    pytest.param(
        "aml-workspace-public-access-disabled",
        one("aml_workspace", {"public_network_access": "Enabled"}),
        "qa",
        [f'{MLW}: `publicNetworkAccess` is "Enabled"; expected "Disabled" {OUTSIDE_DEV.format("qa")}'],
        id="mlw-public",
    ),
    pytest.param(
        "aml-workspace-managed-network-isolation",
        one("aml_workspace", {"managed_network": {"isolation_mode": "AllowInternetOutbound"}}),
        "prod",
        [
            f'{MLW}: `managedNetwork.isolationMode` is "AllowInternetOutbound"; expected "AllowOnlyApprovedOutbound"'
        ],
        id="mlw-network",
    ),
    pytest.param(
        "aml-registry-public-access-disabled",
        one("aml_registry", {"public_network_access": "Enabled"}),
        "shared",
        [f'{MLREG}: `publicNetworkAccess` is "Enabled"; expected "Disabled" {OUTSIDE_DEV.format("shared")}'],
        id="mlreg-public",
    ),
    pytest.param(
        "aks-private-cluster",
        one("aks", {"api_server_access_profile": {"enable_private_cluster": False}}),
        "prod",
        [
            f"{AKS}: `apiServerAccessProfile.enablePrivateCluster` is false; expected true {OUTSIDE_DEV.format('prod')}"
        ],
        id="aks-private",
    ),
    pytest.param(
        "aks-network-policy",
        one("aks", {"network_profile": {"network_policy": REMOVE}}),
        "prod",
        [f'{AKS}: `networkProfile.networkPolicy` is absent; expected "azure" or "cilium" or "calico"'],
        id="aks-netpol",
    ),
    pytest.param(
        "function-app-no-wildcard-cors",
        one("function_app", {"site_config": {"cors": {"allowed_origins": ["https://ml.contoso.com", "*"]}}}),
        "prod",
        [
            f'{FUNC}: `siteConfig.cors.allowedOrigins` is ["https://ml.contoso.com", "*"]; expected explicit origins without "*"'
        ],
        id="func-cors",
    ),
    pytest.param(
        "function-app-no-remote-debugging",
        one("function_app", {"site_config": {"remote_debugging_enabled": True}}),
        "prod",
        [f"{FUNC}: `siteConfig.remoteDebuggingEnabled` is true; expected false or absent"],
        id="func-debug",
    ),
    pytest.param(
        "vmss-no-public-ip",
        one("vmss", PUBLIC_IP),
        "prod",
        [
            f"{VMSS}: `virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0].ipConfigurations[0]"
            '.publicIPAddressConfiguration` is {"name": "pip"}; expected absent (agents reach out through the VNet, '
            "no public IP)"
        ],
        id="vmss-pip",
    ),
    pytest.param(
        "databricks-no-public-ip",
        one("databricks", {"parameters": {"enable_no_public_ip": {"value": False}}}),
        "prod",
        [f"{DBW}: `parameters.enableNoPublicIp.value` is false; expected true"],
        id="dbw-npip",
    ),
    pytest.param(
        "storage-shared-key-disabled",
        one("storage", {"allow_shared_key_access": REMOVE}),
        "prod",
        [f"{ST}: `allowSharedKeyAccess` is absent; expected false"],
        id="storage-keys",
    ),
    pytest.param(
        "keyvault-rbac-authorization",
        one("key_vault", {"properties": {"enable_rbac_authorization": False}}),
        "prod",
        [f"{KV}: `properties.enableRbacAuthorization` is false; expected true"],
        id="kv-rbac",
    ),
    pytest.param(
        "acr-admin-user-disabled",
        one("acr", {"admin_user_enabled": True}),
        "prod",
        [f"{ACR}: `adminUserEnabled` is true; expected false"],
        id="acr-admin",
    ),
    pytest.param(
        "aml-workspace-identity-datastores",
        one("aml_workspace", {"system_datastores_auth_mode": "accessKey"}),
        "prod",
        [f'{MLW}: `systemDatastoresAuthMode` is "accessKey"; expected "identity"'],
        id="mlw-datastores",
    ),
    pytest.param(
        "aml-workspace-managed-identity",
        one("aml_workspace", {"identity": REMOVE}),
        "prod",
        [
            f'{MLW}: `identity.type` is absent; expected "SystemAssigned" or "UserAssigned" or '
            '"SystemAssigned,UserAssigned" or "SystemAssigned, UserAssigned"'
        ],
        id="mlw-identity",
    ),
    pytest.param(
        "aks-local-accounts-disabled",
        one("aks", {"disable_local_accounts": False}),
        "prod",
        [f"{AKS}: `disableLocalAccounts` is false; expected true"],
        id="aks-local",
    ),
    pytest.param(
        "aks-entra-azure-rbac",
        one("aks", {"aad_profile": REMOVE}),
        "prod",
        [
            f"{AKS}: `aadProfile.enableAzureRBAC` is absent; expected true",
            f"{AKS}: `aadProfile.managed` is absent; expected true",
        ],
        id="aks-rbac",
    ),
    pytest.param(
        "aks-workload-identity",
        one("aks", {"security_profile": REMOVE, "oidc_issuer_profile": {"enabled": False}}),
        "prod",
        [
            f"{AKS}: `oidcIssuerProfile.enabled` is false; expected true",
            f"{AKS}: `securityProfile.workloadIdentity.enabled` is absent; expected true",
        ],
        id="aks-wi",
    ),
    pytest.param(
        "appinsights-local-auth-disabled",
        one("app_insights", {"disable_local_auth": False}),
        "prod",
        [f"{APPI}: `disableLocalAuth` is false; expected true"],
        id="appi-auth",
    ),
    pytest.param(
        "log-analytics-local-auth-disabled",
        one("log_analytics", {"features": REMOVE}),
        "prod",
        [f"{LOG}: `features.disableLocalAuth` is absent; expected true"],
        id="log-auth",
    ),
    pytest.param(
        "vmss-password-auth-disabled",
        one(
            "vmss",
            {
                "virtual_machine_profile": {
                    "os_profile": {
                        "admin_password": "Sup3r-Secret!",
                        "linux_configuration": {"disable_password_authentication": False},
                    }
                }
            },
        ),
        "prod",
        [
            f'{VMSS}: `virtualMachineProfile.osProfile.adminPassword` is "[secret]"; expected absent (SSH keys only)',
            f"{VMSS}: `virtualMachineProfile.osProfile.linuxConfiguration.disablePasswordAuthentication` is false; "
            "expected true",
        ],
        id="vmss-password",
    ),
    pytest.param(
        "data-factory-managed-identity",
        one("data_factory", {"identity": REMOVE}),
        "prod",
        [
            f'{ADF}: `identity.type` is absent; expected "SystemAssigned" or "UserAssigned" or '
            '"SystemAssigned,UserAssigned" or "SystemAssigned, UserAssigned"'
        ],
        id="adf-identity",
    ),
    pytest.param(
        "role-assignment-least-privilege",
        one("role_assignment", {"role_definition_id": OWNER_ROLE}),
        "prod",
        [
            f'{RA}: `roleDefinitionId` is "{OWNER_ROLE}"; expected a least-privilege role, not Owner '
            '(8e3af657-a8ff-443c-a75c-2fe8c4bcb635), for principalType "ServicePrincipal" (only Entra groups of people '
            "may hold it)"
        ],
        id="ra-owner",
    ),
    pytest.param(
        "role-assignment-least-privilege",
        one(
            "role_assignment",
            {
                "role_definition_id": "/providers/Microsoft.Authorization/roleDefinitions/B24988AC-6180-42A0-AB88-20F7382DD24C",
                "principal_type": REMOVE,
            },
        ),
        "prod",
        [
            f'{RA}: `roleDefinitionId` is "/providers/Microsoft.Authorization/roleDefinitions/'
            'B24988AC-6180-42A0-AB88-20F7382DD24C"; expected a least-privilege role, not Contributor '
            '(b24988ac-6180-42a0-ab88-20f7382dd24c), for principalType "User" (only Entra groups of people may '
            "hold it)"
        ],
        id="ra-contributor-sdk-default-user",
    ),
    pytest.param(
        "storage-min-tls-1-2",
        one("storage", {"minimum_tls_version": "TLS1_0"}),
        "prod",
        [f'{ST}: `minimumTlsVersion` is "TLS1_0"; expected "TLS1_2" or "TLS1_3"'],
        id="storage-tls",
    ),
    pytest.param(
        "storage-https-only",
        one("storage", {"enable_https_traffic_only": False}),
        "prod",
        [f"{ST}: `enableHttpsTrafficOnly` is false; expected true"],
        id="storage-https",
    ),
    pytest.param(
        "storage-infrastructure-encryption",
        one("storage", {"encryption": {"require_infrastructure_encryption": REMOVE}}),
        "prod",
        [f"{ST}: `encryption.requireInfrastructureEncryption` is absent; expected true"],
        id="storage-infra",
    ),
    pytest.param(
        "keyvault-purge-protection",
        one("key_vault", {"properties": {"enable_purge_protection": REMOVE}}),
        "prod",
        [f"{KV}: `properties.enablePurgeProtection` is absent; expected true"],
        id="kv-purge",
    ),
    pytest.param(
        "keyvault-soft-delete-90-days",
        one("key_vault", {"properties": {"soft_delete_retention_in_days": 7}}),
        "prod",
        [f"{KV}: `properties.softDeleteRetentionInDays` is 7; expected 90"],
        id="kv-soft-delete",
    ),
    pytest.param(
        "function-app-https-only",
        one("function_app", {"https_only": False}),
        "prod",
        [f"{FUNC}: `httpsOnly` is false; expected true"],
        id="func-https",
    ),
    pytest.param(
        "function-app-min-tls-1-2",
        one("function_app", {"site_config": {"min_tls_version": "1.0"}}),
        "prod",
        [f'{FUNC}: `siteConfig.minTlsVersion` is "1.0"; expected "1.2" or "1.3"'],
        id="func-tls",
    ),
    pytest.param(
        "function-app-ftps-disabled",
        one("function_app", {"site_config": {"ftps_state": "AllAllowed"}}),
        "prod",
        [f'{FUNC}: `siteConfig.ftpsState` is "AllAllowed"; expected "Disabled"'],
        id="func-ftps",
    ),
    pytest.param(
        "vmss-encryption-at-host",
        one("vmss", {"virtual_machine_profile": {"security_profile": {"encryption_at_host": False}}}),
        "prod",
        [f"{VMSS}: `virtualMachineProfile.securityProfile.encryptionAtHost` is false; expected true"],
        id="vmss-host-enc",
    ),
    pytest.param(
        "vmss-trusted-launch",
        one(
            "vmss",
            {
                "virtual_machine_profile": {
                    "security_profile": {"security_type": REMOVE, "uefi_settings": {"v_tpm_enabled": False}}
                }
            },
        ),
        "prod",
        [
            f'{VMSS}: `virtualMachineProfile.securityProfile.securityType` is absent; expected "TrustedLaunch"',
            f"{VMSS}: `virtualMachineProfile.securityProfile.uefiSettings.vTpmEnabled` is false; expected true",
        ],
        id="vmss-tl",
    ),
    pytest.param(
        "diagnostics-everywhere",
        _diagnostics(None),
        "prod",
        [
            f"{ST}: `azure-native:monitor:DiagnosticSetting.resourceUri` is absent; expected a diagnostic setting "
            "whose resourceUri is this resource's id, sending to Log Analytics"
        ],
        id="diag-missing",
    ),
    pytest.param(
        "diagnostics-everywhere",
        _diagnostics(
            {
                "storage_account_id": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/starchive"
            }
        ),
        "prod",
        [
            "azure-native:monitor:DiagnosticSetting 'diag-storage': `logs` is absent; expected at least one enabled "
            "logs (allLogs) or metrics entry",
            "azure-native:monitor:DiagnosticSetting 'diag-storage': `workspaceId` is absent; expected the id of a "
            "Log Analytics workspace",
            f"{ST}: `azure-native:monitor:DiagnosticSetting.resourceUri` is absent; expected a diagnostic setting "
            "whose resourceUri is this resource's id, sending to Log Analytics",
        ],
        id="diag-not-to-log-analytics",
    ),
    pytest.param(
        "appinsights-workspace-based",
        one("app_insights", {"workspace_resource_id": REMOVE}),
        "prod",
        [
            f"{APPI}: `workspaceResourceId` is absent; expected the id of a Log Analytics workspace "
            "(workspace-based Application Insights)"
        ],
        id="appi-workspace",
    ),
    pytest.param(
        "aks-monitoring-addon",
        one("aks", {"addon_profiles": REMOVE}),
        "prod",
        [
            f"{AKS}: `addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID` is absent; expected the id of a "
            "Log Analytics workspace",
            f"{AKS}: `addonProfiles.omsagent.enabled` is absent; expected true",
        ],
        id="aks-oms",
    ),
    pytest.param(
        "protect-stateful-resources",
        one("storage", opts=pulumi.ResourceOptions(protect=False)),
        "prod",
        [f"{ST}: `opts.protect` is false; expected true (stateful resource in prod)"],
        id="protect",
    ),
    pytest.param(
        "retain-stateful-resources",
        one("key_vault", opts=pulumi.ResourceOptions(retain_on_delete=False)),
        "qa",
        [f"{KV}: `opts.retainOnDelete` is false; expected true (stateful resource in qa)"],
        id="retain",
    ),
    pytest.param(
        "explicit-provider",
        one("storage", explicit_provider=False),
        "prod",
        [
            f"{ST}: `opts.provider` is absent; expected an explicit provider resource (ResourceOptions(provider=...)), "
            "not a default provider"
        ],
        id="provider-azure",
    ),
    pytest.param(
        "explicit-provider",
        one("azurerm_connection", explicit_provider=False),
        "prod",
        [
            f"{ARM_SC}: `opts.provider` is absent; expected an explicit provider resource "
            "(ResourceOptions(provider=...)), not a default provider"
        ],
        id="provider-ado",
    ),
    pytest.param(
        "aks-auto-upgrade-channel",
        one("aks", {"auto_upgrade_profile": {"upgrade_channel": "none", "node_os_upgrade_channel": REMOVE}}),
        "prod",
        [
            f'{AKS}: `autoUpgradeProfile.nodeOSUpgradeChannel` is absent; expected "NodeImage" or "SecurityPatch"',
            f'{AKS}: `autoUpgradeProfile.upgradeChannel` is "none"; expected "stable" or "patch"',
        ],
        id="aks-upgrade",
    ),
    pytest.param(
        "azure-resource-names",
        one("storage", {"account_name": "st-estate-prod"}),
        "prod",
        [
            f'{ST}: `accountName` is "st-estate-prod"; expected an explicit name of 3-24 lower-case letters and digits'
        ],
        id="name-storage-hyphen",
    ),
    pytest.param(
        "azure-resource-names",
        one("storage", {"account_name": REMOVE}),
        "prod",
        [f"{ST}: `accountName` is absent; expected an explicit name of 3-24 lower-case letters and digits"],
        id="name-storage-autonamed",
    ),
    pytest.param(
        "azure-resource-names",
        one("key_vault", {"vault_name": "kv--estate"}),
        "prod",
        [
            f"{KV}: `vaultName` is \"kv--estate\"; expected an explicit name of 3-24 letters, digits and '-', "
            "starting with a letter, ending alphanumeric, no '--'"
        ],
        id="name-kv",
    ),
    pytest.param(
        "azure-resource-names",
        one("acr", {"registry_name": "cr-estate"}),
        "prod",
        [f'{ACR}: `registryName` is "cr-estate"; expected an explicit name of 5-50 letters and digits'],
        id="name-acr",
    ),
    pytest.param(
        "azure-resource-names",
        one("databricks", {"workspace_name": "dbw-" + "x" * 27}),
        "prod",
        [
            f'{DBW}: `workspaceName` is "dbw-{"x" * 27}"; expected an explicit name of 3-30 letters, digits, '
            "'_' and '-'"
        ],
        id="name-databricks-long",
    ),
    pytest.param(
        "azure-resource-names",
        one("vmss", {"vm_scale_set_name": "vmss-ado-"}),
        "prod",
        [
            f'{VMSS}: `vmScaleSetName` is "vmss-ado-"; expected an explicit name of 1-64 characters without '
            "\\ / [ ] : | < > + = ; , ? @ & * # or spaces, not starting with '_' or ending with '-' or '.'"
        ],
        id="name-vmss",
    ),
    pytest.param(
        "unique-global-names",
        _two_vaults("KV-Estate-Prod-01"),
        "prod",
        [
            "azure-native:keyvault:Vault 'kv-b': `vaultName` is \"KV-Estate-Prod-01\"; expected a globally unique "
            "name (already used by 'kv-a'; Azure names ignore case)"
        ],
        id="unique-names",
    ),
    pytest.param(
        "ml-deployment-no-latest-reference",
        one("online_deployment", {"environment_id": "azureml:sklearn-env@latest"}),
        "prod",
        [
            f'{ONLINE}: `properties.environmentId` is "azureml:sklearn-env@latest"; expected an explicit version, '
            "not a latest/label reference"
        ],
        id="online-env-latest",
    ),
    pytest.param(
        "ml-deployment-no-latest-reference",
        one(
            "batch_deployment",
            {"asset_id": "azureml://registries/mlreg-estate/models/diabetes/versions/latest"},
        ),
        "prod",
        [
            f'{BATCH}: `properties.model.assetId` is "azureml://registries/mlreg-estate/models/diabetes/versions/latest"; '
            "expected an explicit version, not a latest/label reference"
        ],
        id="batch-model-latest",
    ),
    pytest.param(
        "ml-deployment-pinned-registry-model",
        one("online_deployment", {"model": "azureml:diabetes:3"}),
        "prod",
        [f'{ONLINE}: `properties.model` is "azureml:diabetes:3"; {PINNED}'],
        id="online-workspace-model",
    ),
    pytest.param(
        "ml-deployment-pinned-registry-model",
        one(
            "batch_deployment",
            {"asset_id": "azureml://registries/mlreg-estate/models/diabetes/versions/champion"},
        ),
        "prod",
        [
            f'{BATCH}: `properties.model.assetId` is "azureml://registries/mlreg-estate/models/diabetes/versions/'
            f'champion"; {PINNED}'
        ],
        id="batch-label-version",
    ),
    pytest.param(
        "container-image-not-latest",
        one("environment_version", {"properties": {"image": "mcr.microsoft.com/azureml/sklearn:latest"}}),
        "prod",
        [f'{ENVV}: `properties.image` is "mcr.microsoft.com/azureml/sklearn:latest"; {IMAGE}'],
        id="image-latest",
    ),
    pytest.param(
        "container-image-not-latest",
        one(
            "function_app", {"site_config": {"linux_fx_version": "DOCKER|crestateprod01.azurecr.io/retrain"}}
        ),
        "prod",
        [f'{FUNC}: `siteConfig.linuxFxVersion` is "DOCKER|crestateprod01.azurecr.io/retrain"; {IMAGE}'],
        id="image-fx-untagged",
    ),
    pytest.param(
        "required-tags",
        one("storage", {"tags": REMOVE}),
        "prod",
        [f"{ST}: `tags` is absent; expected a map with environment, workload, owner, costCenter, managedBy"],
        id="tags-absent",
    ),
    pytest.param(
        "required-tags",
        one("storage", {"tags": {"costCenter": "", "environment": "dev", "managedBy": REMOVE}}),
        "prod",
        [
            f'{ST}: `tags.costCenter` is ""; expected a non-empty string',
            f'{ST}: `tags.environment` is "dev"; expected "prod" (the stack environment)',
            f"{ST}: `tags.managedBy` is absent; expected a non-empty string",
        ],
        id="tags-wrong",
    ),
    pytest.param(
        "ado-azurerm-workload-identity-federation",
        one("azurerm_connection", {"service_endpoint_authentication_scheme": "ServicePrincipal"}),
        "prod",
        [
            f'{ARM_SC}: `serviceEndpointAuthenticationScheme` is "ServicePrincipal"; expected "WorkloadIdentityFederation"'
        ],
        id="ado-wif",
    ),
    pytest.param(
        "ado-service-connection-no-secrets",
        one("azurerm_connection", {"credentials": {"serviceprincipalkey": "s3cret"}}),
        "prod",
        [f'{ARM_SC}: `credentials.serviceprincipalkey` is "[secret]"; {NO_SECRET}'],
        id="ado-arm-key",
    ),
    pytest.param(
        "ado-service-connection-no-secrets",
        one("github_connection", {"auth_oauth": REMOVE, "auth_personal": {"personal_access_token": "ghp_x"}}),
        "prod",
        [f'{GH_SC}: `authPersonal.personalAccessToken` is "[secret]"; {NO_SECRET}'],
        id="ado-gh-pat",
    ),
]

PASSING += security_cases.PASSING
FAILING += security_cases.FAILING


@pytest.mark.parametrize(("rule", "program", "env"), PASSING)
def test_rule_passes(rule: str, program: Program, env: str) -> None:
    assert [v.message for v in run_rule(rule, program, env)] == []


@pytest.mark.parametrize(("rule", "program", "env", "expected"), FAILING)
def test_rule_fails_with_exact_message(rule: str, program: Program, env: str, expected: list[str]) -> None:
    assert [v.message for v in run_rule(rule, program, env)] == expected


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    names = {policy.name for policy in ALL_POLICIES} - security_cases.PLAN_COVERED
    passing = {param.values[0] for param in PASSING}
    failing = {param.values[0] for param in FAILING}
    assert names - passing == set()
    assert names - failing == set()
    assert (passing | failing) - names == set()
