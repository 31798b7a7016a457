"""Readable tables (rich) for a timeline report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table


def fmt_seconds(value: float) -> str:
    """``95`` → ``1m35s``; ``3725`` → ``1h02m05s``."""
    total = int(round(value))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{seconds:02d}s"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


def _short(urn: str | None) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


def render(report: Mapping[str, Any], console: Console) -> None:
    """Print ``report`` (from :mod:`infra.timeline.estimate`) as tables."""
    wall, startup = report["wall_seconds"], report["startup_seconds"]
    title = "first deployment" if report["mode"] == "create" else "update"
    console.print(
        f"[bold]{report.get('stack')}[/bold] {title}: {report['resources']} timed resources, "
        f"parallel {report['parallel']}"
    )
    console.print(
        f"estimated wall time: low {fmt_seconds(wall['low'])}, typical {fmt_seconds(wall['typical'])}, "
        f"high {fmt_seconds(wall['high'])} (including start-up {fmt_seconds(startup['low'])}"
        f"–{fmt_seconds(startup['high'])})"
    )
    if report["mode"] == "update":
        counts = ", ".join(f"{k} {v}" for k, v in report["changes"].items())
        phase = report["delete_phase_seconds"]
        console.print(
            f"changes: {counts}; delete phase typical {fmt_seconds(phase['typical'])} "
            f"in {report['delete_levels']} level(s)"
        )

    chain = Table(title="critical chain (typical durations)")
    for column in ("#", "resource", "type", "start", "duration", "finish", "waits via"):
        chain.add_column(
            column, justify="right" if column in ("#", "start", "duration", "finish") else "left"
        )
    for index, entry in enumerate(report["critical_chain"], start=1):
        chain.add_row(
            str(index),
            entry["name"] or _short(entry["urn"]),
            str(entry["type"]).rsplit(":", 1)[-1],  # as `estate cost` shows it; full type in --json
            fmt_seconds(entry["start"]),
            fmt_seconds(entry["duration"]),
            fmt_seconds(entry["finish"]),
            entry["via"],
        )
    console.print(chain)

    edges = report["serializing_edges"]
    if edges:
        table = Table(title="serializing edges (no value used)")
        for column in ("from", "to", "on critical chain", "removing it saves"):
            table.add_column(column)
        for edge in edges:
            table.add_row(
                edge["from_name"] or _short(edge["from"]),
                edge["to_name"] or _short(edge["to"]),
                "yes" if edge["on_critical_chain"] else "no",
                fmt_seconds(edge["saves_seconds"]),
            )
        console.print(table)
    else:
        console.print("no dependency edge serializes work without using a value")
    for edge in report["azure_serial_edges"]:
        console.print(f"azure-side serial: {edge['from_name']} → {edge['to_name']} ({edge['reason']})")

    data = report["data_only"]
    verdict = "within" if data["within_target"] else "NOT within"
    console.print(
        f"data dependencies alone: {fmt_seconds(data['data_only_seconds'])} vs planned "
        f"{fmt_seconds(data['planned_seconds'])} (excess {data['excess'] * 100:.1f}%, {verdict} the "
        f"{data['target'] * 100:.0f}% target)"
    )
