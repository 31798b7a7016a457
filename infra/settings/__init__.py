"""Stack settings: the single, validated entry point for stack configuration.

Stack file → :func:`load_settings` (or :func:`settings_from_runtime` inside the program) →
frozen pydantic objects passed to stacks and components. Components never read config.
"""

from infra.settings.loader import LoadedStack, load_settings, settings_from_runtime
from infra.settings.stack import EnvironmentStackSettings, SharedStackSettings, StackSettings

__all__ = [
    "EnvironmentStackSettings",
    "LoadedStack",
    "SharedStackSettings",
    "StackSettings",
    "load_settings",
    "settings_from_runtime",
]
