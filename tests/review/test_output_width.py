"""No line over 80 characters at ``COLUMNS=80``, for every command (stdout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.cli import main
from infra.engine import PROJECT_ROOT

COMMANDS = ("preview", "promote", "new-model", "timeline", "cost", "bench")


def _lines_over(text: str, width: int = 80) -> list[str]:
    return [line for line in text.splitlines() if len(line) > width]


def _run(monkeypatch: Any, capsys: Any, cwd: Path, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(cwd)
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_fits_80_columns(monkeypatch: Any, capsys: Any, command: str) -> None:
    argv = [command, "--help"] if command else ["--help"]
    code, out = _run(monkeypatch, capsys, PROJECT_ROOT, *argv)
    assert code == 0
    assert out.strip()
    assert _lines_over(out) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ("preview", "qa"),
        ("preview", "prod", "--against", "HEAD"),
        ("cost", "qa"),
        ("cost", "qa", "--against", "HEAD"),
        ("timeline", "qa"),
        ("timeline", "qa", "--against", "HEAD"),
    ],
    ids=lambda a: " ".join(a),
)
def test_commands_fit_80_columns(monkeypatch: Any, capsys: Any, argv: tuple[str, ...]) -> None:
    code, out = _run(monkeypatch, capsys, PROJECT_ROOT, *argv)
    assert code == 0
    assert out.strip()
    assert _lines_over(out) == []


@pytest.mark.slow
def test_promote_fits_80_columns(monkeypatch: Any, capsys: Any, project: Path) -> None:
    code, out = _run(monkeypatch, capsys, project, "promote", "qa", "diabetes", "4")
    assert code == 0
    assert "update  OnlineDeployment model-diabetes-blue" in out
    assert _lines_over(out) == []


@pytest.mark.slow
def test_cost_table_keeps_one_line_per_resource_at_80_columns(monkeypatch: Any, capsys: Any) -> None:
    code, out = _run(monkeypatch, capsys, PROJECT_ROOT, "cost", "qa")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("│")]
    # No wrapped continuation lines: every row carries its amounts ("unpriced" when unknown).
    assert rows and all("$" in row or "unpriced" in row for row in rows)
    assert "(the pricing basis of each resource: --json, or a terminal of 140+ columns)" in out
