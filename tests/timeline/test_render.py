"""The readable timeline table."""

from __future__ import annotations

from rich.console import Console

from infra.timeline import estimate_create
from infra.timeline.render import fmt_seconds, render

RG = "/subscriptions/0000/resourceGroups/rg-test"


def test_fmt_seconds():
    assert [fmt_seconds(v) for v in (0, 59.6, 95, 3725)] == ["0s", "1m00s", "1m35s", "1h02m05s"]


def test_render_lists_chain_and_serializing_edges(resource, plan, table):
    t = table({"t:slow": (60, 60, 60), "t:x": (10, 10, 10)})
    report = estimate_create(
        plan(resource("slow", "t:slow"), resource("dep", "t:x", deps=("slow",))), parallel=2, table=t
    )
    console = Console(width=200, record=True)
    render(report, console)
    text = console.export_text()
    assert "test first deployment: 2 timed resources, parallel 2" in text
    assert "estimated wall time: low 1m10s, typical 1m10s, high 1m10s (including start-up 0s–0s)" in text
    assert "serializing edges (no value used)" in text
    assert "│ slow │ dep │ yes               │ 10s               │" in text
    assert "critical chain (typical durations)" in text
    assert "│ 2 │ dep      │ x    │ 1m00s │      10s │  1m10s │ no-data   │" in text
    assert "data dependencies alone: 1m00s vs planned 1m10s (excess 16.7%, NOT within the 5% target)" in text
