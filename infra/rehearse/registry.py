"""A local stand-in for the shared Azure ML registry: one folder per model version.

It offers the calls the registration steps make, ``client.models.create_or_update(model)``
(an ``azure.ai.ml.entities.Model``) and ``client.data.create_or_update(data)`` (the monitors'
reference data, an ``azure.ai.ml.entities.Data``; kept under ``<root>/data/<name>/``), so a register step runs unchanged with this client in
place of ``MLClient(registry_name=...)``. The registry assigns the next version, as Azure ML
does when no version is given. Layout: ``<root>/<model>/<version>/artifact/`` plus
``meta.json`` (tags, description, where it came from).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

META_FILE = "meta.json"


@dataclass(frozen=True)
class RegisteredVersion:
    """What ``create_or_update`` returns (the fields the register steps read)."""

    name: str
    version: str
    path: Path
    tags: dict[str, str]


class _Models:
    def __init__(self, registry: LocalRegistry):
        self._registry = registry

    def create_or_update(self, model: Any) -> RegisteredVersion:
        """Register ``model`` (an azure.ai.ml Model entity) as the next version."""
        return self._registry.register(
            str(model.name), Path(str(model.path)), dict(model.tags or {}), str(model.description or "")
        )


class _Data:
    def __init__(self, registry: LocalRegistry):
        self._registry = registry

    def create_or_update(self, data: Any) -> RegisteredVersion:
        """Register ``data`` (an azure.ai.ml Data entity) as the next version of its asset."""
        return self._registry.register(
            f"data/{data.name}", Path(str(data.path)), dict(data.tags or {}), str(data.description or "")
        )


class LocalRegistry:
    """The registry stand-in rooted at ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.models = _Models(self)
        self.data = _Data(self)

    def versions(self, name: str) -> list[str]:
        """Registered versions of ``name``, oldest first."""
        folder = self.root / name
        if not folder.is_dir():
            return []
        return sorted((p.name for p in folder.iterdir() if (p / META_FILE).is_file()), key=_version_key)

    def artifact(self, name: str, version: str) -> Path:
        """The artifact folder of one version (KeyError when it was not registered here)."""
        path = self.root / name / version / "artifact"
        if not (self.root / name / version / META_FILE).is_file():
            raise KeyError(f"{name} version {version} is not in the registry stand-in at {self.root}")
        return path

    def meta(self, name: str, version: str) -> dict[str, Any]:
        """The metadata of one version."""
        data: dict[str, Any] = json.loads(
            (self.root / name / version / META_FILE).read_text(encoding="utf-8")
        )
        return data

    def seed(self, name: str, version: str, source: Path | None, note: str) -> None:
        """Record a version that already exists in the real registry (artifact optional)."""
        self._write(name, version, source, {"seeded": note}, note)

    def register(self, name: str, source: Path, tags: dict[str, str], description: str) -> RegisteredVersion:
        """Store ``source`` as the next version of ``name``."""
        existing = self.versions(name)
        version = str(int(existing[-1].split(".")[0]) + 1) if existing else "1"
        self._write(name, version, source, tags, description)
        return RegisteredVersion(name=name, version=version, path=self.artifact(name, version), tags=tags)

    def _write(
        self, name: str, version: str, source: Path | None, tags: dict[str, str], description: str
    ) -> None:
        folder = self.root / name / version
        if folder.exists():
            raise FileExistsError(f"{name} version {version} is already registered")
        staging = self.root / name / f".{version}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if source is not None:
            if source.is_dir():
                shutil.copytree(source, staging / "artifact")
            else:
                (staging / "artifact").mkdir()
                shutil.copy(source, staging / "artifact" / source.name)
        meta = {"name": name, "version": version, "tags": tags, "description": description}
        (staging / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(staging, folder)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())
