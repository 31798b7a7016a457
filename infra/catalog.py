"""The registry catalog: which model versions exist in the shared registry, for offline previews.

``model_assets/registry-catalog.yaml`` lists ``models: {<name>: [<entry>, ...]}``; an entry is
a version (``"3"``) or a version with the model type the registry reports for it
(``{version: "5", type: mlflow_model}``; ``custom_model``, ``mlflow_model`` or
``triton_model``). Entries recorded before types were recorded have none and stay valid: for
them a no-code deployment's type is checked by the real registry only. The offline engine
answers ``azure-native:machinelearningservices:getRegistryModelVersion`` from it (version and,
when recorded, ``modelType``; see :mod:`infra.engine.answers.serving`), the way the registry
answers a real preview.

The catalog lists **registered versions only**, each added by the step that registered it,
after the registry accepted it (:func:`record_version`: the pipeline's register step,
``model_assets.register_artifact``, ``estate promote --record``), so an offline pass means a
real pass. ``$ESTATE_REGISTRY=empty`` (``estate preview --registry empty``) previews against a
brand-new registry instead (:func:`offline_registry`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.errors import ConfigError

CATALOG_RELATIVE = Path("model_assets") / "registry-catalog.yaml"
"""Where a project keeps its catalog, relative to the folder holding ``Pulumi.yaml``."""

CATALOG_ENV = "ESTATE_REGISTRY_CATALOG"
"""Environment variable naming another catalog file (component tests with their own models)."""

_ACTIVE: list[Path] = []
"""The project whose program the engine is running (innermost last)."""


@contextmanager
def project_catalog(project_dir: Path) -> Iterator[None]:
    """While the engine runs a project's program, registry lookups read that project's catalog."""
    _ACTIVE.append(project_dir)
    try:
        yield
    finally:
        _ACTIVE.pop()


def catalog_path(project_dir: Path | None = None) -> Path:
    """The catalog to read: ``$ESTATE_REGISTRY_CATALOG``, else the catalog of ``project_dir``
    (default: the project the engine is running, else the one found from the working folder)."""
    override = os.environ.get(CATALOG_ENV)
    if override:
        return Path(override)
    if project_dir is None:
        if _ACTIVE:
            project_dir = _ACTIVE[-1]
        else:
            from infra.engine import project_directory

            project_dir = project_directory()
    return project_dir / CATALOG_RELATIVE


REGISTRY_ENV = "ESTATE_REGISTRY"
"""Environment variable choosing what the offline registry holds: ``catalog`` (the catalog file,
the default) or ``empty`` (a brand-new registry: every version lookup is the registry's 404)."""

REGISTRY_CHOICES = ("catalog", "empty")

MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
"""The model types a catalog entry may record (the registry's ``modelType``)."""


def registry_choice() -> str:
    """What the offline registry holds for this run (``$ESTATE_REGISTRY``, default ``catalog``)."""
    choice = os.environ.get(REGISTRY_ENV, "catalog") or "catalog"
    if choice not in REGISTRY_CHOICES:
        raise ConfigError(
            f"'{choice}' is not a registry choice; use one of {', '.join(REGISTRY_CHOICES)}", key=REGISTRY_ENV
        )
    return choice


@contextmanager
def registry_env(choice: str | None) -> Iterator[None]:
    """Run a block with ``$ESTATE_REGISTRY`` set to ``choice`` (None: leave it as it is)."""
    if choice is None:
        yield
        return
    if choice not in REGISTRY_CHOICES:
        raise ConfigError(
            f"'{choice}' is not allowed; use one of {', '.join(REGISTRY_CHOICES)}", key="--registry"
        )
    before = os.environ.get(REGISTRY_ENV)
    os.environ[REGISTRY_ENV] = choice
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(REGISTRY_ENV, None)
        else:
            os.environ[REGISTRY_ENV] = before


def offline_registry() -> Catalog:
    """The catalog the offline version lookups answer from: the file, or nothing (``empty``)."""
    if registry_choice() == "empty":
        return Catalog(models={}, file="an empty registry (--registry empty)")
    return load_catalog()


class VersionNotFoundError(LookupError):
    """A pinned model version is not in the registry (the registry's 404, offline)."""


@dataclass(frozen=True)
class Catalog:
    """Model name → registered versions (in file order)."""

    models: dict[str, tuple[str, ...]]
    file: str
    types: dict[str, dict[str, str]] = field(default_factory=dict)
    """Model name → version → recorded model type (versions recorded without one are absent)."""

    def versions(self, model: str) -> tuple[str, ...]:
        """The registered versions of ``model`` (empty when the model is unknown)."""
        return self.models.get(model, ())

    def model_type(self, model: str, version: str) -> str | None:
        """The recorded model type of ``model`` ``version`` (``None``: not recorded)."""
        return self.types.get(model, {}).get(str(version))

    def require(self, model: str, version: str, *, registry: str) -> None:
        """Raise :class:`VersionNotFoundError` unless ``model`` ``version`` is registered."""
        known = self.versions(model)
        if str(version) in known:
            return
        listed = ", ".join(known) if known else f"none; model '{model}' is not in {self.file}"
        raise VersionNotFoundError(
            f"version '{version}' of model '{model}' is not in registry {registry} (known: {listed})"
        )


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate the catalog file. Raises :class:`ConfigError` naming the file and key."""
    from ruamel.yaml import YAML, YAMLError

    path = path or catalog_path()
    shown = str(CATALOG_RELATIVE) if path.parts[-2:] == CATALOG_RELATIVE.parts else str(path)
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("the registry catalog file is missing", file=shown) from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise ConfigError("the registry catalog is not a UTF-8 text file", file=shown) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"not valid YAML{where} ({exc.__class__.__name__})", file=shown) from None
    if not isinstance(data, dict) or set(data) != {"models"} or not isinstance(data["models"], dict):
        raise ConfigError("expected one key 'models' mapping model names to lists of versions", file=shown)
    models: dict[str, tuple[str, ...]] = {}
    types: dict[str, dict[str, str]] = {}
    for name, versions in data["models"].items():
        if not isinstance(versions, list):
            raise ConfigError(
                f"expected a list of versions (got {versions!r})", file=shown, key=f"models.{name}"
            )
        listed: list[str] = []
        for index, entry in enumerate(versions):
            version, model_type = _entry(entry, shown, f"models.{name}[{index}]")
            listed.append(version)
            if model_type is not None:
                types.setdefault(str(name), {})[version] = model_type
        models[str(name)] = tuple(listed)
    return Catalog(models=models, file=shown, types=types)


def _is_version(value: object) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _entry(entry: object, shown: str, key: str) -> tuple[str, str | None]:
    """(version, recorded type) of one catalog entry: ``"3"`` or ``{version: "3", type: mlflow_model}``."""
    if _is_version(entry):
        return str(entry), None
    if isinstance(entry, dict) and set(entry) == {"version", "type"} and _is_version(entry["version"]):
        if entry["type"] not in MODEL_TYPES:
            raise ConfigError(
                f"type '{entry['type']}' is not one of {', '.join(MODEL_TYPES)}",
                file=shown,
                key=f"{key}.type",
            )
        return str(entry["version"]), str(entry["type"])
    raise ConfigError(
        f'expected a version ("3") or {{version: "3", type: <{"|".join(MODEL_TYPES)}>}} (got {entry!r})',
        file=shown,
        key=key,
    )


def record_version(
    model: str, version: str, path: Path | None = None, *, model_type: str | None = None
) -> bool:
    """Record that ``model`` ``version`` is now registered: add it to the catalog file, with the
    model type the registry accepted it as (``model_type``; ``None`` records the version alone).

    Called by the step that registered it, and only after the registration succeeded
    (``model_assets.register_artifact``; the release's ``estate promote --record``), so the
    catalog lists registered versions only. Comments and order are kept; the file is replaced
    atomically. Returns False when the version was already listed.
    """
    import io
    import tempfile

    from ruamel.yaml import YAML

    from infra.settings.models import MODEL_NAME, VERSION

    path = path or catalog_path()
    if not MODEL_NAME.match(model):
        raise ConfigError(
            f"model name '{model}' is invalid (a lower-case letter, then [a-z0-9_])", key="MODEL"
        )
    if not VERSION.match(str(version)):
        raise ConfigError(
            f"'{version}' is not an explicit registry version (digits, e.g. \"1\")", key="VERSION"
        )
    if model_type is not None and model_type not in MODEL_TYPES:
        raise ConfigError(f"'{model_type}' is not one of {', '.join(MODEL_TYPES)}", key="MODEL_TYPE")
    if str(version) in load_catalog(path).versions(model):
        return False
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    document = yaml.load(path.read_text(encoding="utf-8"))
    append_entry(document, model, str(version), model_type)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(buffer.getvalue())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def append_entry(document: Any, model: str, version: str, model_type: str | None) -> None:
    """Append one entry to a round-trip-loaded catalog document (flow style, quoted version;
    ``{version: "N", type: T}`` when the type is known)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    versions = document["models"].get(model)
    if versions is None:
        versions = CommentedSeq()
        versions.fa.set_flow_style()
        document["models"][model] = versions
    if model_type is None:
        versions.append(DoubleQuotedScalarString(version))
        return
    entry = CommentedMap()
    entry["version"] = DoubleQuotedScalarString(version)
    entry["type"] = model_type
    entry.fa.set_flow_style()
    versions.append(entry)
