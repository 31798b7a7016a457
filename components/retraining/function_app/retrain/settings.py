"""App settings of the retraining Function App, validated once at startup.

Every error names the setting (and, inside ``RETRAIN_MODELS``, the key path), the bad value
and what is allowed. :func:`parse_models` is usable on its own so the infrastructure can check
the same JSON at preview time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from . import contract as c
from .errors import SettingsError
from .ncrontab import CronSchedule, CronSyntaxError

TRIGGER_KINDS = ("schedule", "newData", "drift")
DEFAULT_COOLDOWN_MINUTES = 1440
MAX_COOLDOWN_MINUTES = 525_600  # one year
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
_CONTAINER_NAME = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_ADO_PROJECT_FORBIDDEN = set("\\/:*?\"'<>;#${},+=[]|")
_KEY_MARKERS = ("accountkey=", "sharedaccesssignature=")


@dataclass(frozen=True)
class NewDataTrigger:
    """The landing-zone container (and blob name prefix) whose new blobs retrain a model."""

    container: str
    prefix: str

    def matches(self, container: str, blob_path: str) -> bool:
        """Whether a blob created at ``container``/``blob_path`` is new data for this model."""
        return container == self.container and blob_path.startswith(self.prefix)


@dataclass(frozen=True)
class ModelConfig:
    """One model's retraining triggers and cooldown."""

    name: str
    schedule: CronSchedule | None
    new_data: NewDataTrigger | None
    drift: bool
    cooldown: timedelta

    def trigger_enabled(self, kind: str) -> bool:
        """Whether the trigger ``kind`` (schedule, newData or drift) is on for this model."""
        if kind == "schedule":
            return self.schedule is not None
        if kind == "newData":
            return self.new_data is not None
        if kind == "drift":
            return self.drift
        raise ValueError(f"unknown trigger kind {kind!r}; known: {', '.join(TRIGGER_KINDS)}")


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its app settings."""

    models: Mapping[str, ModelConfig]
    state_account_url: str
    state_container: str
    ado_organization_url: str
    ado_project: str
    ado_pipeline_id: int
    environment: str


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate the app settings; raise :class:`SettingsError` naming the first bad one."""
    _reject_storage_keys(environ)
    for name in c.REQUIRED_SETTINGS:
        if not environ.get(name, "").strip():
            raise SettingsError("is not set; the infrastructure must set this app setting", key=name)
    environment = environ[c.SETTING_ENVIRONMENT].strip()
    if environment not in c.ENVIRONMENTS:
        raise SettingsError(
            f"{environment!r} is not an environment; allowed: {', '.join(c.ENVIRONMENTS)}",
            key=c.SETTING_ENVIRONMENT,
        )
    pipeline_text = environ[c.SETTING_ADO_TRAIN_PIPELINE_ID].strip()
    if not pipeline_text.isdigit() or int(pipeline_text) == 0:
        raise SettingsError(
            f"{pipeline_text!r} is not a pipeline id; allowed: a positive integer (the definition id)",
            key=c.SETTING_ADO_TRAIN_PIPELINE_ID,
        )
    return Settings(
        models=parse_models(environ[c.SETTING_MODELS]),
        state_account_url=_blob_endpoint(environ[c.SETTING_STATE_ACCOUNT_URL].strip()),
        state_container=_container(environ[c.SETTING_STATE_CONTAINER].strip(), c.SETTING_STATE_CONTAINER),
        ado_organization_url=_ado_organization(environ[c.SETTING_ADO_ORGANIZATION_URL].strip()),
        ado_project=_ado_project(environ[c.SETTING_ADO_PROJECT].strip()),
        ado_pipeline_id=int(pipeline_text),
        environment=environment,
    )


def parse_models(text: str | Mapping[str, object]) -> dict[str, ModelConfig]:
    """Validate ``RETRAIN_MODELS`` (JSON text or an already-decoded mapping)."""
    key = c.SETTING_MODELS
    value: object = text
    if isinstance(text, str):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"is not valid JSON ({exc.msg} at character {exc.pos})", key=key) from None
    if not isinstance(value, Mapping) or not value:
        raise SettingsError(
            f"must be a non-empty JSON object of model name -> settings, got {_show(value)}", key=key
        )
    models: dict[str, ModelConfig] = {}
    for name, body in value.items():
        if not isinstance(name, str) or not _MODEL_NAME.match(name):
            raise SettingsError(
                f"model name {name!r} is not allowed; allowed: letters, digits, '_', '.', '-', "
                "starting with a letter or digit, at most 255 characters",
                key=key,
            )
        models[name] = _model(name, body)
    return models


def _model(name: str, body: object) -> ModelConfig:
    key = f"{c.SETTING_MODELS}.{name}"
    if not isinstance(body, Mapping):
        raise SettingsError(
            f"must be an object with 'triggers' and 'cooldownMinutes', got {_show(body)}", key=key
        )
    _no_unknown_keys(body, ("triggers", "cooldownMinutes"), key)
    if "triggers" not in body:
        raise SettingsError("has no 'triggers' object", key=key)
    triggers = body["triggers"]
    if not isinstance(triggers, Mapping):
        raise SettingsError(f"must be an object, got {_show(triggers)}", key=f"{key}.triggers")
    _no_unknown_keys(triggers, TRIGGER_KINDS, f"{key}.triggers")
    cooldown = body.get("cooldownMinutes", DEFAULT_COOLDOWN_MINUTES)
    if (
        isinstance(cooldown, bool)
        or not isinstance(cooldown, int)
        or not 1 <= cooldown <= MAX_COOLDOWN_MINUTES
    ):
        raise SettingsError(
            f"{_show(cooldown)} is not allowed; allowed: an integer number of minutes, 1-{MAX_COOLDOWN_MINUTES}",
            key=f"{key}.cooldownMinutes",
        )
    drift = triggers.get("drift", False)
    if not isinstance(drift, bool):
        raise SettingsError(
            f"{_show(drift)} is not allowed; allowed: true or false", key=f"{key}.triggers.drift"
        )
    return ModelConfig(
        name=name,
        schedule=_schedule(triggers.get("schedule"), f"{key}.triggers.schedule"),
        new_data=_new_data(triggers.get("newData"), f"{key}.triggers.newData"),
        drift=drift,
        cooldown=timedelta(minutes=cooldown),
    )


def _schedule(value: object, key: str) -> CronSchedule | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SettingsError(f"{_show(value)} is not allowed; allowed: an NCRONTAB string or null", key=key)
    try:
        return CronSchedule.parse(value)
    except CronSyntaxError as exc:
        raise SettingsError(f"{value!r} is not a valid NCRONTAB expression: {exc}", key=key) from None


def _new_data(value: object, key: str) -> NewDataTrigger | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SettingsError(
            f'{_show(value)} is not allowed; allowed: null or {{"container": ..., "prefix": ...}}', key=key
        )
    _no_unknown_keys(value, ("container", "prefix"), key)
    container = value.get("container")
    if not isinstance(container, str):
        raise SettingsError(f"{_show(container)} is not a container name", key=f"{key}.container")
    prefix = value.get("prefix", "")
    if not isinstance(prefix, str) or prefix.startswith("/"):
        raise SettingsError(
            f"{_show(prefix)} is not allowed; allowed: a blob name prefix without a leading '/' ('' for all)",
            key=f"{key}.prefix",
        )
    return NewDataTrigger(container=_container(container, f"{key}.container"), prefix=prefix)


def _container(value: str, key: str) -> str:
    if not _CONTAINER_NAME.match(value):
        raise SettingsError(
            f"{value!r} is not a blob container name; allowed: 3-63 lowercase letters, digits and "
            "single hyphens, starting and ending with a letter or digit",
            key=key,
        )
    return value


def _blob_endpoint(value: str) -> str:
    key = c.SETTING_STATE_ACCOUNT_URL
    parts = urlsplit(value)
    if parts.query or "sig=" in value.lower() or any(m in value.lower() for m in _KEY_MARKERS):
        raise SettingsError(
            "carries a key or SAS token; give the plain blob endpoint, the app signs in with its identity",
            key=key,
        )
    if parts.scheme != "https" or ".blob." not in parts.netloc or parts.path not in ("", "/"):
        raise SettingsError(
            f"{value!r} is not a blob endpoint; allowed: https://<account>.blob.<cloud suffix>/",
            key=key,
        )
    return f"https://{parts.netloc}/"


def _ado_organization(value: str) -> str:
    key = c.SETTING_ADO_ORGANIZATION_URL
    parts = urlsplit(value)
    path = parts.path.strip("/")
    dev_azure = parts.netloc == "dev.azure.com" and path and "/" not in path
    visual_studio = parts.netloc.endswith(".visualstudio.com") and not path
    if parts.scheme != "https" or parts.query or not (dev_azure or visual_studio):
        raise SettingsError(
            f"{value!r} is not an Azure DevOps organization URL; allowed: https://dev.azure.com/<org> "
            "or https://<org>.visualstudio.com",
            key=key,
        )
    return f"https://{parts.netloc}/{path}".rstrip("/")


def _ado_project(value: str) -> str:
    bad = sorted(set(value) & _ADO_PROJECT_FORBIDDEN)
    if len(value) > 64 or bad or value.startswith(("_", ".")) or value.endswith("."):
        raise SettingsError(
            f"{value!r} is not an Azure DevOps project name; allowed: at most 64 characters, none of "
            f"{''.join(sorted(_ADO_PROJECT_FORBIDDEN))}, not starting with '_' or '.', not ending with '.'",
            key=c.SETTING_ADO_PROJECT,
        )
    return value


def _reject_storage_keys(environ: Mapping[str, str]) -> None:
    """The host's own storage must be identity-based (``AzureWebJobsStorage__accountName``)."""
    for name in ("AzureWebJobsStorage", "AzureWebJobsStorage__connectionString"):
        text = environ.get(name, "").lower()
        if any(marker in text for marker in _KEY_MARKERS):
            raise SettingsError(
                "holds a key-based connection string; use identity-based settings "
                "(AzureWebJobsStorage__accountName or __blobServiceUri/__queueServiceUri) instead",
                key=name,
            )


def _no_unknown_keys(body: Mapping[object, object], allowed: tuple[str, ...], key: str) -> None:
    unknown = sorted(str(k) for k in body if k not in allowed)
    if unknown:
        raise SettingsError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}", key=key)


def _show(value: object) -> str:
    """A short JSON rendering of a bad value for messages."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
