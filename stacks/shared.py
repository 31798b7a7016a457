"""The ``shared`` stack: what every environment uses (registry, Azure DevOps project)."""

from __future__ import annotations

from stacks.context import StackContext, base
from stacks.observability import compose_observability
from infra.settings import LoadedStack


def compose_shared(loaded: LoadedStack) -> StackContext:
    """Compose the shared stack and return its context (outputs are exported by the caller)."""
    ctx = base(loaded)
    compose_observability(ctx)
    return ctx
