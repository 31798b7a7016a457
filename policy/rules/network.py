"""Network exposure: firewalls default to Deny, no public endpoints outside dev, no public IPs."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policy.rules import types
from policy.rules.common import (
    LOCKED_DOWN_ENVIRONMENTS,
    MISSING,
    Finding,
    expect_false,
    expect_text,
    expect_true,
    get_path,
    is_list,
    referenced_by,
    resource_rule,
    same_text,
    stack_rule,
)


def _stage_note(environment: str) -> str:
    return f" (required outside dev; stack environment is {environment})"


def _public_access_disabled(props: object, path: str, environment: str) -> Iterator[Finding]:
    """``Disabled`` at ``path`` in every locked-down stage; anything goes in dev."""
    if environment not in LOCKED_DOWN_ENVIRONMENTS:
        return
    value = get_path(props, path)
    if not same_text(value, "Disabled"):
        yield Finding(path, value, '"Disabled"' + _stage_note(environment))


def _storage_default_deny(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "networkRuleSet.defaultAction", "Deny")


def _storage_no_public_blob(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_false(args.props, "allowBlobPublicAccess")


def _kv_acl_deny(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "properties.networkAcls.defaultAction", "Deny")


def _kv_public_access(args: ResourceValidationArgs, env: str) -> Iterator[Finding]:
    yield from _public_access_disabled(args.props, "properties.publicNetworkAccess", env)


def _acr_anonymous_pull(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_false(args.props, "anonymousPullEnabled")


def _acr_export_policy(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "policies.exportPolicy.status", "disabled")


def _aml_workspace_public_access(args: ResourceValidationArgs, env: str) -> Iterator[Finding]:
    yield from _public_access_disabled(args.props, "publicNetworkAccess", env)


def _aml_managed_network(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "managedNetwork.isolationMode", "AllowOnlyApprovedOutbound")


def _aml_registry_public_access(args: ResourceValidationArgs, env: str) -> Iterator[Finding]:
    yield from _public_access_disabled(args.props, "publicNetworkAccess", env)


def _aks_private_cluster(args: ResourceValidationArgs, env: str) -> Iterator[Finding]:
    if env in LOCKED_DOWN_ENVIRONMENTS:
        path = "apiServerAccessProfile.enablePrivateCluster"
        value = get_path(args.props, path)
        if value is not True:
            yield Finding(path, value, "true" + _stage_note(env))


def _aks_network_policy(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "networkProfile.networkPolicy", "azure", "cilium", "calico")


def _function_cors(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    path = "siteConfig.cors.allowedOrigins"
    origins = get_path(args.props, path)
    if is_list(origins) and any(origin == "*" for origin in origins):
        yield Finding(path, origins, 'explicit origins without "*"')


def _function_remote_debugging(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_false(args.props, "siteConfig.remoteDebuggingEnabled", absent_ok=True)


def _vmss_no_public_ip(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    base = "virtualMachineProfile.networkProfile.networkInterfaceConfigurations"
    nics = get_path(args.props, base)
    if not is_list(nics):
        return
    for n, nic in enumerate(nics):
        ip_configs = get_path(nic, "ipConfigurations")
        if not is_list(ip_configs):
            continue
        for i, ip_config in enumerate(ip_configs):
            public_ip = get_path(ip_config, "publicIPAddressConfiguration")
            if public_ip is not None and public_ip is not MISSING:
                path = f"{base}[{n}].ipConfigurations[{i}].publicIPAddressConfiguration"
                yield Finding(path, public_ip, "absent (agents reach out through the VNet, no public IP)")


def _databricks_no_public_ip(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "parameters.enableNoPublicIp.value")


def _acr_premium_for_private_endpoints(
    args: StackValidationArgs, _env: str
) -> Iterator[tuple[PolicyResource, Finding]]:
    fronted: dict[str, PolicyResource] = {}
    for resource in args.resources:
        if resource.resource_type != types.PRIVATE_ENDPOINT:
            continue
        for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            for target in referenced_by(resource, key):
                if target.resource_type == types.CONTAINER_REGISTRY:
                    fronted[target.urn] = target
    for urn in sorted(fronted):
        registry = fronted[urn]
        sku = get_path(registry.props, "sku.name")
        if not same_text(sku, "Premium"):
            yield registry, Finding("sku.name", sku, '"Premium" (a private endpoint targets this registry)')


POLICIES = [
    resource_rule(
        "storage-network-default-deny",
        "Storage accounts deny network access by default (networkRuleSet.defaultAction Deny).",
        [types.STORAGE_ACCOUNT],
        _storage_default_deny,
    ),
    resource_rule(
        "storage-no-public-blob-access",
        "Storage accounts never allow anonymous public blob access.",
        [types.STORAGE_ACCOUNT],
        _storage_no_public_blob,
    ),
    resource_rule(
        "keyvault-network-acl-deny",
        "Key Vault network ACLs deny by default.",
        [types.KEY_VAULT],
        _kv_acl_deny,
    ),
    resource_rule(
        "keyvault-public-access-disabled",
        "Key Vault public network access is Disabled outside dev (private endpoint only).",
        [types.KEY_VAULT],
        _kv_public_access,
    ),
    resource_rule(
        "acr-anonymous-pull-disabled",
        "Container registries never allow anonymous pull.",
        [types.CONTAINER_REGISTRY],
        _acr_anonymous_pull,
    ),
    resource_rule(
        "acr-export-policy-disabled",
        "Container registries disable artifact export (blocks exfiltration).",
        [types.CONTAINER_REGISTRY],
        _acr_export_policy,
    ),
    stack_rule(
        "acr-premium-for-private-endpoints",
        "A container registry behind a private endpoint uses the Premium SKU.",
        _acr_premium_for_private_endpoints,
    ),
    resource_rule(
        "aml-workspace-public-access-disabled",
        "Azure ML workspaces disable public network access outside dev.",
        [types.AML_WORKSPACE],
        _aml_workspace_public_access,
    ),
    resource_rule(
        "aml-workspace-managed-network-isolation",
        "Azure ML workspaces use a managed network that allows only approved outbound traffic.",
        [types.AML_WORKSPACE],
        _aml_managed_network,
    ),
    resource_rule(
        "aml-registry-public-access-disabled",
        "The Azure ML model registry disables public network access outside dev.",
        [types.AML_REGISTRY],
        _aml_registry_public_access,
    ),
    resource_rule(
        "aks-private-cluster",
        "AKS clusters are private (no public API server) outside dev.",
        [types.AKS_CLUSTER],
        _aks_private_cluster,
    ),
    resource_rule(
        "aks-network-policy",
        "AKS clusters enforce a network policy (azure, cilium or calico).",
        [types.AKS_CLUSTER],
        _aks_network_policy,
    ),
    resource_rule(
        "function-app-no-wildcard-cors",
        'Function Apps never allow CORS from any origin ("*").',
        [types.WEB_APP],
        _function_cors,
    ),
    resource_rule(
        "function-app-no-remote-debugging",
        "Function Apps keep remote debugging off.",
        [types.WEB_APP],
        _function_remote_debugging,
    ),
    resource_rule(
        "vmss-no-public-ip",
        "Agent scale sets give their instances no public IP.",
        [types.VM_SCALE_SET],
        _vmss_no_public_ip,
    ),
    resource_rule(
        "databricks-no-public-ip",
        "Databricks workspaces use secure cluster connectivity (no public IP).",
        [types.DATABRICKS_WORKSPACE],
        _databricks_no_public_ip,
    ),
]
"""The network exposure rules, in report order."""
