"""An environment stack (dev, qa, prod): network, ML platform, models, delivery, operations.

Each step lives in its own module and hangs what later steps need on ``ctx.parts``
(see docs/architecture.md, "Composition contract").
"""

from __future__ import annotations

import pulumi

from infra.settings import LoadedStack
from stacks.context import StackContext, base
from stacks.delivery import compose_delivery
from stacks.observability import compose_observability
from stacks.operations import compose_operations
from stacks.platform import compose_platform
from stacks.serving import compose_models


def compose_environment(loaded: LoadedStack) -> StackContext:
    """Compose an environment stack and return its context (outputs are exported by the caller)."""
    ctx = base(loaded)
    ctx.parts.shared = pulumi.StackReference("shared", stack_name=ctx.environment_settings.shared_stack)
    compose_observability(ctx)
    compose_platform(ctx)
    compose_models(ctx)
    compose_delivery(ctx)
    compose_operations(ctx)
    return ctx
