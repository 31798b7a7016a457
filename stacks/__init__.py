"""What each stack composes: ``shared`` (registry, DevOps project) and the environment stacks.

``compose`` is the only entry: validated settings in, resources out, stack outputs exported.
"""

from __future__ import annotations

import pulumi

from infra.settings import LoadedStack, SharedStackSettings


def compose(loaded: LoadedStack) -> None:
    """Build the stack described by ``loaded`` and export its outputs."""
    from stacks.environment import compose_environment
    from stacks.shared import compose_shared

    if isinstance(loaded.settings, SharedStackSettings):
        ctx = compose_shared(loaded)
    else:
        ctx = compose_environment(loaded)
    for key in sorted(ctx.outputs):
        pulumi.export(key, ctx.outputs[key])
