"""The flows' declaration: which links each flow must have, and the data file that proves them.

``REQUIRED`` (here, in code) is the contract: per flow, the maturity level from which a stack
must trace it and the ids of the links it must have. ``flows.yaml`` (beside this file) declares
each link's evidence: its kind and what to look for. A data file that drops a required link or
declares a flow from a higher level than ``REQUIRED`` says is refused (exit 2, naming the file
and key), so a flow cannot pass by having fewer links and a level cannot be raised to skip it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from infra.errors import ConfigError

SPEC_FILE = Path(__file__).resolve().parent / "flows.yaml"
KINDS = ("file", "yaml", "resource", "absent", "output", "role", "contract", "undecidable")
MODEL_FILTERS = ("kind", "serving", "target", "byom", "retrain", "monitored", "drift", "schedule", "new_data")


@dataclass(frozen=True)
class Required:
    """What the code requires of one flow."""

    level: int
    links: tuple[str, ...]


REQUIRED: dict[str, Required] = {
    "F1": Required(
        1,
        (
            "ci-on-every-change",
            "lint",
            "unit-tests-coverage",
            "data-sanity-tests",
            "train-on-main-only",
            "train-with-dev-identity",
            "train-waits",
        ),
    ),
    "F2": Required(
        2,
        (
            "training-pipeline",
            "features-train-evaluate-register",
            "cluster-contract",
            "champion-from-prod",
            "prod-pins-champion",
            "register-only-when-better",
            "registry-writer-role",
            "trains-in-writer-stack",
            "registration-artifact",
            "byom-artifact-datastore",
        ),
    ),
    "F3": Required(
        3,
        (
            "release-started-by-registering-run",
            "no-wait-for-registry-event",
            "release-authorised-here",
            "qa-before-prod",
            "approval",
            "smoke-test",
            "smoke-auth",
            "any-version-deployable",
            "rollback",
            "scoring-uri-resolves",
        ),
    ),
    "F4": Required(
        3, ("logs", "metrics", "alerts", "model-monitor", "reference-data-created", "reference-data-resolves")
    ),
    "F5": Required(
        4,
        (
            "schedule",
            "new-data",
            "new-data-queue-declared",
            "new-data-topic-may-send",
            "new-data-queue-name",
            "function-reads-that-account",
            "drift",
            "drift-topic-may-send",
            "drift-queue-name",
            "drift-signal-emitted",
            "cooldown",
            "trains-in-training-stack",
            "function-package-deployed",
            "back-into-training",
        ),
    ),
    "F6": Required(
        3,
        (
            "databricks-job",
            "entry-point-scores",
            "mlflow-registry",
            "data-factory-schedule",
            "trigger-started",
            "qa-and-prod-have-batch",
            "input-data-lands",
        ),
    ),
    "F7": Required(2, ("scoring-pipeline", "registration-switch", "threshold-breach-reruns-scoring")),
}


@dataclass(frozen=True)
class LinkSpec:
    """One declared link: its id, evidence kind, level, model filter and kind-specific fields."""

    id: str
    kind: str
    title: str
    level: int
    when: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FlowSpec:
    """One flow: per model (``per_model``) or for the whole stack."""

    id: str
    title: str
    level: int
    per_model: bool
    models: dict[str, Any]
    links: tuple[LinkSpec, ...]


def _blame(file: Path, key: str, message: str) -> ConfigError:
    return ConfigError(message, file=str(file), key=key)


def _link(file: Path, flow: str, index: int, raw: Any, flow_level: int) -> LinkSpec:
    key = f"flows.{flow}.links[{index}]"
    if not isinstance(raw, dict):
        raise _blame(file, key, "must be a mapping with id, kind and title")
    for name in ("id", "kind", "title"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise _blame(file, f"{key}.{name}", "is required (a non-empty string)")
    if raw["kind"] not in KINDS:
        raise _blame(file, f"{key}.kind", f"'{raw['kind']}' is not one of {', '.join(KINDS)}")
    level = raw.get("level", flow_level)
    if not isinstance(level, int) or not 1 <= level <= 5:
        raise _blame(file, f"{key}.level", f"{level!r} is not a maturity level 1-5")
    when = raw.get("when", {})
    if not isinstance(when, dict) or any(k not in MODEL_FILTERS for k in when):
        raise _blame(file, f"{key}.when", f"filters models by {', '.join(MODEL_FILTERS)} only")
    if raw["kind"] == "undecidable" and not (raw.get("reason") and raw.get("decided_by")):
        raise _blame(file, key, "an undecidable link needs 'reason' and 'decided_by'")
    fields = {k: v for k, v in raw.items() if k not in ("id", "kind", "title", "level", "when")}
    return LinkSpec(
        id=raw["id"], kind=raw["kind"], title=raw["title"], level=level, when=dict(when), fields=fields
    )


def load_spec(path: Path | None = None) -> dict[str, FlowSpec]:
    """Read and check the data file against :data:`REQUIRED` (ConfigError naming file and key)."""
    file = path or SPEC_FILE
    try:
        data = YAML(typ="safe").load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _blame(file, "flows", f"cannot be read ({exc.strerror})") from None
    except YAMLError as exc:
        raise _blame(file, "flows", f"is not valid YAML ({exc})") from None
    flows = data.get("flows") if isinstance(data, dict) else None
    if not isinstance(flows, dict):
        raise _blame(file, "flows", "must be a mapping of flow id (F1..F7) to its links")
    out: dict[str, FlowSpec] = {}
    for flow_id, required in REQUIRED.items():
        raw = flows.get(flow_id)
        if not isinstance(raw, dict):
            raise _blame(file, f"flows.{flow_id}", "is missing; every flow of the estate is traced")
        level = raw.get("level")
        if level != required.level:
            raise _blame(
                file,
                f"flows.{flow_id}.level",
                f"{level!r} differs from the level this flow starts at ({required.level}); "
                "a flow's level cannot be changed to skip it",
            )
        links = raw.get("links")
        if not isinstance(links, list):
            raise _blame(file, f"flows.{flow_id}.links", "must be a list of links")
        parsed = tuple(_link(file, flow_id, i, item, level) for i, item in enumerate(links))
        ids = [link.id for link in parsed]
        missing = [i for i in required.links if i not in ids]
        if missing:
            raise _blame(
                file,
                f"flows.{flow_id}.links",
                f"lacks the required link(s) {', '.join(missing)}; a flow cannot pass with fewer links",
            )
        for link in parsed:
            if link.level < level:
                raise _blame(
                    file,
                    f"flows.{flow_id}.links.{link.id}.level",
                    f"{link.level} is below the flow's {level}",
                )
        models = raw.get("models", {})
        if not isinstance(models, dict) or any(k not in MODEL_FILTERS for k in models):
            raise _blame(
                file, f"flows.{flow_id}.models", f"filters models by {', '.join(MODEL_FILTERS)} only"
            )
        out[flow_id] = FlowSpec(
            id=flow_id,
            title=str(raw.get("title") or flow_id),
            level=level,
            per_model=bool(raw.get("per_model", False)),
            models=dict(models),
            links=parsed,
        )
    unknown = sorted(set(flows) - set(REQUIRED))
    if unknown:
        raise _blame(file, f"flows.{unknown[0]}", f"is not a flow of the estate ({', '.join(REQUIRED)})")
    return out
