"""The registry catalog: which model versions exist in the shared registry, for offline previews.

``model_assets/registry-catalog.yaml`` lists ``models: {<name>: [<version>, ...]}``. The
offline engine answers ``azure-native:machinelearningservices:getRegistryModelVersion`` from
it (see :mod:`infra.engine.answers.serving`), the way the registry answers a real preview.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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


class VersionNotFoundError(LookupError):
    """A pinned model version is not in the registry (the registry's 404, offline)."""


@dataclass(frozen=True)
class Catalog:
    """Model name → registered versions (in file order)."""

    models: dict[str, tuple[str, ...]]
    file: str

    def versions(self, model: str) -> tuple[str, ...]:
        """The registered versions of ``model`` (empty when the model is unknown)."""
        return self.models.get(model, ())

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
    for name, versions in data["models"].items():
        if not isinstance(versions, list) or not all(
            isinstance(v, (str, int)) and not isinstance(v, bool) for v in versions
        ):
            raise ConfigError(
                f"expected a list of versions (got {versions!r})", file=shown, key=f"models.{name}"
            )
        models[str(name)] = tuple(str(v) for v in versions)
    return Catalog(models=models, file=shown)
