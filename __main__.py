"""The Pulumi program: read the stack's settings once, then compose the stack.

Runs unchanged under ``pulumi preview``/``pulumi up`` and under the offline engine.
A configuration error stops the run with one clear message and no traceback: it is raised
as a ``pulumi.RunError`` (the language host prints those without a traceback) that is also a
``ConfigError`` (the offline engine exits with status 2 on those).
"""

import pulumi

from infra.errors import ConfigError
from infra.settings import settings_from_runtime
from stacks import compose


class StackConfigError(ConfigError, pulumi.RunError):
    """A configuration error surfaced by the program."""


try:
    loaded = settings_from_runtime()
    compose(loaded)
except ConfigError as exc:
    raise StackConfigError(str(exc)) from None
