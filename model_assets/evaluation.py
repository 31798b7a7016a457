"""The evaluation gate shared by every ML model: is the candidate better than the champion?

Pure logic, no I/O beyond :func:`write_report`. The champion is the model version pinned in
the target stack (see :mod:`model_assets.champion`), scored on the *same* test data as the
candidate, not every version ever registered.

Rules:

* the candidate must first meet every absolute threshold (``thresholds``: a floor for a
  higher-is-better metric, a ceiling for a lower-is-better one);
* with no champion (a model not yet serving), meeting the thresholds is enough;
* with a champion, the candidate must beat it on ``metric`` by **more than** ``margin``;
  an equal score, or a gain of exactly ``margin``, is not better.

Inside an Azure ML job this file is copied next to the step's scripts by the component's
``additional_includes``; there ``infra`` is absent, so :class:`ConfigError` falls back to a
local ``ValueError`` subclass with the same constructor.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from infra.errors import ConfigError
except ModuleNotFoundError:  # pragma: no cover - only inside an Azure ML job snapshot

    class ConfigError(ValueError):  # type: ignore[no-redef]
        """Stand-in for ``infra.errors.ConfigError`` where the estate package is absent."""

        def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
            self.file = file
            self.key = key
            prefix = f"{file}: " if file else ""
            prefix += f"{key}: " if key else ""
            super().__init__(prefix + message)


REPORT_SCHEMA = "mlops-estate/evaluation@1"
#: Relative tolerance under which two metric values count as equal.
EPSILON = 1e-9

#: Known metrics and whether a higher value is better.
METRICS: dict[str, bool] = {
    "rmse": False,
    "mae": False,
    "mse": False,
    "r2": True,
    "accuracy": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "roc_auc": True,
}


@dataclass(frozen=True)
class GateConfig:
    """What "better" means for one model: the metric, the margin and absolute thresholds."""

    metric: str
    margin: float = 0.0
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def higher_is_better(self) -> bool:
        """True when a larger value of :attr:`metric` is better."""
        return METRICS[self.metric]


def gate_config(
    metric: str, margin: float | str = 0.0, thresholds: dict[str, Any] | None = None, *, source: str = "gate"
) -> GateConfig:
    """Validate a gate configuration; raise :class:`ConfigError` naming ``source`` if it is bad."""
    allowed = ", ".join(sorted(METRICS))
    if metric not in METRICS:
        raise ConfigError(f"metric {metric!r} is not known; allowed: {allowed}", key=f"{source}.metric")
    try:
        margin_value = float(margin)
    except (TypeError, ValueError):
        raise ConfigError(
            f"margin {margin!r} is not a number; use a number >= 0", key=f"{source}.margin"
        ) from None
    if not math.isfinite(margin_value) or margin_value < 0:
        raise ConfigError(
            f"margin {margin!r} is not allowed; use a finite number >= 0", key=f"{source}.margin"
        )
    checked: dict[str, float] = {}
    for name, bound in sorted((thresholds or {}).items()):
        if name not in METRICS:
            raise ConfigError(
                f"threshold metric {name!r} is not known; allowed: {allowed}",
                key=f"{source}.thresholds.{name}",
            )
        if isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound):
            raise ConfigError(
                f"threshold {bound!r} is not a finite number", key=f"{source}.thresholds.{name}"
            )
        checked[name] = float(bound)
    return GateConfig(metric=metric, margin=margin_value, thresholds=checked)


@dataclass(frozen=True)
class Decision:
    """The outcome of the gate, with the reason a person can read."""

    register: bool
    reason: str
    metric: str
    higher_is_better: bool
    margin: float
    candidate: dict[str, float]
    champion: dict[str, float] | None
    champion_version: str | None
    threshold_failures: list[str]

    def delta(self) -> float | None:
        """Candidate minus champion on the gate metric (None without a champion)."""
        if self.champion is None:
            return None
        return self.candidate[self.metric] - self.champion[self.metric]


def _check_metrics(values: Mapping[str, object], config: GateConfig, who: str) -> None:
    """Values come from JSON reports too, so each one is checked to be a finite number."""
    if config.metric not in values:
        raise ConfigError(
            f"{who} metrics have no {config.metric!r}; they have {sorted(values)}", key=f"{who}.metrics"
        )
    for name, value in values.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise ConfigError(
                f"{who} metric {name} = {value!r} is not a finite number", key=f"{who}.metrics.{name}"
            )


def decide(
    candidate: dict[str, float],
    champion: dict[str, float] | None,
    config: GateConfig,
    *,
    champion_version: str | None = None,
) -> Decision:
    """Apply the gate: thresholds first, then "strictly better than the champion by the margin"."""
    _check_metrics(candidate, config, "candidate")
    if champion is not None:
        _check_metrics(champion, config, "champion")

    failures: list[str] = []
    for name, bound in config.thresholds.items():
        if name not in candidate:
            failures.append(f"{name} missing (threshold {bound:g})")
            continue
        value = candidate[name]
        if METRICS[name] and value < bound:
            failures.append(f"{name} {value:.6g} < floor {bound:g}")
        elif not METRICS[name] and value > bound:
            failures.append(f"{name} {value:.6g} > ceiling {bound:g}")

    metric = config.metric
    direction = "higher" if config.higher_is_better else "lower"
    cand = candidate[metric]

    def decision(register: bool, reason: str) -> Decision:
        return Decision(
            register=register,
            reason=reason,
            metric=metric,
            higher_is_better=config.higher_is_better,
            margin=config.margin,
            candidate=dict(candidate),
            champion=dict(champion) if champion is not None else None,
            champion_version=champion_version,
            threshold_failures=failures,
        )

    if failures:
        return decision(False, "candidate fails thresholds: " + "; ".join(failures))
    if champion is None:
        return decision(True, f"no champion is serving; candidate {metric}={cand:.6g} meets every threshold")

    champ = champion[metric]
    gain = cand - champ if config.higher_is_better else champ - cand
    # Floating-point noise (0.55 - 0.5 = 0.05000000000000004) must not turn "equal" into "better".
    scale = max(1.0, abs(cand), abs(champ))
    if math.isclose(gain, 0.0, abs_tol=EPSILON * scale):
        gain = 0.0
    elif math.isclose(gain, config.margin, abs_tol=EPSILON * scale):
        gain = config.margin
    label = f"champion v{champion_version}" if champion_version else "champion"
    if gain > config.margin:
        reason = (
            f"candidate {metric}={cand:.6g} beats {label} {metric}={champ:.6g} "
            f"by {gain:.6g} > margin {config.margin:g} ({direction} is better)"
        )
        return decision(True, reason)
    if gain == 0:
        why = "equal is not better"
    elif gain < 0:
        why = "candidate is worse"
    else:
        why = f"gain {gain:.6g} does not exceed margin {config.margin:g}"
        if gain == config.margin:
            why = f"gain {gain:.6g} equals the margin {config.margin:g} and does not exceed it"
    reason = f"candidate {metric}={cand:.6g} vs {label} {metric}={champ:.6g}: {why} ({direction} is better)"
    return decision(False, reason)


def report(decision: Decision, *, model_name: str, context: dict[str, str] | None = None) -> dict[str, Any]:
    """The machine-readable evaluation report (schema ``mlops-estate/evaluation@1``)."""
    delta = decision.delta()
    return {
        "schema": REPORT_SCHEMA,
        "model": model_name,
        "register": decision.register,
        "reason": decision.reason,
        "gate": {
            "metric": decision.metric,
            "higher_is_better": decision.higher_is_better,
            "margin": decision.margin,
        },
        "candidate": {"metrics": dict(sorted(decision.candidate.items()))},
        "champion": (
            None
            if decision.champion is None
            else {"version": decision.champion_version, "metrics": dict(sorted(decision.champion.items()))}
        ),
        "delta": delta,
        "threshold_failures": list(decision.threshold_failures),
        "context": dict(sorted((context or {}).items())),
    }


def write_report(data: dict[str, Any], path: Path) -> Path:
    """Write the report as stable, sorted JSON (same input, same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_report(path: Path) -> dict[str, Any]:
    """Read a report written by :func:`write_report`, checking its schema tag."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read the evaluation report: {exc}", file=str(path)) from None
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        raise ConfigError(
            f"not an evaluation report: schema must be {REPORT_SCHEMA!r}", file=str(path), key="schema"
        )
    return data
