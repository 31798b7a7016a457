"""What every part of a stack's composition shares: settings, names, provider, tags, options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import pulumi
import pulumi_azure_native as azure_native

from components.common import LifecycleArgs
from infra.naming import Namer
from infra.settings import LoadedStack, StackSettings
from infra.settings.stack import EnvironmentStackSettings, SharedStackSettings

if TYPE_CHECKING:  # the component modules load only in the steps that build them
    from components.aks import AksCluster
    from components.budget import Budget
    from components.build_agents import BuildAgents
    from components.data_factory import BatchScheduler
    from components.databricks import CentralRegistryWorkspace, DatabricksWorkspace
    from components.devops_environment import DevOpsEnvironment
    from components.devops_project import DevOpsProject
    from components.ml_workspace import MlWorkspace
    from components.monitoring import Monitoring
    from components.network import Network
    from components.observability import Observability
    from components.registry import MlRegistry
    from components.retraining import RetrainingLoop
    from components.serving.model_assets import ModelAssets

T = TypeVar("T")


class _Required(Generic[T]):
    """A part later steps rely on: reading it before the step that builds it ran is a bug."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> _Required[T]: ...
    @overload
    def __get__(self, obj: Parts, owner: type) -> T: ...
    def __get__(self, obj: Parts | None, owner: type) -> _Required[T] | T:
        if obj is None:
            return self
        value: T | None = obj.__dict__.get(self.name)
        if value is None:
            raise LookupError(f"ctx.parts.{self.name} is read before the composition step that builds it")
        return value

    def __set__(self, obj: Parts, value: T) -> None:
        obj.__dict__[self.name] = value


class Parts:
    """Components built so far, by role: each composition step sets its own, later steps read them.

    Reading a required part (``shared``, ``observability``, ``network``, ``workspace``) before
    it is built raises; the optional ones are ``None`` when the stack does not have them.
    """

    shared: _Required[pulumi.StackReference] = _Required()
    """Environment stacks: the shared stack (read through ``StackContext.shared_output``)."""
    observability: _Required[Observability] = _Required()
    network: _Required[Network] = _Required()
    workspace: _Required[MlWorkspace] = _Required()

    def __init__(self) -> None:
        self.aks: AksCluster | None = None
        """Absent when AKS is disabled."""
        self.models: dict[str, ModelAssets] = {}
        """Serving components by model name."""
        self.registry: MlRegistry | None = None
        self.devops: DevOpsProject | None = None
        self.devops_environment: DevOpsEnvironment | None = None
        self.agents: BuildAgents | None = None
        self.monitoring: Monitoring | None = None
        self.budget: Budget | None = None
        self.retraining: RetrainingLoop | None = None
        self.databricks: DatabricksWorkspace | None = None
        self.data_factory: BatchScheduler | None = None
        self.central_registry_databricks: CentralRegistryWorkspace | None = None


@dataclass
class StackContext:
    """Passed from one composition step to the next; holds what later steps need."""

    loaded: LoadedStack
    azure: azure_native.Provider
    tags: dict[str, str]
    resource_group_name: pulumi.Output[str]
    """The stack's resource group (created first, in :func:`base`)."""
    resource_group_id: pulumi.Output[str]
    outputs: dict[str, Any] = field(default_factory=dict)
    """What later steps publish; exported as stack outputs at the end."""
    parts: Parts = field(default_factory=Parts)
    """Components built so far, by role (``observability``, ``network``, ``workspace``...)."""

    @property
    def settings(self) -> StackSettings:
        return self.loaded.settings

    @property
    def environment_settings(self) -> EnvironmentStackSettings:
        """The settings of an environment stack (``dev``, ``qa``, ``prod``); a shared stack raises."""
        settings = self.settings
        if not isinstance(settings, EnvironmentStackSettings):
            raise TypeError(
                f"{settings.environment} is the shared stack; this step composes environment stacks"
            )
        return settings

    @property
    def shared_settings(self) -> SharedStackSettings:
        """The settings of the shared stack; an environment stack raises."""
        settings = self.settings
        if not isinstance(settings, SharedStackSettings):
            raise TypeError(
                f"{settings.environment} is an environment stack; this step composes the shared stack"
            )
        return settings

    @property
    def namer(self) -> Namer:
        return self.loaded.namer

    @property
    def location(self) -> str:
        return self.settings.location

    @property
    def lifecycle(self) -> LifecycleArgs:
        """Lifecycle args every stateful component of this stack gets."""
        return {"protect": self.settings.protect, "retain_on_delete": self.settings.retain_on_delete}

    def shared_output(self, key: str) -> pulumi.Output[Any]:
        """An output of the shared stack (environment stacks only), e.g. ``registryName``."""
        return self.parts.shared.require_output(key)

    def opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options binding a top-level resource or component to the stack's explicit provider."""
        return pulumi.ResourceOptions(providers={"azure-native": self.azure}, **kwargs)


def standard_tags(settings: StackSettings) -> dict[str, str]:
    """The tags every taggable resource carries."""
    tags = {
        "environment": settings.environment,
        "workload": settings.workload,
        "owner": settings.tags.owner,
        "costCenter": settings.tags.cost_center,
        "managedBy": "pulumi:mlops-estate",
    }
    tags.update(settings.tags.extra)
    return tags


def azure_provider(settings: StackSettings) -> azure_native.Provider:
    """The stack's explicit azure-native provider (credentials come from ARM_* / OIDC at run time)."""
    return azure_native.Provider(
        f"azure-{settings.environment}",
        subscription_id=settings.subscription_id,
        tenant_id=settings.tenant_id,
        location=settings.location,
    )


def base(loaded: LoadedStack) -> StackContext:
    """Provider and resource group: the first things every stack creates."""
    settings = loaded.settings
    provider = azure_provider(settings)
    tags = standard_tags(settings)
    group = azure_native.resources.ResourceGroup(
        "resource-group",
        resource_group_name=loaded.namer.name("resource_group"),
        location=settings.location,
        tags=tags,
        opts=pulumi.ResourceOptions(provider=provider, protect=settings.protect),
    )
    ctx = StackContext(
        loaded=loaded, azure=provider, tags=tags, resource_group_name=group.name, resource_group_id=group.id
    )
    ctx.outputs["resourceGroupName"] = group.name
    ctx.outputs["resourceGroupId"] = group.id
    return ctx
