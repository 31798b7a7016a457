"""Azure naming rules and the estate's deterministic names.

Rules come from ../shared/reference/naming-rules.md (AzureNamingTool, Microsoft Learn, REST
specs). Names are derived from workload, environment and region; globally unique names get a
short suffix hashed from stable inputs (subscription id, project, stack and the lifecycle
``nameGeneration``), never from randomness, so every machine and every run agrees.

A name that breaks a rule is a :class:`~infra.errors.ConfigError` raised while settings are
loaded, naming the setting that produced it — not an Azure error halfway through ``pulumi up``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from infra.errors import ConfigError


@dataclass(frozen=True)
class NamingRule:
    """What Azure accepts for one resource type's name."""

    arm_type: str
    scope: str
    min_length: int
    max_length: int
    pattern: str
    allowed: str
    """Human description of the allowed characters, used in error messages."""
    global_unique: bool = False

    def check(self, name: str) -> str | None:
        """Return why ``name`` is not allowed, or ``None`` when it is."""
        if not self.min_length <= len(name) <= self.max_length:
            return f"is {len(name)} characters; {self.arm_type} names are {self.min_length}-{self.max_length}"
        if not re.fullmatch(self.pattern, name):
            return f"has characters or a shape {self.arm_type} does not allow ({self.allowed})"
        return None


_VNET_CHARS = r"[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9_])?"

RULES: dict[str, NamingRule] = {
    "resource_group": NamingRule(
        "Microsoft.Resources/resourceGroups",
        "subscription",
        1,
        90,
        r"(?!.*\.$)[a-zA-Z0-9_.()-]{1,90}",
        "letters, digits, _ . ( ) -, no trailing dot",
    ),
    "storage_account": NamingRule(
        "Microsoft.Storage/storageAccounts",
        "global",
        3,
        24,
        r"[a-z0-9]{3,24}",
        "lower-case letters and digits only",
        global_unique=True,
    ),
    "key_vault": NamingRule(
        "Microsoft.KeyVault/vaults",
        "global",
        3,
        24,
        r"(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]",
        "letter first, letters digits and single hyphens, alphanumeric last",
        global_unique=True,
    ),
    "container_registry": NamingRule(
        "Microsoft.ContainerRegistry/registries",
        "global",
        5,
        50,
        r"[a-zA-Z0-9]{5,50}",
        "letters and digits only",
        global_unique=True,
    ),
    "ml_workspace": NamingRule(
        "Microsoft.MachineLearningServices/workspaces",
        "resource group",
        3,
        33,
        r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}",
        "alphanumeric first, then letters, digits, _ -",
    ),
    "ml_registry": NamingRule(
        "Microsoft.MachineLearningServices/registries",
        "resource group",
        5,
        33,
        r"[a-zA-Z0-9][a-zA-Z0-9_-]{4,32}",
        "alphanumeric first, then letters, digits, _ -",
    ),
    "ml_compute": NamingRule(
        "Microsoft.MachineLearningServices/workspaces/computes",
        "workspace",
        2,
        16,
        r"[a-zA-Z0-9-]{2,16}",
        "letters, digits and -",
    ),
    "online_endpoint": NamingRule(
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
        "region",
        3,
        32,
        r"[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]",
        "letter first, letters digits and -, alphanumeric last",
        global_unique=True,
    ),
    "batch_endpoint": NamingRule(
        "Microsoft.MachineLearningServices/workspaces/batchEndpoints",
        "region",
        3,
        32,
        r"[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]",
        "letter first, letters digits and -, alphanumeric last",
        global_unique=True,
    ),
    "ml_deployment": NamingRule(
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
        "endpoint",
        3,
        32,
        r"[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]",
        "letter first, letters digits and -, alphanumeric last",
    ),
    "aks": NamingRule(
        "Microsoft.ContainerService/managedClusters",
        "resource group",
        1,
        63,
        r"[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9]",
        "alphanumeric at both ends, _ - inside",
    ),
    "aks_node_pool": NamingRule(
        "Microsoft.ContainerService/managedClusters/agentPools",
        "cluster",
        1,
        12,
        r"[a-z][a-z0-9]{0,11}",
        "lower-case letter first, lower-case letters and digits",
    ),
    "app_insights": NamingRule(
        "Microsoft.Insights/components",
        "resource group",
        1,
        260,
        r"(?!.*[. ]$)[^%&\\?/]{1,260}",
        "no % & \\ ? /, no trailing dot or space",
    ),
    "log_analytics": NamingRule(
        "Microsoft.OperationalInsights/workspaces",
        "resource group",
        4,
        63,
        r"[a-zA-Z0-9][a-zA-Z0-9-]{2,61}[a-zA-Z0-9]",
        "letters, digits and -, alphanumeric at both ends",
    ),
    "function_app": NamingRule(
        "Microsoft.Web/sites",
        "global",
        2,
        60,
        r"[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]",
        "letters, digits and -, alphanumeric at both ends",
        global_unique=True,
    ),
    "app_service_plan": NamingRule(
        "Microsoft.Web/serverfarms", "resource group", 1, 40, r"[a-zA-Z0-9-]{1,40}", "letters, digits and -"
    ),
    "databricks_workspace": NamingRule(
        "Microsoft.Databricks/workspaces",
        "resource group",
        3,
        30,
        r"[a-zA-Z0-9_-]{3,30}",
        "letters, digits, _ and -",
    ),
    "vmss": NamingRule(
        "Microsoft.Compute/virtualMachineScaleSets",
        "resource group",
        1,
        64,
        r"(?!_)(?!.*[-.]$)[^/\[\]:|<>+=;,?@&* \\]{1,64}",
        "no leading _, no trailing - or ., no special characters",
    ),
    "data_factory": NamingRule(
        "Microsoft.DataFactory/factories",
        "global",
        3,
        63,
        r"[a-zA-Z0-9][a-zA-Z0-9-]{1,61}[a-zA-Z0-9]",
        "letters, digits and -, alphanumeric at both ends",
        global_unique=True,
    ),
    "eventgrid_topic": NamingRule(
        "Microsoft.EventGrid/systemTopics",
        "resource group",
        3,
        50,
        r"[a-zA-Z0-9-]{3,50}",
        "letters, digits and -",
    ),
    "vnet": NamingRule(
        "Microsoft.Network/virtualNetworks",
        "resource group",
        2,
        64,
        _VNET_CHARS,
        "alphanumeric first, letters digits _ . -, alphanumeric or _ last",
    ),
    "subnet": NamingRule(
        "Microsoft.Network/virtualNetworks/subnets",
        "virtual network",
        1,
        80,
        _VNET_CHARS,
        "alphanumeric first, letters digits _ . -, alphanumeric or _ last",
    ),
    "nsg": NamingRule(
        "Microsoft.Network/networkSecurityGroups",
        "resource group",
        1,
        80,
        _VNET_CHARS,
        "alphanumeric first, letters digits _ . -, alphanumeric or _ last",
    ),
    "private_endpoint": NamingRule(
        "Microsoft.Network/privateEndpoints",
        "resource group",
        2,
        64,
        _VNET_CHARS,
        "alphanumeric first, letters digits _ . -, alphanumeric or _ last",
    ),
    "user_assigned_identity": NamingRule(
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "resource group",
        3,
        128,
        r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}",
        "alphanumeric first, then letters, digits, _ -",
    ),
    "action_group": NamingRule(
        "Microsoft.Insights/actionGroups", "resource group", 1, 260, r"[^%&\\?/]{1,260}", "no % & \\ ? /"
    ),
}

# CAF abbreviations (Cloud Adoption Framework) used as name prefixes.
PREFIX: dict[str, str] = {
    "resource_group": "rg",
    "storage_account": "st",
    "key_vault": "kv",
    "container_registry": "cr",
    "ml_workspace": "mlw",
    "ml_registry": "mlr",
    "aks": "aks",
    "app_insights": "appi",
    "log_analytics": "log",
    "function_app": "func",
    "app_service_plan": "asp",
    "databricks_workspace": "dbw",
    "vmss": "vmss",
    "data_factory": "adf",
    "eventgrid_topic": "egst",
    "vnet": "vnet",
    "subnet": "snet",
    "nsg": "nsg",
    "private_endpoint": "pe",
    "user_assigned_identity": "id",
    "action_group": "ag",
}

_COMPACT = {"storage_account", "container_registry"}  # no separators allowed


def check_name(kind: str, name: str, *, key: str, file: str | None = None) -> str:
    """Raise :class:`ConfigError` blaming ``key`` when ``name`` breaks the rule for ``kind``."""
    rule = RULES[kind]
    problem = rule.check(name)
    if problem:
        raise ConfigError(f"derived {kind.replace('_', ' ')} name '{name}' {problem}", file=file, key=key)
    return name


def stable_suffix(*parts: str, length: int = 5) -> str:
    """A short lower-case alphanumeric hash of ``parts`` (deterministic, no randomness)."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    value = int.from_bytes(digest[:16], "big")
    chars = []
    for _ in range(length):
        value, index = divmod(value, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


@dataclass(frozen=True)
class Namer:
    """Derives every resource name of one stack.

    ``name(kind)`` gives ``<prefix>-<workload>-<env>-<region>`` for resource-group-scoped
    kinds, and adds the stack's stable suffix for globally unique ones (or for kinds whose
    names Azure keeps reserved after a delete, so ``nameGeneration`` can step around them).
    """

    workload: str
    environment: str
    region_code: str
    subscription_id: str
    project: str
    stack: str
    generation: int = 0
    file: str | None = None

    @property
    def suffix(self) -> str:
        """The stack's stable suffix."""
        return stable_suffix(self.subscription_id, self.project, self.stack, str(self.generation))

    def name(
        self,
        kind: str,
        purpose: str | None = None,
        *,
        key: str = "mlops-estate:workload",
        unique: bool | None = None,
    ) -> str:
        """The name of a ``kind`` resource, optionally for a ``purpose`` (``snet-aks``)."""
        rule = RULES[kind]
        unique = (
            rule.global_unique or kind in {"ml_workspace", "log_analytics", "ml_registry"}
            if unique is None
            else unique
        )
        parts = [PREFIX[kind], self.workload]
        if purpose:
            parts.append(purpose)
        if self.environment != "shared" or kind != "ml_registry":
            parts.append(self.environment)
        if kind not in _COMPACT and kind not in {"key_vault"}:
            parts.append(self.region_code)
        if unique:
            parts.append(self.suffix)
        sep = "" if kind in _COMPACT else "-"
        name = sep.join(parts)
        if kind in _COMPACT:
            name = name.replace("-", "").replace("_", "").lower()
        return check_name(kind, name, key=key, file=self.file)

    def child(self, kind: str, name: str, *, key: str) -> str:
        """Check a child name given by a caller (compute, node pool, endpoint) against its rule."""
        return check_name(kind, name, key=key, file=self.file)

    def endpoint(self, model: str, serving: str) -> str:
        """The region-unique endpoint name of a model: ``<model>-<env>-<suffix>``."""
        kind = "online_endpoint" if serving == "online" else "batch_endpoint"
        name = f"{model.replace('_', '-')}-{self.environment}-{self.suffix[:4]}"
        return check_name(kind, name, key=f"mlops-estate:models.{model}", file=self.file)
