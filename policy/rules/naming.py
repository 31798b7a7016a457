"""Naming: every named Azure resource has an explicit name that Azure accepts (naming-rules.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from policy.rules import types
from policy.rules.common import Finding, get_path, resource_rule, stack_rule


@dataclass(frozen=True)
class NameRule:
    """Where a type's Azure name is set, the pattern it must match, and whether it is global."""

    input: str
    pattern: re.Pattern[str]
    allowed: str
    global_scope: bool = False


def _rule(name_input: str, pattern: str, allowed: str, *, global_scope: bool = False) -> NameRule:
    return NameRule(name_input, re.compile(pattern), allowed, global_scope)


_VNET_CHARS = "letters, digits, '_', '.', '-'; starts alphanumeric, ends alphanumeric or '_'"

NAME_RULES: dict[str, NameRule] = {
    types.STORAGE_ACCOUNT: _rule(
        "accountName", r"^[a-z0-9]{3,24}$", "3-24 lower-case letters and digits", global_scope=True
    ),
    types.KEY_VAULT: _rule(
        "vaultName",
        r"^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$",
        "3-24 letters, digits and '-', starting with a letter, ending alphanumeric, no '--'",
        global_scope=True,
    ),
    types.CONTAINER_REGISTRY: _rule(
        "registryName", r"^[a-zA-Z0-9]{5,50}$", "5-50 letters and digits", global_scope=True
    ),
    types.AML_WORKSPACE: _rule(
        "workspaceName",
        r"^[a-zA-Z0-9][a-zA-Z0-9-]{2,32}$",
        "3-33 letters, digits and '-', starting alphanumeric",
    ),
    types.AML_REGISTRY: _rule(
        "registryName",
        r"^[a-zA-Z0-9][a-zA-Z0-9_-]{4,32}$",
        "5-33 letters, digits, '_' and '-', starting alphanumeric",
    ),
    "azure-native:machinelearningservices:Compute": _rule(
        "computeName", r"^[a-zA-Z0-9-]{2,16}$", "2-16 letters, digits and '-'"
    ),
    types.AKS_CLUSTER: _rule(
        "resourceName",
        r"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])$",
        "1-63 letters, digits, '_' and '-', starting and ending alphanumeric",
    ),
    types.APP_INSIGHTS: _rule(
        "resourceName",
        r"^(?!.*[.]$)(?!.* $)[^%&\\?/#]{1,260}$",
        "1-260 characters without % & \\ ? / #, not ending in '.' or ' '",
    ),
    types.LOG_ANALYTICS: _rule(
        "workspaceName",
        r"^[a-zA-Z0-9][a-zA-Z0-9-]{2,61}[a-zA-Z0-9]$",
        "4-63 letters, digits and '-', starting and ending alphanumeric",
    ),
    types.WEB_APP: _rule(
        "name",
        r"^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$",
        "2-60 letters, digits and '-', starting and ending alphanumeric",
        global_scope=True,
    ),
    "azure-native:web:AppServicePlan": _rule("name", r"^[a-zA-Z0-9-]{1,40}$", "1-40 letters, digits and '-'"),
    types.DATABRICKS_WORKSPACE: _rule(
        "workspaceName", r"^[a-zA-Z0-9_-]{3,30}$", "3-30 letters, digits, '_' and '-'"
    ),
    types.VM_SCALE_SET: _rule(
        "vmScaleSetName",
        r"^(?!_)(?!.*[-.]$)[^\\/\[\]:|<>+=;,?@&* #]{1,64}$",
        "1-64 characters without \\ / [ ] : | < > + = ; , ? @ & * # or spaces, not starting with '_' "
        "or ending with '-' or '.'",
    ),
    types.DATA_FACTORY: _rule(
        "factoryName",
        r"^[a-zA-Z0-9][a-zA-Z0-9-]{1,61}[a-zA-Z0-9]$",
        "3-63 letters, digits and '-', starting and ending alphanumeric",
        global_scope=True,
    ),
    types.EVENT_GRID_TOPIC: _rule("topicName", r"^[a-zA-Z0-9-]{3,50}$", "3-50 letters, digits and '-'"),
    "azure-native:eventgrid:SystemTopic": _rule(
        "systemTopicName", r"^[a-zA-Z0-9-]{3,50}$", "3-50 letters, digits and '-'"
    ),
    "azure-native:network:VirtualNetwork": _rule(
        "virtualNetworkName", r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$", "2-64 " + _VNET_CHARS
    ),
    "azure-native:network:Subnet": _rule(
        "subnetName", r"^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_])?$", "1-80 " + _VNET_CHARS
    ),
    "azure-native:network:NetworkSecurityGroup": _rule(
        "networkSecurityGroupName",
        r"^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_])?$",
        "1-80 " + _VNET_CHARS,
    ),
    types.USER_ASSIGNED_IDENTITY: _rule(
        "resourceName",
        r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$",
        "3-128 letters, digits, '_' and '-', starting alphanumeric",
    ),
    types.RESOURCE_GROUP: _rule(
        "resourceGroupName",
        r"^(?!.*\.$)[a-zA-Z0-9_.()-]{1,90}$",
        "1-90 letters, digits, '_', '.', '(', ')' and '-', not ending in '.'",
    ),
}
"""Azure name rules per resource type (Azure's resource naming restrictions)."""


def _names(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    rule = NAME_RULES[args.resource_type]
    value = get_path(args.props, rule.input)
    if isinstance(value, str) and rule.pattern.match(value):
        return
    yield Finding(rule.input, value, f"an explicit name of {rule.allowed}")


def _unique_global_names(args: StackValidationArgs, _env: str) -> Iterator[tuple[PolicyResource, Finding]]:
    seen: dict[tuple[str, str], str] = {}
    for resource in args.resources:
        rule = NAME_RULES.get(resource.resource_type)
        if rule is None or not rule.global_scope:
            continue
        value = get_path(resource.props, rule.input)
        if not isinstance(value, str):
            continue
        key = (resource.resource_type, value.lower())
        if key in seen:
            yield (
                resource,
                Finding(
                    rule.input,
                    value,
                    f"a globally unique name (already used by '{seen[key]}'; Azure names ignore case)",
                ),
            )
        else:
            seen[key] = resource.name


POLICIES = [
    resource_rule(
        "azure-resource-names",
        "Named Azure resources set an explicit name that meets Azure's length and character rules.",
        sorted(NAME_RULES),
        _names,
        remediation_steps="Derive names with infra.naming and validate them at config load.",
    ),
    stack_rule(
        "unique-global-names",
        "Globally scoped names (storage, Key Vault, ACR, Function App, Data Factory) are unique in the stack.",
        _unique_global_names,
    ),
]
"""The naming rules, in report order."""
