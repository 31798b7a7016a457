"""Turns the flat config map the Pulumi engine hands the program into validated settings.

The engine hands over ``{"mlops-estate:<key>": "<string>"}``; objects and lists arrive
JSON-encoded. This module is the only place that reads stack configuration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from infra.errors import ConfigError
from infra.naming import Namer
from infra.settings.base import did_you_mean
from infra.settings.core import REGION_CODES
from infra.settings.stack import EnvironmentStackSettings, SharedStackSettings, StackSettings

NAMESPACE = "mlops-estate"
REQUIRED_DISABLED_PROVIDERS = ("azure-native", "azuredevops", "databricks")
_ALLOWED_FOREIGN_KEYS = {"pulumi:disable-default-providers"}


@dataclass(frozen=True)
class LoadedStack:
    """Validated settings plus what is derived from them before any resource exists."""

    project: str
    stack: str
    file: str
    settings: StackSettings
    namer: Namer


def _format_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(error: ValidationError, *, file: str) -> ConfigError:
    """One line per problem: ``<file>: mlops-estate:<key.path>: <message> (got <value>)``."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if p not in ("SharedStackSettings", "EnvironmentStackSettings"))
        ctx = item.get("ctx") or {}
        if item["type"] == "unknown_key":
            loc = loc + (ctx["key"],)
        elif "path" in ctx:
            loc = tuple(str(ctx["path"]).split("."))
        path = f"{NAMESPACE}:{_format_path(loc)}" if loc else NAMESPACE
        message = item["msg"]
        if item["type"].startswith("value_error") and message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        shown = ""
        if item["type"] not in ("unknown_key", "missing", "cross_field") and not isinstance(
            item.get("input"), dict
        ):
            shown = f" (got {_show(item.get('input'))})"
        if item["type"] == "missing":
            message = "required key is missing"
        lines.append(f"{file}: {path}: {message}{shown}")
    first = lines[0]
    more = "\n".join(lines[1:])
    err = ConfigError(first + ("\n" + more if more else ""))
    return err


def _decode(key: str, value: Any, file: str) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"value is not valid JSON ({exc.msg} at column {exc.colno})", file=file, key=key
            ) from None
    return value


def load_settings(
    raw: Mapping[str, Any], *, project: str, stack: str, file: str | None = None
) -> LoadedStack:
    """Validate a stack's flat config map (``"<namespace>:<key>" -> str``).

    Raises :class:`ConfigError` naming the file, the key path, the bad value and what is allowed.
    """
    file = file or f"Pulumi.{stack}.yaml"
    tree: dict[str, Any] = {}
    for full_key in sorted(raw):
        namespace, sep, key = full_key.partition(":")
        if not sep:
            raise ConfigError("config keys are '<namespace>:<key>'", file=file, key=full_key)
        if key.startswith("config:"):  # legacy '<ns>:config:<key>' form
            key = key[len("config:") :]
        if namespace == NAMESPACE:
            tree[key] = _decode(full_key, raw[full_key], file)
        elif full_key not in _ALLOWED_FOREIGN_KEYS:
            raise ConfigError(
                f"unknown config key '{full_key}': providers are configured explicitly by the estate "
                f"(keys are '{NAMESPACE}:<key>'; the only other key allowed is pulumi:disable-default-providers)",
                file=file,
                key=full_key,
            )
    disabled = _decode(
        "pulumi:disable-default-providers", raw.get("pulumi:disable-default-providers", "[]"), file
    )
    missing = [
        p
        for p in REQUIRED_DISABLED_PROVIDERS
        if not (isinstance(disabled, list) and (p in disabled or "*" in disabled))
    ]
    if missing:
        raise ConfigError(
            f"must disable the default providers {', '.join(REQUIRED_DISABLED_PROVIDERS)} so nothing uses ambient "
            f"credentials (missing: {', '.join(missing)}; got {_show(disabled)})",
            file=file,
            key="pulumi:disable-default-providers",
        )
    env = tree.get("environment")
    model: type[SharedStackSettings] | type[EnvironmentStackSettings]
    if env == "shared":
        model = SharedStackSettings
    elif env in ("dev", "qa", "prod"):
        model = EnvironmentStackSettings
    elif env is None:
        raise ConfigError(
            "required key is missing (one of shared, dev, qa, prod)",
            file=file,
            key=f"{NAMESPACE}:environment",
        )
    else:
        raise ConfigError(
            f"'{env}' is not an environment{did_you_mean(str(env), {'shared', 'dev', 'qa', 'prod'})}; "
            "allowed: shared, dev, qa, prod",
            file=file,
            key=f"{NAMESPACE}:environment",
        )
    try:
        settings = model.model_validate(tree)
    except ValidationError as exc:
        raise format_validation_error(exc, file=file) from None
    namer = Namer(
        workload=settings.workload,
        environment=settings.environment,
        region_code=REGION_CODES[settings.location],
        subscription_id=settings.subscription_id,
        project=project,
        stack=stack,
        generation=settings.lifecycle.name_generation,
        file=file,
    )
    _derive_all_names(settings, namer)
    return LoadedStack(project=project, stack=stack, file=file, settings=settings, namer=namer)


def _derive_all_names(settings: StackSettings, namer: Namer) -> None:
    """Derive every name the stack will use now, so an impossible one fails at load time."""
    for kind in ("resource_group", "log_analytics", "app_insights", "storage_account", "key_vault"):
        namer.name(kind)
    if isinstance(settings, SharedStackSettings):
        namer.name("ml_registry")
        return
    for kind in (
        "container_registry",
        "ml_workspace",
        "vnet",
        "user_assigned_identity",
        "function_app",
        "data_factory",
        "databricks_workspace",
        "app_service_plan",
        "aks",
    ):
        namer.name(kind)
    for name, model in settings.models.items():
        namer.endpoint(name, model.serving)


def settings_from_runtime() -> LoadedStack:
    """Read the whole config the Pulumi runtime was given and validate it.

    Used by the program's entry point under the real language host and the offline engine
    alike. Raises :class:`ConfigError`.
    """
    import pulumi
    from pulumi.runtime import config as runtime_config

    raw: dict[str, Any] = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    project, stack = pulumi.get_project(), pulumi.get_stack()
    return load_settings(raw, project=project, stack=stack)
