"""``estate preview --against REF``: exit 4 with ``--expect-no-changes`` when anything changes,
0 when nothing does, 3 when a protected resource would be replaced — on a git repository
holding a copy of the project (stack files real, code linked)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.engine import PROJECT_ROOT


def _git(project: Path, *argv: str) -> None:
    subprocess.run(["git", "-C", str(project), *argv], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a full copy of the project (``git archive`` needs real files)."""
    project = tmp_path / "repo"
    shutil.copytree(
        PROJECT_ROOT,
        project,
        ignore=shutil.ignore_patterns(".venv*", ".git", "out", "__pycache__", ".pytest_cache"),
        symlinks=True,
    )
    _git(project, "init", "-q")
    _git(project, "-c", "user.email=t@e", "-c", "user.name=t", "add", "-A")
    _git(project, "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "base")
    return project


def _preview(project: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", "preview", *argv],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", "CI": "1"},
    )


@pytest.mark.slow
def test_expect_no_changes_and_protected_refusal(repo: Path) -> None:
    same = _preview(repo, "qa", "--against", "HEAD", "--expect-no-changes", "--no-policy")
    assert same.returncode == 0, same.stderr
    assert "no changes" in same.stdout
    stack = repo / "Pulumi.qa.yaml"
    text = stack.read_text()
    stack.write_text(text.replace('blue: {version: "3", traffic: 100}', 'blue: {version: "4", traffic: 100}'))
    changed = _preview(repo, "qa", "--against", "HEAD", "--expect-no-changes", "--no-policy")
    assert changed.returncode == 4, changed.stderr
    assert changed.stderr.splitlines()[-1] == "qa: 1 change(s) present (--expect-no-changes)"
    stack.write_text(text.replace("mlops-estate:location: westeurope", "mlops-estate:location: northeurope"))
    moved = _preview(repo, "qa", "--against", "HEAD", "--no-policy")
    assert moved.returncode == 3, moved.stderr
    last = moved.stderr.splitlines()[-1]
    assert last.startswith("error: qa: refusing a change that would replace or delete ")
    assert "azure-native:resources:ResourceGroup 'resource-group' (replace)" in last
