"""What the rehearsal needs to know per sample model, beyond what its folder says.

Each entry says where the candidate artifact comes out of the pipeline, how the champion
stand-in is built (the registry's real artifact of the pinned version is not reachable here),
which data is the drift reference, and how "production" data is shifted.
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

MODELS_DIR = Path(__file__).resolve().parents[2] / "model_assets"
Rows = list[dict[str, object]]
# The diabetes champion stand-in: the same pipeline code, an older, barely regularised fit.
DIABETES_CHAMPION_ALPHA = 0.01


@dataclass(frozen=True)
class Profile:
    """The rehearsal's knowledge of one sample model."""

    name: str
    serving: str  # "online" or "batch"
    champion: Callable[[Path], Path]
    champion_note: str
    candidate: Callable[[Path, dict[str, str]], Path]  # (run folder, pipeline inputs) -> artifact
    reference: Callable[[Path], Rows]  # run folder -> rows the model was built on
    production: Callable[[Path], Rows]  # run folder -> unshifted "production" rows
    shift: Callable[[Rows], Rows]
    overrides: dict[str, str] = field(default_factory=dict)
    has_register_step: bool = True


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def read_rows(path: Path, drop: tuple[str, ...] = ()) -> Rows:
    """CSV rows with numbers parsed (ints stay ints), dropping ``drop`` columns."""
    rows: Rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            rows.append({k: _number(v) for k, v in raw.items() if k not in drop})
    return rows


def _number(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _diabetes_champion(out: Path) -> Path:
    module = _load(MODELS_DIR / "diabetes" / "build_artifact.py", "rehearse_diabetes_build")
    return Path(module.build(out, alpha=DIABETES_CHAMPION_ALPHA))


def _diabetes_shift(rows: Rows) -> Rows:
    return [
        {
            **r,
            "bmi": round(float(str(r["bmi"])) + 6.0, 1),
            "s5": round(float(str(r["s5"])) + 0.5, 4),
            "age": float(str(r["age"])) + 12,
        }
        for r in rows
    ]


def _fraud_champion(out: Path) -> Path:
    module = _load(MODELS_DIR / "fraud_rules" / "build_artifact.py", "rehearse_fraud_build")
    return Path(module.build(out))


def _fraud_rows(path: Path) -> Rows:
    rows = read_rows(path, drop=("is_fraud",))
    for row in rows:
        row["country_mismatch"] = str(row["country_mismatch"]).lower() == "true"
        row["amount"] = float(str(row["amount"]))
    return rows


def _fraud_shift(rows: Rows) -> Rows:
    return [
        {
            **r,
            "amount": round(float(str(r["amount"])) * 4, 2),
            "merchant_category": "crypto" if i % 2 else r["merchant_category"],
        }
        for i, r in enumerate(rows)
    ]


def _churn_champion(out: Path) -> Path:
    target = out / "artifact"
    shutil.copytree(MODELS_DIR / "churn_byom" / "artifact", target)
    return target


def _churn_shift(rows: Rows) -> Rows:
    return [
        {
            **r,
            "monthly_charges": round(float(str(r["monthly_charges"])) + 35.0, 2),
            "tenure_months": int(float(str(r["tenure_months"]))) // 3,
        }
        for r in rows
    ]


def _diabetes_rows(run: Path, split: str) -> Rows:
    return read_rows(run / "jobs" / "prep" / "prepared" / f"{split}.csv", drop=("progression",))


PROFILES: dict[str, Profile] = {
    "diabetes": Profile(
        name="diabetes",
        serving="online",
        champion=_diabetes_champion,
        champion_note=f"built from the sample by build_artifact.py with alpha={DIABETES_CHAMPION_ALPHA:g}",
        candidate=lambda run, _: run / "jobs" / "train" / "model",
        reference=lambda run: _diabetes_rows(run, "train"),
        production=lambda run: _diabetes_rows(run, "test"),
        shift=_diabetes_shift,
    ),
    "fraud_rules": Profile(
        name="fraud_rules",
        serving="online",
        champion=_fraud_champion,
        champion_note="the rules folder as build_artifact.py builds it",
        candidate=lambda _, inputs: Path(inputs["rules"]),
        reference=lambda _: _fraud_rows(MODELS_DIR / "fraud_rules" / "data" / "labelled_sample.csv")[::2],
        production=lambda _: _fraud_rows(MODELS_DIR / "fraud_rules" / "data" / "labelled_sample.csv")[1::2],
        shift=_fraud_shift,
        overrides={"register_rules": "true"},
    ),
    "churn_byom": Profile(
        name="churn_byom",
        serving="batch",
        champion=_churn_champion,
        champion_note="the committed BYOM artifact",
        candidate=lambda _, inputs: Path(inputs["artifact"]),
        reference=lambda _: read_rows(
            MODELS_DIR / "churn_byom" / "sample" / "holdout.csv", drop=("churned", "customer_id")
        )[::2],
        production=lambda _: read_rows(
            MODELS_DIR / "churn_byom" / "sample" / "holdout.csv", drop=("churned", "customer_id")
        )[1::2],
        shift=_churn_shift,
        has_register_step=False,
    ),
}
