"""Readable tables (rich) for cost estimates and deltas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

WIDE = 140
"""Terminal width from which the cost table also shows each resource's pricing basis."""


def money(value: float | None) -> str:
    """``1234.5`` → ``$1,234.50``; None → ``unpriced``."""
    if value is None:
        return "unpriced"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def signed(value: float | None) -> str:
    """A delta with its sign."""
    if value is None:
        return "unknown"
    return ("+" if value > 0 else "") + money(value)


def _unpriced(report: Mapping[str, Any], console: Console) -> None:
    for line in report["unpriced"]:
        console.print(
            f"[yellow]unpriced:[/yellow] {line['type']} {line['urn'].rsplit('::', 1)[-1]}: {line['reason']}"
        )
    if report["unpriced"]:
        console.print(
            f"[yellow]{len(report['unpriced'])} resource(s) are not priced; the totals exclude them.[/yellow]"
        )


def render_cost(report: Mapping[str, Any], console: Console) -> None:
    """Print a cost estimate."""
    table = Table(
        title=f"{report.get('stack')}: monthly estimate ({report['currency']}, {report['region']}, "
        f"{report['hours_per_month']:.0f} h/month)"
    )
    # The pricing basis is long prose: shown on a wide terminal, otherwise left to --json so
    # that names and amounts stay readable (one line per resource) at 80 columns.
    wide = console.width >= WIDE
    # Amounts never wrap; the resource name gets the width the short columns leave.
    # 16 = borders and padding of five columns; 44 = the widths of the four short columns.
    table.add_column("resource", overflow="ellipsis", no_wrap=True, max_width=max(12, console.width - 60))
    table.add_column(
        "type", overflow="ellipsis", no_wrap=True, min_width=12, max_width=12 if not wide else 30
    )
    table.add_column("status", no_wrap=True, min_width=8)
    table.add_column("idle / month", justify="right", no_wrap=True, min_width=12)
    table.add_column("load / month", justify="right", no_wrap=True, min_width=12)
    if wide:
        table.add_column("basis")
    for line in report["resources"]:
        cells = [
            line["name"],
            str(line["type"]).split(":")[-1],
            line["status"],
            money(line["idle_usd"]),
            money(line["load_usd"]),
        ]
        if wide:
            cells.append("; ".join(item["what"] for item in line["items"]) or line["note"])
        table.add_row(*cells)
    totals = report["totals"]
    total_cells = ["total", "", "", money(totals["idle_usd"]), money(totals["load_usd"])]
    table.add_row(*(total_cells + ([""] if wide else [])))
    console.print(table)
    console.print(f"{totals['priced']} priced, {totals['free']} free, {totals['unpriced']} unpriced")
    if not wide:
        console.print(f"(the pricing basis of each resource: --json, or a terminal of {WIDE}+ columns)")
    _unpriced(report, console)


def render_delta(report: Mapping[str, Any], console: Console) -> None:
    """Print a cost delta."""
    before, after, delta = report["before"], report["after"], report["delta"]
    console.print(
        f"[bold]{report.get('stack')}[/bold] monthly cost change against {report.get('against', 'the ref')}:"
    )
    unknown = report.get("unknown") or []
    if unknown:
        known = report["known_delta"]
        names = ", ".join(u["name"] for u in unknown)
        console.print(
            f"[yellow]delta: unknown[/yellow] — {len(unknown)} changed resource(s) unpriced on "
            f"one side: {names}; the priced part: idle {signed(known['idle_usd'])}, "
            f"under load {signed(known['load_usd'])}"
        )
    else:
        console.print(
            f"idle: {money(before['idle_usd'])} → {money(after['idle_usd'])} "
            f"({signed(delta['idle_usd'])}); under load: {money(before['load_usd'])} → "
            f"{money(after['load_usd'])} ({signed(delta['load_usd'])})"
        )
    if not report["resources"]:
        console.print("no resource changes cost")
    else:
        table = Table(title="resources whose cost changes")
        for column in ("resource", "type", "change", "idle Δ", "load Δ"):
            table.add_column(column, justify="right" if "Δ" in column else "left")
        for line in report["resources"]:
            table.add_row(
                line["name"],
                str(line["type"]).split(":")[-1],
                line["change"],
                signed(line["delta_idle_usd"]),
                signed(line["delta_load_usd"]),
            )
        console.print(table)
    _unpriced(report, console)
