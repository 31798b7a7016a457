"""The ``shared`` stack: what every environment uses (registry, Azure DevOps project)."""

from __future__ import annotations

from infra.settings import LoadedStack
from stacks.context import StackContext, base
from stacks.delivery import compose_devops_project
from stacks.observability import compose_observability
from stacks.operations import compose_central_registry_workspace
from stacks.platform import compose_registry


def compose_shared(loaded: LoadedStack) -> StackContext:
    """Compose the shared stack and return its context (outputs are exported by the caller)."""
    ctx = base(loaded)
    compose_observability(ctx)
    compose_registry(ctx)
    compose_devops_project(ctx)
    compose_central_registry_workspace(ctx)
    return ctx
