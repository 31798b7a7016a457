"""The Pulumi program: read the stack's settings once, then compose the stack.

Runs unchanged under ``pulumi preview``/``pulumi up`` and under the offline engine.
A configuration error stops the run with one clear message and no traceback.
"""

import pulumi

from infra.errors import ConfigError
from infra.settings import settings_from_runtime
from stacks import compose

try:
    loaded = settings_from_runtime()
except ConfigError as exc:
    raise pulumi.RunError(str(exc)) from None

compose(loaded)
