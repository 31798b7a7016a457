"""Text rendering of a flows report, at most 80 columns."""

from __future__ import annotations

import textwrap

from infra.flows import Report
from infra.flows.evidence import BROKEN, OK, UNDECIDABLE

WIDTH = 80
MARK = {OK: "✓", BROKEN: "✗", UNDECIDABLE: "?"}


def _wrap(text: str, indent: str, subsequent: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=subsequent if subsequent is not None else indent,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def render(report: Report) -> str:
    """The report as lines of at most :data:`WIDTH` characters."""
    head = (
        f"estate flows {report.stack}: maturity level {report.level} "
        f"(claimed {report.claimed}, plan proves {report.proven})"
    )
    lines = _wrap(head, "")
    for flow in report.flows:
        name = f"{flow.id} {flow.title}" + (f" — {flow.model}" if flow.model else "")
        lines.append("")
        lines.extend(_wrap(f"{MARK[flow.status]} {name}", ""))
        for link in flow.links:
            lines.extend(_wrap(f"{MARK[link.status]} {link.id}: {link.title}", "  ", "    "))
            lines.extend(_wrap(link.evidence, "      "))
            if link.status == BROKEN:
                lines.extend(_wrap(f"broken: {link.reason}", "      "))
            elif link.status == UNDECIDABLE:
                lines.extend(_wrap(f"decided by: {link.reason}", "      "))
    for note in report.skipped:
        lines.extend(_wrap(f"- not traced: {note}", ""))
    counts = report.counts()
    lines.append("")
    lines.extend(
        _wrap(
            f"{len(report.flows)} flow traces, {sum(counts.values())} links: {counts[OK]} ✓, "
            f"{counts[BROKEN]} ✗, {counts[UNDECIDABLE]} undecidable offline",
            "",
        )
    )
    return "\n".join(lines)
