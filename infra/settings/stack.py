"""The root settings of a stack: one model for ``shared``, one for ``dev``/``qa``/``prod``.

Cross-field rules (what a production stack may not do) live here, next to the fields they tie.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from infra import vocabulary
from infra.settings.base import Guid, StrictModel
from infra.settings.core import LifecycleSettings, PolicySettings, Region, TagSettings
from infra.settings.delivery import AgentSettings, DevOpsEnvironmentSettings, DevOpsProjectSettings
from infra.settings.models import UNREGISTERED_SLOT_ENVIRONMENTS, ModelSettings, check_model_name
from infra.settings.network import NetworkSettings
from infra.settings.operations import (
    BudgetSettings,
    DatabricksSettings,
    DataFactorySettings,
    MonitoringSettings,
    RetrainingSettings,
)
from infra.settings.platform import AksSettings, RegistrySettings, WorkspaceSettings
from infra.settings.rules import Context, Rule, check, when


class CommonSettings(StrictModel):
    """Keys every stack has."""

    subscription_id: Guid
    """Required. The Azure subscription the stack deploys into."""
    tenant_id: Guid
    """Required. The Entra tenant."""
    location: Region
    """Required. Primary region, e.g. westeurope."""
    workload: str = Field(pattern=r"^[a-z][a-z0-9]{1,7}$")
    """Required. Short workload name used in every resource name (2-8 lower-case letters/digits)."""
    tags: TagSettings
    """Required. Owner and cost centre, plus extra tags."""
    policy: PolicySettings = PolicySettings()
    """Optional. Policy enforcement. @default advisory in dev, mandatory elsewhere"""
    lifecycle: LifecycleSettings = LifecycleSettings()
    """Optional. protect / retainOnDelete / soft-delete handling. @default by environment"""

    if TYPE_CHECKING:
        environment: str
        """Declared by each stack model (a ``Literal`` of its environments)."""

    @property
    def enforcement(self) -> str:
        """The effective policy enforcement level."""
        if self.policy.enforcement:
            return self.policy.enforcement
        return "advisory" if self.environment == "dev" else "mandatory"

    @property
    def protect(self) -> bool:
        """Whether stateful resources are protected."""
        if self.lifecycle.protect is not None:
            return self.lifecycle.protect
        return self.environment != "dev"

    @property
    def retain_on_delete(self) -> bool:
        """Whether data-bearing resources stay in Azure when they leave the stack."""
        if self.lifecycle.retain_on_delete is not None:
            return self.lifecycle.retain_on_delete
        return self.environment != "dev"

    def _check_common(self) -> None:
        check(COMMON_RULES, self)


class SharedStackSettings(CommonSettings):
    """The ``shared`` stack: the central model registry and the Azure DevOps project."""

    environment: Literal["shared"]
    """Required. ``shared``."""
    registry: RegistrySettings = RegistrySettings()
    """Optional. The Azure ML registry. @default private, single region"""
    devops: DevOpsProjectSettings
    """Required. The Azure DevOps organisation and project."""
    databricks: DatabricksSettings = DatabricksSettings()
    """Optional. The central registry Databricks workspace (no compute). @default disabled"""

    @model_validator(mode="after")
    def _check(self) -> SharedStackSettings:
        self._check_common()
        return self


class EnvironmentStackSettings(CommonSettings):
    """An environment stack (``dev``, ``qa``, ``prod``)."""

    environment: Literal["dev", "qa", "prod"]
    """Required. Which environment this stack is."""
    shared_stack: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    """Required. Fully qualified name of the shared stack, e.g. organization/mlops-estate/shared."""
    maturity_level: int = Field(ge=1, le=5)
    """Required. MLOps maturity level 1-5 (infra/maturity.py); decides what the stack provisions."""
    network: NetworkSettings
    """Required. The VNet address plan."""
    workspace: WorkspaceSettings = WorkspaceSettings()
    """Optional. The Azure ML workspace estate. @default private, managed network"""
    aks: AksSettings = AksSettings()
    """Optional. Real-time serving cluster. @default enabled, private"""
    models: dict[str, ModelSettings] = Field(default_factory=dict)
    """Optional. Models served by this stack. @default {}"""
    devops: DevOpsEnvironmentSettings = DevOpsEnvironmentSettings()
    """Conditional. Approvals are required in qa and prod."""
    agents: AgentSettings | None = None
    """Conditional. Self-hosted agents; required with private endpoints. @default none"""
    monitoring: MonitoringSettings = MonitoringSettings()
    """Optional. @default enabled"""
    budget: BudgetSettings = BudgetSettings()
    """Optional. The stack's Azure budget with alerts. @default enabled; created once
    ``amountUsd`` is set (``estate cost STACK --set-budget`` writes the stack's estimate)"""
    retraining: RetrainingSettings = RetrainingSettings()
    """Optional. @default disabled"""
    databricks: DatabricksSettings = DatabricksSettings()
    """Optional. @default disabled"""
    data_factory: DataFactorySettings = DataFactorySettings()
    """Optional. @default disabled"""

    @field_validator("models")
    @classmethod
    def _check_model_names(cls, value: dict[str, ModelSettings]) -> dict[str, ModelSettings]:
        for name in value:
            check_model_name(name)
        return value

    @model_validator(mode="after")
    def _check(self) -> EnvironmentStackSettings:
        self._check_common()
        check(ENVIRONMENT_RULES, self)
        check(OPERATIONS_RULES, self)
        return self


StackSettings = SharedStackSettings | EnvironmentStackSettings
"""The validated settings of any stack."""


# --- cross-field rules, checked in table order (the first violation is reported) ----------

GATED_ENVIRONMENTS = ("qa", "prod", "shared")
"""Environments where nothing is advisory or unprotected."""
PRIVATE_ENVIRONMENTS = ("qa", "prod")
"""Environments that must be private and approved."""
LEVEL_NAMES = {
    2: "automated training",
    3: "automated deployment",
    4: "retraining on new data",
    5: "automated operations",
}
"""What each maturity level adds."""


def _env(settings: CommonSettings) -> Context:
    return {"env": settings.environment}


def _common(
    key: str,
    message: str,
    broken: Callable[[CommonSettings], bool],
    context: Callable[[CommonSettings], Context] | None = None,
) -> Rule[CommonSettings]:
    return when(key, message, broken, context)


def _stack(
    key: str,
    message: str,
    broken: Callable[[EnvironmentStackSettings], bool],
    context: Callable[[EnvironmentStackSettings], Context] | None = None,
) -> Rule[EnvironmentStackSettings]:
    return when(key, message, broken, context)


COMMON_RULES: tuple[Rule[CommonSettings], ...] = (
    _common(
        "policy.enforcement",
        "policy enforcement cannot be advisory in {env}; it is mandatory outside dev",
        lambda s: s.environment in GATED_ENVIRONMENTS and s.policy.enforcement == "advisory",
        _env,
    ),
    _common(
        "lifecycle.protect",
        "stateful resources must be protected in {env}; remove protect: false",
        lambda s: s.environment in GATED_ENVIRONMENTS and s.lifecycle.protect is False,
        _env,
    ),
    _common(
        "lifecycle.retainOnDelete",
        "prod keeps data-bearing resources on delete; remove retainOnDelete: false",
        lambda s: s.environment == "prod" and s.lifecycle.retain_on_delete is False,
    ),
    _common(
        "lifecycle.recreateAfterDelete",
        "recreateAfterDelete is a dev-only switch (got it in {env})",
        lambda s: bool(s.lifecycle.recreate_after_delete) and s.environment != "dev",
        _env,
    ),
    _common(
        "lifecycle.nameGeneration",
        "nameGeneration only applies with recreateAfterDelete: true",
        lambda s: bool(s.lifecycle.name_generation) and not s.lifecycle.recreate_after_delete,
    ),
)
"""Rules of every stack."""


def _aks_overlaps(s: EnvironmentStackSettings) -> list[Context]:
    if not s.aks.enabled:
        return []
    space = ipaddress.ip_network(s.network.address_space)
    return [
        {"key": key, "value": value, "space": str(space)}
        for key, value in (("podCidr", s.aks.pod_cidr), ("serviceCidr", s.aks.service_cidr))
        if ipaddress.ip_network(value).overlaps(space)
    ]


def _models_line(s: EnvironmentStackSettings) -> str:
    return ", ".join(s.models) or "none"


def _batch_models(s: EnvironmentStackSettings) -> list[str]:
    return [name for name, model in s.models.items() if model.serving == "batch"]


def _drift_models(s: EnvironmentStackSettings) -> list[str]:
    return [name for name, triggers in s.retraining.models.items() if triggers.drift]


def _private(s: EnvironmentStackSettings) -> bool:
    return s.environment in PRIVATE_ENVIRONMENTS


def _unregistered_slots(s: EnvironmentStackSettings) -> list[Context]:
    """Slots without a registered version where the environment serves registered versions only."""
    if s.environment in UNREGISTERED_SLOT_ENVIRONMENTS:
        return []
    found: list[Context] = [
        {
            "env": s.environment,
            "name": name,
            "slot": slot,
            "allowed": ", ".join(UNREGISTERED_SLOT_ENVIRONMENTS),
        }
        for name, model in s.models.items()
        for slot in model.unregistered_slots
    ]
    return found[:1]


ENVIRONMENT_RULES: tuple[Rule[EnvironmentStackSettings], ...] = (
    _stack(
        "network.privateEndpoints",
        "{env} requires private networking; privateEndpoints must be true",
        lambda s: _private(s) and not s.network.private_endpoints,
        _env,
    ),
    _stack(
        "workspace.publicNetworkAccess",
        "{env} workspaces are private; publicNetworkAccess must be false",
        lambda s: _private(s) and s.workspace.public_network_access,
        _env,
    ),
    _stack(
        "workspace.isolationMode",
        "{env} requires isolationMode AllowOnlyApprovedOutbound",
        lambda s: _private(s) and s.workspace.isolation_mode != vocabulary.DEFAULT_ISOLATION_MODE,
        _env,
    ),
    _stack(
        "aks.privateCluster",
        "{env} requires a private AKS cluster; privateCluster must be true",
        lambda s: _private(s) and s.aks.enabled and not s.aks.private_cluster,
        _env,
    ),
    _stack(
        "devops.approvals",
        "{env} deploys only after approval; set devops.approvals.approverGroup",
        lambda s: _private(s) and s.devops.approvals is None,
        _env,
    ),
    _stack(
        "devops.exclusiveLock",
        "prod deployments are serialised; remove exclusiveLock: false",
        lambda s: s.environment == "prod" and s.devops.exclusive_lock is False,
    ),
    _stack(
        "agents",
        "private endpoints are unreachable from Microsoft-hosted agents; configure self-hosted agents (agents.sshPublicKey)",
        lambda s: s.network.private_endpoints and s.agents is None,
    ),
    _stack(
        "workspace.containerRegistrySku",
        "private endpoints need a Premium container registry (got {sku})",
        lambda s: (
            s.network.private_endpoints
            and s.workspace.container_registry_sku != vocabulary.PRIVATE_LINK_ACR_SKU
        ),
        lambda s: {"sku": s.workspace.container_registry_sku},
    ),
    _stack(
        "network.subnets.aks",
        "AKS is enabled but network.subnets.aks is not set",
        lambda s: s.aks.enabled and s.network.subnets.aks is None,
    ),
    Rule(
        "aks.{key}",
        "aks.{key} {value} overlaps network.addressSpace {space}; pick a range outside the VNet",
        _aks_overlaps,
    ),
    _stack(
        "databricks.repositoryCommit",
        "{env} batch jobs run a pinned commit, not the head of {branch}; set repositoryCommit to the "
        "release commit (40 hex digits)",
        lambda s: (
            _private(s)
            and s.databricks.enabled
            and s.databricks.repository_commit is None
            and bool(_batch_models(s))
        ),
        lambda s: {"env": s.environment, "branch": s.databricks.repository_branch},
    ),
    Rule(
        "models.{name}.deployments.{slot}.version",
        "{env} serves registered versions only; pin the version dev validated (estate promote {env} "
        "{name} VERSION); slots without a version are allowed in {allowed} only",
        _unregistered_slots,
    ),
    Rule(
        "models.{name}.target",
        "target is kubernetes but aks.enabled is false",
        lambda s: [
            {"name": name} for name, m in s.models.items() if m.target == "kubernetes" and not s.aks.enabled
        ],
    ),
    _stack(
        "network.subnets",
        "Databricks needs network.subnets.databricksPublic and databricksPrivate",
        lambda s: (
            s.databricks.enabled
            and (s.network.subnets.databricks_public is None or s.network.subnets.databricks_private is None)
        ),
    ),
    Rule(
        "retraining.models.{name}",
        "no model '{name}' in models (models: {models})",
        lambda s: [{"name": n, "models": _models_line(s)} for n in s.retraining.models if n not in s.models],
    ),
)
"""Rules of an environment stack: private, approved environments and a consistent network."""

OPERATIONS_RULES: tuple[Rule[EnvironmentStackSettings], ...] = (
    _stack(
        "budget.contactEmails",
        "a budget alerts someone: set budget.contactEmails (or monitoring.alertEmails, or "
        "enable monitoring for its action group)",
        lambda s: (
            s.budget.enabled
            and s.budget.amount_usd is not None
            and not (s.budget.contact_emails or s.monitoring.alert_emails or s.monitoring.enabled)
        ),
    ),
    _stack(
        "retraining.models",
        "retraining is enabled but no model turns on a trigger (schedule, newData or drift)",
        lambda s: s.retraining.enabled and not any(t.any for t in s.retraining.models.values()),
    ),
    Rule(
        "retraining.models.{name}.drift",
        "drift retraining needs a model monitor, and monitors watch online endpoints; '{name}' is a batch model",
        lambda s: [
            {"name": n} for n, t in s.retraining.models.items() if t.drift and s.models[n].serving != "online"
        ],
    ),
    Rule(
        "retraining.models.{name}.drift",
        "drift retraining needs monitoring.modelMonitoring: true (the monitor's drift alert is the trigger)",
        lambda s: [{"name": n} for n in _drift_models(s) if not s.monitoring.model_monitoring],
    ),
    Rule(
        "retraining.models.{name}.landingPrefix",
        "landingPrefix only applies with newData: true",
        lambda s: [
            {"name": n} for n, t in s.retraining.models.items() if t.landing_prefix and not t.new_data
        ],
    ),
    Rule(
        "monitoring.taskTypes.{name}",
        "no model '{name}' in models (models: {models})",
        lambda s: [
            {"name": n, "models": _models_line(s)} for n in s.monitoring.task_types if n not in s.models
        ],
    ),
    _stack(
        "monitoring.modelMonitoring",
        "model monitoring needs monitoring.enabled: true",
        lambda s: s.monitoring.model_monitoring and not s.monitoring.enabled,
    ),
    _stack(
        "dataFactory.enabled",
        "Data Factory schedules the Databricks batch-inference jobs; enable databricks too",
        lambda s: s.data_factory.enabled and not s.databricks.enabled,
    ),
    _stack(
        "databricks.repositoryUrl",
        "batch models ({models}) get a Databricks batch-inference job "
        "that runs from this repository; set databricks.repositoryUrl",
        lambda s: s.databricks.enabled and bool(_batch_models(s)) and s.databricks.repository_url is None,
        lambda s: {"models": ", ".join(_batch_models(s))},
    ),
    # Maturity: what the claimed level includes, and what it requires.
    _stack(
        "retraining.enabled",
        "the retraining loop belongs to maturity level 4 ({name4}); "
        "maturityLevel is {level}: raise maturityLevel or disable retraining",
        lambda s: s.retraining.enabled and s.maturity_level < 4,
        lambda s: {"name4": LEVEL_NAMES[4], "level": s.maturity_level},
    ),
    Rule(
        "retraining.models.{name}.drift",
        "drift retraining belongs to maturity level 5 (automated operations); maturityLevel is {level}",
        lambda s: [
            {"name": n, "level": s.maturity_level} for n in _drift_models(s)[:1] if s.maturity_level < 5
        ],
    ),
    _stack(
        "monitoring.modelMonitoring",
        "model monitors belong to maturity level 5 (automated operations); maturityLevel is {level}",
        lambda s: s.monitoring.model_monitoring and s.maturity_level < 5,
        lambda s: {"level": s.maturity_level},
    ),
    _stack(
        "maturityLevel",
        "maturity level {level} includes retraining when new data arrives: set "
        "retraining.enabled: true and newData: true for at least one model",
        lambda s: (
            s.maturity_level >= 4
            and not (s.retraining.enabled and any(t.new_data for t in s.retraining.models.values()))
        ),
        lambda s: {"level": s.maturity_level},
    ),
    _stack(
        "maturityLevel",
        "maturity level 5 includes monitoring-driven retraining: set "
        "monitoring.modelMonitoring: true and drift: true for at least one online model",
        lambda s: s.maturity_level >= 5 and not (s.monitoring.model_monitoring and bool(_drift_models(s))),
    ),
)
"""Retraining, monitoring, Databricks/Data Factory and the maturity level they prove."""
