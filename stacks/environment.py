"""An environment stack (dev, qa, prod): network, ML platform, models, delivery, operations."""

from __future__ import annotations

from infra.settings import LoadedStack
from stacks.context import StackContext, base
from stacks.observability import compose_observability


def compose_environment(loaded: LoadedStack) -> StackContext:
    """Compose an environment stack and return its context (outputs are exported by the caller)."""
    ctx = base(loaded)
    compose_observability(ctx)
    return ctx
