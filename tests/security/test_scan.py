"""`estate scan` end to end: Checkov's ARM checks on the prod, qa and shared renderings find
nothing but the reasoned suppressions (needs `make scan`'s Checkov; marked slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.cli import main
from infra.engine import PROJECT_ROOT

pytestmark = pytest.mark.slow
CHECKOV = PROJECT_ROOT / ".venv-scan" / "bin" / "checkov"


@pytest.mark.skipif(not CHECKOV.exists(), reason="Checkov is installed by `make scan`")
def test_renderings_have_only_reasoned_findings(tmp_path: Path) -> None:
    report_path = tmp_path / "scan.json"
    code = main(
        [
            "scan",
            "prod",
            "qa",
            "shared",
            "--checkov",
            str(CHECKOV),
            "--out",
            str(tmp_path),
            "--json",
            str(report_path),
        ]
    )
    report = json.loads(report_path.read_text())
    assert code == 0, report
    counts = {s: (r["failed"], r["suppressed"], len(r["stale"])) for s, r in report["stacks"].items()}
    assert counts == {"prod": (0, 16, 0), "qa": (0, 10, 0), "shared": (0, 2, 0)}
    assert all(r["checkovResources"] > 0 for r in report["stacks"].values())


def test_unknown_stack_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["arm", "staging", "-"]) == 2
    assert "staging" in capsys.readouterr().err
