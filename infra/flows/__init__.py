"""``estate flows``: trace the MLOps flows F1–F7 of a stack, link by link.

:func:`trace` reads the declaration (``flows.yaml``, checked against
:data:`infra.flows.spec.REQUIRED`), decides which flows the stack's maturity level includes
(the higher of the level its settings claim and the level its plan proves, so lowering the
claim cannot skip a flow whose resources exist), expands per-model flows over the stack's
models, and resolves every link with :mod:`infra.flows.evidence` against the repository files
and the offline plans (the traced stack, the training stack, ``shared``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.errors import ConfigError
from infra.flows.evidence import BROKEN, OK, UNDECIDABLE, Context, resolve
from infra.flows.spec import SPEC_FILE, FlowSpec, LinkSpec, load_spec

TRAINING_STACK = "dev"
"""The stack whose workspace trains and writes the shared registry."""

__all__ = ["TRAINING_STACK", "FlowResult", "LinkResult", "Report", "trace"]


@dataclass(frozen=True)
class LinkResult:
    """One traced link."""

    id: str
    title: str
    kind: str
    status: str
    evidence: str
    reason: str


@dataclass
class FlowResult:
    """One flow for one model (``model`` None for stack-wide flows)."""

    id: str
    title: str
    model: str | None
    links: list[LinkResult] = field(default_factory=list)
    note: str = ""

    @property
    def status(self) -> str:
        if any(link.status == BROKEN for link in self.links):
            return BROKEN
        return OK


@dataclass
class Report:
    """The trace of one stack."""

    stack: str
    level: int
    claimed: int
    proven: int
    flows: list[FlowResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {OK: 0, BROKEN: 0, UNDECIDABLE: 0}
        for flow in self.flows:
            for link in flow.links:
                out[link.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "maturity": {"level": self.level, "claimed": self.claimed, "proven": self.proven},
            "flows": [
                {
                    "id": f.id,
                    "title": f.title,
                    "model": f.model,
                    "status": f.status,
                    "note": f.note,
                    "links": [link.__dict__ for link in f.links],
                }
                for f in self.flows
            ],
            "skipped": self.skipped,
            "summary": self.counts(),
        }


def _model_facts(project_dir: Path, stack: str) -> tuple[int, dict[str, dict[str, Any]]]:
    """The stack's claimed level and each model's filterable facts, from its settings."""
    from infra.engine.project import load_project, load_stack_config
    from infra.settings import EnvironmentStackSettings, load_settings

    project = load_project(project_dir)
    config = load_stack_config(project, stack)
    settings = load_settings(config.values, project=project.name, stack=stack, file=config.file.name).settings
    if not isinstance(settings, EnvironmentStackSettings):
        raise ConfigError(
            "the shared stack serves every environment and has no flows; trace dev, qa or prod",
            key="STACK",
        )
    byom: set[str] = set()
    for other in ("dev", "qa", "prod"):  # a model brought in by any stack is a BYOM model
        if other == stack:
            byom |= {name for name, m in settings.models.items() if m.byom is not None}
            continue
        try:
            other_config = load_stack_config(project, other)
            loaded = load_settings(
                other_config.values, project=project.name, stack=other, file=other_config.file.name
            )
        except (ConfigError, OSError):
            continue
        if isinstance(loaded.settings, EnvironmentStackSettings):
            byom |= {name for name, m in loaded.settings.models.items() if m.byom is not None}
    facts: dict[str, dict[str, Any]] = {}
    for name, model in settings.models.items():
        triggers = settings.retraining.models.get(name) if settings.retraining.enabled else None
        facts[name] = {
            "kind": model.kind,
            "serving": model.serving,
            "target": model.target,
            "byom": name in byom,
            "retrain": bool(triggers and triggers.any),
            "drift": bool(triggers and triggers.drift),
            "schedule": bool(triggers and triggers.schedule),
            "new_data": bool(triggers and triggers.new_data),
            "monitored": bool(settings.monitoring.model_monitoring and model.serving == "online"),
        }
    return settings.maturity_level, facts


def _selected(facts: dict[str, Any], wanted: dict[str, Any]) -> bool:
    for key, want in wanted.items():
        value = facts.get(key)
        if isinstance(want, list):
            if value not in want:
                return False
        elif value != want:
            return False
    return True


def _trace_flow(
    flow: FlowSpec, model: str | None, facts: dict[str, Any], level: int, ctx: Context
) -> FlowResult:
    result = FlowResult(id=flow.id, title=flow.title, model=model)
    for link in flow.links:
        if link.level > level or (model is not None and not _selected(facts, link.when)):
            continue
        res = resolve(ctx, link.kind, link.fields, f"flows.{flow.id}.links.{link.id}")
        result.links.append(
            LinkResult(
                id=link.id,
                title=link.title,
                kind=link.kind,
                status=res.status,
                evidence=res.evidence,
                reason=res.reason,
            )
        )
    return result


def _links_for(flow: FlowSpec, level: int) -> list[LinkSpec]:
    return [link for link in flow.links if link.level <= level]


def trace(
    stack: str,
    *,
    project_dir: Path | None = None,
    spec_file: Path | None = None,
    plan_of: Callable[[str], dict[str, Any]] | None = None,
) -> Report:
    """Trace every flow the stack's maturity level includes; raises ConfigError on bad input."""
    from infra.engine import preview, project_directory
    from infra.maturity import assess

    root = project_dir or project_directory()
    spec = load_spec(spec_file or SPEC_FILE)
    claimed, facts = _model_facts(root, stack)
    plans: dict[str, dict[str, Any]] = {}

    def plan(name: str) -> dict[str, Any]:
        if name not in plans:
            plans[name] = plan_of(name) if plan_of else preview(name, project_dir=root, policy=False)
        return plans[name]

    proven = int(assess(plan(stack))["level"])
    level = max(claimed, proven)
    report = Report(stack=stack, level=level, claimed=claimed, proven=proven)
    for flow in spec.values():
        if flow.level > level:
            report.skipped.append(f"{flow.id} starts at maturity level {flow.level}")
            continue
        if not _links_for(flow, level):
            continue
        targets = (
            sorted(n for n, f in facts.items() if _selected(f, flow.models)) if flow.per_model else [None]
        )
        if flow.per_model and not targets:
            report.skipped.append(f"{flow.id}: no model of {stack} is {flow.models}")
            continue
        for model in targets:
            variables = {
                "stack": stack,
                "training_stack": TRAINING_STACK,
                "model": model or "",
                "model_dashed": (model or "").replace("_", "-"),
            }
            ctx = Context(root, stack, plan, variables)
            try:
                report.flows.append(_trace_flow(flow, model, facts.get(model or "", {}), level, ctx))
            except ConfigError as exc:
                raise ConfigError(exc.detail, file=str(spec_file or SPEC_FILE), key=exc.key) from None
    return report
