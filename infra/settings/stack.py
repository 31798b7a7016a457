"""The root settings of a stack: one model for ``shared``, one for ``dev``/``qa``/``prod``.

Cross-field rules (what a production stack may not do) live here, next to the fields they tie.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from infra.settings.base import Guid, StrictModel
from infra.settings.core import LifecycleSettings, PolicySettings, Region, TagSettings
from infra.settings.delivery import AgentSettings, DevOpsEnvironmentSettings, DevOpsProjectSettings
from infra.settings.models import ModelSettings, check_model_name, unregistered_slot_error
from infra.settings.network import NetworkSettings
from infra.settings.operations import (
    BudgetSettings,
    DatabricksSettings,
    DataFactorySettings,
    MonitoringSettings,
    RetrainingSettings,
)
from infra.settings.platform import AksSettings, RegistrySettings, WorkspaceSettings


def _blame(path: str, message: str, **ctx: object) -> PydanticCustomError:
    """A cross-field error reported at ``mlops-estate:<path>``."""
    return PydanticCustomError("cross_field", message, {"path": path, **ctx})


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

    @property
    def enforcement(self) -> str:
        """The effective policy enforcement level."""
        if self.policy.enforcement:
            return self.policy.enforcement
        return "advisory" if self.environment == "dev" else "mandatory"  # type: ignore[attr-defined]

    @property
    def protect(self) -> bool:
        """Whether stateful resources are protected."""
        if self.lifecycle.protect is not None:
            return self.lifecycle.protect
        return self.environment != "dev"  # type: ignore[attr-defined]

    @property
    def retain_on_delete(self) -> bool:
        """Whether data-bearing resources stay in Azure when they leave the stack."""
        if self.lifecycle.retain_on_delete is not None:
            return self.lifecycle.retain_on_delete
        return self.environment != "dev"  # type: ignore[attr-defined]

    def _check_common(self) -> None:
        env = self.environment  # type: ignore[attr-defined]
        if env in ("qa", "prod", "shared") and self.policy.enforcement == "advisory":
            raise _blame(
                "policy.enforcement",
                "policy enforcement cannot be advisory in {env}; it is mandatory outside dev",
                env=env,
            )
        if env in ("qa", "prod", "shared") and self.lifecycle.protect is False:
            raise _blame(
                "lifecycle.protect",
                "stateful resources must be protected in {env}; remove protect: false",
                env=env,
            )
        if env == "prod" and self.lifecycle.retain_on_delete is False:
            raise _blame(
                "lifecycle.retainOnDelete",
                "prod keeps data-bearing resources on delete; remove retainOnDelete: false",
            )
        if self.lifecycle.recreate_after_delete and env != "dev":
            raise _blame(
                "lifecycle.recreateAfterDelete",
                "recreateAfterDelete is a dev-only switch (got it in {env})",
                env=env,
            )
        if self.lifecycle.name_generation and not self.lifecycle.recreate_after_delete:
            raise _blame(
                "lifecycle.nameGeneration", "nameGeneration only applies with recreateAfterDelete: true"
            )


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
    """Required. MLOps maturity level 1-5 (seeds' table); decides what the stack provisions."""
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
        env = self.environment
        if env in ("qa", "prod"):
            if not self.network.private_endpoints:
                raise _blame(
                    "network.privateEndpoints",
                    "{env} requires private networking; privateEndpoints must be true",
                    env=env,
                )
            if self.workspace.public_network_access:
                raise _blame(
                    "workspace.publicNetworkAccess",
                    "{env} workspaces are private; publicNetworkAccess must be false",
                    env=env,
                )
            if self.workspace.isolation_mode != "AllowOnlyApprovedOutbound":
                raise _blame(
                    "workspace.isolationMode",
                    "{env} requires isolationMode AllowOnlyApprovedOutbound",
                    env=env,
                )
            if self.aks.enabled and not self.aks.private_cluster:
                raise _blame(
                    "aks.privateCluster",
                    "{env} requires a private AKS cluster; privateCluster must be true",
                    env=env,
                )
            if self.devops.approvals is None:
                raise _blame(
                    "devops.approvals",
                    "{env} deploys only after approval; set devops.approvals.approverGroup",
                    env=env,
                )
        if env == "prod" and self.devops.exclusive_lock is False:
            raise _blame(
                "devops.exclusiveLock", "prod deployments are serialised; remove exclusiveLock: false"
            )
        if self.network.private_endpoints and self.agents is None:
            raise _blame(
                "agents",
                "private endpoints are unreachable from Microsoft-hosted agents; configure self-hosted agents (agents.sshPublicKey)",
            )
        if self.network.private_endpoints and self.workspace.container_registry_sku != "Premium":
            raise _blame(
                "workspace.containerRegistrySku",
                "private endpoints need a Premium container registry (got {sku})",
                sku=self.workspace.container_registry_sku,
            )
        if self.aks.enabled and self.network.subnets.aks is None:
            raise _blame("network.subnets.aks", "AKS is enabled but network.subnets.aks is not set")
        if self.aks.enabled:
            space = ipaddress.ip_network(self.network.address_space)
            for key, value in (("podCidr", self.aks.pod_cidr), ("serviceCidr", self.aks.service_cidr)):
                if ipaddress.ip_network(value).overlaps(space):
                    raise _blame(
                        f"aks.{key}",
                        "aks.{key} {value} overlaps network.addressSpace {space}; pick a range outside the VNet",
                        key=key,
                        value=value,
                        space=str(space),
                    )
        if (
            env in ("qa", "prod")
            and self.databricks.enabled
            and self.databricks.repository_commit is None
            and any(m.serving == "batch" for m in self.models.values())
        ):
            raise _blame(
                "databricks.repositoryCommit",
                "{env} batch jobs run a pinned commit, not the head of {branch}; set repositoryCommit to the "
                "release commit (40 hex digits)",
                env=env,
                branch=self.databricks.repository_branch,
            )
        unpinned = unregistered_slot_error(env, self.models)
        if unpinned is not None:
            raise _blame(unpinned[0], unpinned[1])
        for name, model in self.models.items():
            if model.target == "kubernetes" and not self.aks.enabled:
                raise _blame(f"models.{name}.target", "target is kubernetes but aks.enabled is false")
        if self.databricks.enabled and (
            self.network.subnets.databricks_public is None or self.network.subnets.databricks_private is None
        ):
            raise _blame(
                "network.subnets", "Databricks needs network.subnets.databricksPublic and databricksPrivate"
            )
        for name in self.retraining.models:
            if name not in self.models:
                raise _blame(
                    f"retraining.models.{name}",
                    "no model '{name}' in models (models: {models})",
                    name=name,
                    models=", ".join(self.models) or "none",
                )
        self._check_operations()
        return self

    def _check_operations(self) -> None:
        """Retraining, monitoring, Databricks/Data Factory and the maturity level they prove."""
        level = self.maturity_level
        retraining, monitoring = self.retraining, self.monitoring
        if retraining.enabled and not any(t.any for t in retraining.models.values()):
            raise _blame(
                "retraining.models",
                "retraining is enabled but no model turns on a trigger (schedule, newData or drift)",
            )
        for name, triggers in retraining.models.items():
            if triggers.drift and self.models[name].serving != "online":
                raise _blame(
                    f"retraining.models.{name}.drift",
                    "drift retraining needs a model monitor, and "
                    "monitors watch online endpoints; '{name}' is a batch model",
                    name=name,
                )
            if triggers.drift and not monitoring.model_monitoring:
                raise _blame(
                    f"retraining.models.{name}.drift",
                    "drift retraining needs monitoring.modelMonitoring: "
                    "true (the monitor's drift alert is the trigger)",
                )
            if triggers.landing_prefix and not triggers.new_data:
                raise _blame(
                    f"retraining.models.{name}.landingPrefix", "landingPrefix only applies with newData: true"
                )
        for name in monitoring.task_types:
            if name not in self.models:
                raise _blame(
                    f"monitoring.taskTypes.{name}",
                    "no model '{name}' in models (models: {models})",
                    name=name,
                    models=", ".join(self.models) or "none",
                )
        if monitoring.model_monitoring and not monitoring.enabled:
            raise _blame("monitoring.modelMonitoring", "model monitoring needs monitoring.enabled: true")
        budget = self.budget
        if budget.enabled and budget.amount_usd is not None and not (
            budget.contact_emails or monitoring.alert_emails or monitoring.enabled
        ):
            raise _blame(
                "budget.contactEmails",
                "a budget alerts someone: set budget.contactEmails (or monitoring.alertEmails, or "
                "enable monitoring for its action group)",
            )
        if self.data_factory.enabled and not self.databricks.enabled:
            raise _blame(
                "dataFactory.enabled",
                "Data Factory schedules the Databricks batch-inference jobs; enable databricks too",
            )
        batch = [name for name, model in self.models.items() if model.serving == "batch"]
        if self.databricks.enabled and batch and self.databricks.repository_url is None:
            raise _blame(
                "databricks.repositoryUrl",
                "batch models ({models}) get a Databricks batch-inference job "
                "that runs from this repository; set databricks.repositoryUrl",
                models=", ".join(batch),
            )
        # Maturity: what the claimed level includes, and what it requires (seeds' table).
        new_data = [n for n, t in retraining.models.items() if t.new_data]
        drift = [n for n, t in retraining.models.items() if t.drift]
        level_names = {
            2: "automated training",
            3: "automated deployment",
            4: "retraining on new data",
            5: "automated operations",
        }
        if retraining.enabled and level < 4:
            raise _blame(
                "retraining.enabled",
                "the retraining loop belongs to maturity level 4 ({name4}); "
                "maturityLevel is {level}: raise maturityLevel or disable retraining",
                name4=level_names[4],
                level=level,
            )
        if drift and level < 5:
            raise _blame(
                f"retraining.models.{drift[0]}.drift",
                "drift retraining belongs to maturity level 5 "
                "(automated operations); maturityLevel is {level}",
                level=level,
            )
        if monitoring.model_monitoring and level < 5:
            raise _blame(
                "monitoring.modelMonitoring",
                "model monitors belong to maturity level 5 (automated operations); maturityLevel is {level}",
                level=level,
            )
        if level >= 4 and not (retraining.enabled and new_data):
            raise _blame(
                "maturityLevel",
                "maturity level {level} includes retraining when new data arrives: set "
                "retraining.enabled: true and newData: true for at least one model",
                level=level,
            )
        if level >= 5 and not (monitoring.model_monitoring and drift):
            raise _blame(
                "maturityLevel",
                "maturity level 5 includes monitoring-driven retraining: set "
                "monitoring.modelMonitoring: true and drift: true for at least one online model",
            )


StackSettings = SharedStackSettings | EnvironmentStackSettings
"""The validated settings of any stack."""
