"""Lifecycle: state is protected and retained in locked-down stages, providers are explicit, AKS auto-upgrades."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from policy.rules import types
from policy.rules.common import (
    LOCKED_DOWN_ENVIRONMENTS,
    MISSING,
    RETAIN_ON_DELETE_OPTION,
    Finding,
    expect_text,
    resource_rule,
)

STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        types.AML_REGISTRY,
        types.AML_WORKSPACE,
        types.KEY_VAULT,
        types.STORAGE_ACCOUNT,
        types.CONTAINER_REGISTRY,
        types.LOG_ANALYTICS,
    }
)
"""Resources whose loss loses data (models, secrets, artifacts, logs)."""

PROVIDER_PACKAGES: frozenset[str] = frozenset(
    {"azure-native", "azuredevops", "databricks", "azuread", "random", "tls", "command"}
)
"""Packages whose resources are custom resources managed by a provider plugin."""


def _protect(args: ResourceValidationArgs, env: str) -> Iterator[Finding]:
    if env in LOCKED_DOWN_ENVIRONMENTS and args.opts.protect is not True:
        yield Finding("opts.protect", args.opts.protect, f"true (stateful resource in {env})")


def _retain(args: ResourceValidationArgs, env: str) -> Iterator[Finding]:
    if env not in LOCKED_DOWN_ENVIRONMENTS:
        return
    retain = getattr(args.opts, RETAIN_ON_DELETE_OPTION, None)
    if retain is None:
        args.not_applicable("retainOnDelete is not exposed to policies by the Pulumi engine")
    if retain is not True:
        yield Finding("opts.retainOnDelete", retain, f"true (stateful resource in {env})")


def _explicit_provider(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    package = args.resource_type.split(":", 1)[0]
    if package not in PROVIDER_PACKAGES:
        return
    expected = "an explicit provider resource (ResourceOptions(provider=...)), not a default provider"
    provider = args.provider
    if provider is None:
        yield Finding("opts.provider", MISSING, expected)
    elif provider.name.startswith("default"):
        yield Finding("opts.provider", provider.name, expected)


def _aks_upgrade(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "autoUpgradeProfile.upgradeChannel", "stable", "patch")
    yield from expect_text(
        args.props, "autoUpgradeProfile.nodeOSUpgradeChannel", "NodeImage", "SecurityPatch"
    )


POLICIES = [
    resource_rule(
        "protect-stateful-resources",
        "Stateful resources (registry, workspace, Key Vault, storage, ACR, Log Analytics) are protected outside dev.",
        sorted(STATEFUL_TYPES),
        _protect,
    ),
    resource_rule(
        "retain-stateful-resources",
        "Stateful resources are retained on delete outside dev.",
        sorted(STATEFUL_TYPES),
        _retain,
    ),
    resource_rule(
        "explicit-provider",
        "Every custom resource names an explicit provider.",
        [],
        _explicit_provider,
    ),
    resource_rule(
        "aks-auto-upgrade-channel",
        "AKS clusters auto-upgrade on the stable (or patch) channel and patch node images.",
        [types.AKS_CLUSTER],
        _aks_upgrade,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
    ),
]
"""The lifecycle rules, in report order."""
