"""Promotion: pin a model version (and optionally a traffic share) in a stack file, in place.

``estate promote STACK MODEL VERSION [--slot SLOT] [--traffic N] [--force]`` edits
``Pulumi.<STACK>.yaml`` with a ruamel.yaml round trip, so comments, key order, flow style and
quoting stay as they were and the file diff is the changed value(s) only. Nothing is written
unless every check passes:

- the model and slot exist (the default slot is the champion: most live traffic, first on a
  tie — the one the release pipeline rolls back);
- the version is explicit (digits, never latest or a label) and ``--traffic`` is 0-100 and can
  be balanced (the one other slot takes the rest; with several other slots, edit the file);
- promoting to prod needs qa to run that version in some slot, unless ``--force``;
- the edited stack validates and previews offline (which also checks the version against the
  registry catalog). ``--record`` first adds the version to ``model_assets/registry-catalog.yaml``
  (the release pipeline passes it for a version the registry has just announced), and the
  catalog edit is written with the stack file.

The result carries the offline diff (before/after previews, in process) for printing. A
rollback is the same command with the previous version, or a revert of the commit.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from infra.errors import ConfigError
from infra.settings.models import ModelVersion

MODELS_KEY = "mlops-estate:models"


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@dataclass
class Promotion:
    """A checked promotion: the stack file before and after, and what the change does."""

    stack: str
    model: str
    slot: str
    file: Path
    old_version: str
    new_version: str
    old_traffic: dict[str, int]
    new_traffic: dict[str, int]
    before: str
    after: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    catalog_file: Path | None = None
    catalog_before: str = ""
    catalog_after: str = ""

    @property
    def changed(self) -> bool:
        """Whether the stack file (or the registry catalog) changes at all."""
        return self.before != self.after or self.catalog_before != self.catalog_after

    def file_diff(self) -> str:
        """Unified diff of the stack file."""
        name = self.file.name
        text = "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )
        if self.catalog_file is not None and self.catalog_before != self.catalog_after:
            catalog = f"model_assets/{self.catalog_file.name}"
            text += "".join(
                difflib.unified_diff(
                    self.catalog_before.splitlines(keepends=True),
                    self.catalog_after.splitlines(keepends=True),
                    fromfile=f"a/{catalog}",
                    tofile=f"b/{catalog}",
                )
            )
        return text

    def write(self) -> None:
        """Write the edited stack file (and the registry catalog when ``--record`` added a
        version), all-or-nothing: temporary files in the same folders, a journal, then the
        renames (:func:`infra.atomic.write_all`); a kill at any point leaves both files as
        they were or, once the next command has recovered the journal, both as they will be."""
        from infra.atomic import write_all

        files: dict[Path, str] = {}
        if self.before != self.after:
            files[self.file] = self.after
        if self.catalog_file is not None and self.catalog_before != self.catalog_after:
            files[self.catalog_file] = self.catalog_after
        write_all(files, journal_dir=self.file.parent)


def _plain(value: Any) -> Any:
    """ruamel's round-trip containers → plain Python (for previews)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _styled(old: Any, new: str) -> Any:
    """``new`` in the scalar style of ``old`` (quoted stays quoted the same way; plain stays plain)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(new)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(new)
    if isinstance(old, int) and not isinstance(old, bool) and new.isdigit():
        return int(new)
    return new


def _stack_file(project_dir: Path, stack: str) -> Path:
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        from infra.engine import stacks

        known = stacks(project_dir)  # in deploy order, as every other command lists them
        raise ConfigError(f"no stack '{stack}' (stacks: {', '.join(known)})", key="STACK")
    return path


def _models_of(document: Any, file: Path) -> Any:
    config = document.get("config") if isinstance(document, dict) else None
    models = config.get(MODELS_KEY) if isinstance(config, dict) else None
    if not isinstance(models, dict) or not models:
        raise ConfigError(f"the stack serves no models (no {MODELS_KEY})", file=file.name)
    return models


def _qa_versions(project_dir: Path, model: str) -> list[str]:
    path = project_dir / "Pulumi.qa.yaml"
    if not path.is_file():
        return []
    document = _yaml().load(path.read_text(encoding="utf-8"))
    try:
        slots = document["config"][MODELS_KEY][model]["deployments"]
    except (KeyError, TypeError):
        return []
    return [str(slot.get("version")) for slot in slots.values() if isinstance(slot, dict)]


def _balance(slots: dict[str, int], slot: str, traffic: int) -> dict[str, int]:
    others = [name for name in slots if name != slot]
    if not others:
        if traffic != 100:
            raise ConfigError(
                f"{traffic} for the only slot '{slot}'; a single slot takes all traffic (100)",
                key="--traffic",
            )
        return {slot: 100}
    if len(others) > 1:
        raise ConfigError(
            f"cannot split the remaining {100 - traffic}% among {len(others)} other slots ({', '.join(others)}); "
            "edit the traffic values in the stack file",
            key="--traffic",
        )
    return {slot: traffic, others[0]: 100 - traffic}


def prepare(
    stack: str,
    model: str,
    version: str,
    *,
    slot: str | None = None,
    traffic: int | None = None,
    force: bool = False,
    project_dir: Path | None = None,
    preview_changes: bool = True,
    record: bool = False,
    model_type: str | None = None,
) -> Promotion:
    """Check and compute a promotion without writing anything. Raises :class:`ConfigError`.
    With ``record``, ``model_type`` (the type the version was registered as) is recorded too."""
    from infra.engine import project_directory

    project_dir = (project_dir or project_directory()).resolve()
    file = _stack_file(project_dir, stack)
    try:
        version = TypeAdapter(ModelVersion).validate_python(version)
    except ValidationError as exc:
        raise ConfigError(exc.errors(include_url=False)[0]["msg"], key="VERSION") from None
    if traffic is not None and not 0 <= traffic <= 100:
        raise ConfigError(f"{traffic} is out of range; traffic is a percentage 0-100", key="--traffic")
    before = file.read_text(encoding="utf-8")
    yaml = _yaml()
    document = yaml.load(before)
    models = _models_of(document, file)
    if model not in models:
        raise ConfigError(
            f"no model '{model}' in {file.name} (models: {', '.join(map(str, models))})", key="MODEL"
        )
    deployments = models[model].get("deployments") if isinstance(models[model], dict) else None
    if not isinstance(deployments, dict) or not deployments:
        raise ConfigError(
            "the model has no deployments", file=file.name, key=f"{MODELS_KEY}.{model}.deployments"
        )
    current = {str(name): int(entry.get("traffic", 0) or 0) for name, entry in deployments.items()}
    if slot is None:
        slot = max(current, key=lambda name: current[name])
    elif slot not in deployments:
        raise ConfigError(
            f"no slot '{slot}' for model '{model}' in {file.name} (slots: {', '.join(current)})", key="--slot"
        )
    environment = str(document["config"].get("mlops-estate:environment", stack))
    if environment == "prod" and not force:
        in_qa = _qa_versions(project_dir, model)
        if version not in in_qa:
            runs = ", ".join(in_qa) if in_qa else "nothing"
            raise ConfigError(
                f"qa does not run {model} {version} (qa runs: {runs}); promote it in qa first, or pass --force",
                key="VERSION",
            )
    entry = deployments[slot]
    old_version = str(entry.get("version"))
    entry["version"] = _styled(entry.get("version"), version)
    new_traffic = dict(current)
    if traffic is not None:
        new_traffic.update(_balance(current, slot, traffic))
        for name, percent in new_traffic.items():
            if percent != current[name]:
                deployments[name]["traffic"] = percent
    out = io.StringIO()
    yaml.dump(document, out)
    after = out.getvalue()
    promotion = Promotion(
        stack=stack,
        model=model,
        slot=slot,
        file=file,
        old_version=old_version,
        new_version=version,
        old_traffic=current,
        new_traffic=new_traffic,
        before=before,
        after=after,
    )
    if model_type is not None and not record:
        raise ConfigError(
            "is recorded with --record only (the version was just registered)", key="--model-type"
        )
    if record:
        _record(promotion, model, version, model_type)
    if preview_changes and promotion.changed:
        from infra.engine import preview
        from infra.engine.diff import changes

        old_plan = preview(stack, project_dir=project_dir, policy=False)
        with _catalog_override(promotion):
            new_plan = preview(
                stack, project_dir=project_dir, policy=False, overrides={MODELS_KEY: _plain(models)}
            )
        promotion.changes = changes(old_plan, new_plan)
    return promotion


def _record(promotion: Promotion, model: str, version: str, model_type: str | None = None) -> None:
    """Add ``model`` ``version`` (and its model type, when given) to the registry catalog (in the
    promotion, not on disk yet)."""
    from infra.catalog import MODEL_TYPES, append_entry, catalog_path, load_catalog

    if model_type is not None and model_type not in MODEL_TYPES:
        raise ConfigError(f"'{model_type}' is not one of {', '.join(MODEL_TYPES)}", key="--model-type")

    path = catalog_path(promotion.file.parent)
    load_catalog(path)  # a broken catalog is reported as such
    text = path.read_text(encoding="utf-8")
    promotion.catalog_file, promotion.catalog_before, promotion.catalog_after = path, text, text
    yaml = _yaml()
    document = yaml.load(text)
    versions = document["models"].get(model)
    if versions is not None and version in load_catalog(path).versions(model):
        return
    append_entry(document, model, version, model_type)
    out = io.StringIO()
    yaml.dump(document, out)
    promotion.catalog_after = out.getvalue()


class _catalog_override:
    """Point the offline registry lookup at the promotion's edited catalog while previewing."""

    def __init__(self, promotion: Promotion) -> None:
        self._promotion = promotion
        self._tmp: Any = None
        self._saved: str | None = None

    def __enter__(self) -> None:
        import os
        import tempfile

        from infra.catalog import CATALOG_ENV

        if self._promotion.catalog_before == self._promotion.catalog_after:
            return
        self._tmp = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8")
        self._tmp.write(self._promotion.catalog_after)
        self._tmp.close()
        self._saved = os.environ.get(CATALOG_ENV)
        os.environ[CATALOG_ENV] = self._tmp.name

    def __exit__(self, *exc: object) -> None:
        import os

        from infra.catalog import CATALOG_ENV

        if self._tmp is None:
            return
        if self._saved is None:
            os.environ.pop(CATALOG_ENV, None)
        else:
            os.environ[CATALOG_ENV] = self._saved
        Path(self._tmp.name).unlink(missing_ok=True)


def render(promotion: Promotion, *, width: int = 80) -> str:
    """What ``estate promote`` prints: the stack file diff, then the offline diff per resource."""
    if not promotion.changed:
        return (
            f"{promotion.file.name}: {promotion.model} slot {promotion.slot} already serves version "
            f"{promotion.new_version}; nothing to change"
        )
    from infra.engine.render import fit, render_property

    symbols = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
    lines = [
        promotion.file_diff().rstrip("\n"),
        "",
        f"Offline diff of {promotion.stack} ({promotion.model} {promotion.old_version} -> "
        f"{promotion.new_version} in slot {promotion.slot}):",
    ]
    for change in promotion.changes:
        kind = str(change["type"]).rsplit(":", 1)[-1]
        lines.append(
            fit(f"  {symbols[change['action']]:<2} {change['action']:<7} {kind} {change['name']}", width)
        )
        for diff in change.get("diffs") or []:
            lines.extend(render_property(diff, width, indent="        "))
    if not promotion.changes:
        lines.append("  (no resource changes)")
    return "\n".join(lines)
