"""What every part of a stack's composition shares: settings, names, provider, tags, options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from components.common import LifecycleArgs
from infra.naming import Namer
from infra.settings import LoadedStack, StackSettings


@dataclass
class StackContext:
    """Passed from one composition step to the next; holds what later steps need."""

    loaded: LoadedStack
    azure: azure_native.Provider
    tags: dict[str, str]
    resource_group_name: pulumi.Output[str] | None = None
    resource_group_id: pulumi.Output[str] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    """What later steps publish; exported as stack outputs at the end."""
    parts: dict[str, Any] = field(default_factory=dict)
    """Components built so far, by role (``observability``, ``network``, ``workspace``...)."""

    @property
    def settings(self) -> StackSettings:
        return self.loaded.settings

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
        return self.parts["shared"].require_output(key)

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
    ctx = StackContext(loaded=loaded, azure=provider, tags=standard_tags(settings))
    group = azure_native.resources.ResourceGroup(
        "resource-group",
        resource_group_name=loaded.namer.name("resource_group"),
        location=settings.location,
        tags=ctx.tags,
        opts=pulumi.ResourceOptions(provider=provider, protect=settings.protect),
    )
    ctx.resource_group_name = group.name
    ctx.resource_group_id = group.id
    ctx.outputs["resourceGroupName"] = group.name
    ctx.outputs["resourceGroupId"] = group.id
    return ctx
