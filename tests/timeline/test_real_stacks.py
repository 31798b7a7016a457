"""Every stack's real offline plan has a duration and a price rule (or an explicit status) per type."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.cost import estimate_cost
from infra.timeline import estimate_create
from infra.timeline.durations import is_provider

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("stack", STACKS)
def test_real_plan_is_timed_and_priced(stack):
    from infra import engine

    plan = engine.preview(stack, policy=False)
    timed = [r for r in plan["resources"] if r["custom"] and not is_provider(r["type"])]
    report = estimate_create(plan, parallel=8)  # raises ConfigError naming any type without a row
    assert report["resources"] == len(timed)
    assert (
        0
        < report["wall_seconds"]["low"]
        <= report["wall_seconds"]["typical"]
        <= report["wall_seconds"]["high"]
    )
    chain = report["critical_chain"]
    assert chain and chain[-1]["finish"] == report["graph_seconds"]["typical"]
    cost = estimate_cost(plan)
    assert len(cost["resources"]) == len(timed)
    assert {line["status"] for line in cost["resources"]} <= {"priced", "free", "unpriced"}
    assert all(u["reason"] for u in cost["unpriced"])
