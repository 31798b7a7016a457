"""Crash-safe writes: ``estate promote --record`` edits two files all-or-nothing.

The slow test kills ``estate promote qa diabetes 5 --record`` with SIGKILL at random points
(20 trials, most aimed at the write phase with ``ESTATE_WRITE_PAUSE`` so kills land before,
between and after the renames) and asserts that, once the next command has recovered, the
stack file and the catalog are both as before or both as after — never one without the
other, never truncated. The fast tests pin the journal protocol step by step.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.atomic import JOURNAL, TMP_SUFFIX, recover, write_all, write_text
from infra.promotion import prepare

CATALOG = Path("model_assets") / "registry-catalog.yaml"
STACK = Path("Pulumi.qa.yaml")


def _state(project: Path) -> tuple[str, str]:
    return (project / STACK).read_text(encoding="utf-8"), (project / CATALOG).read_text(encoding="utf-8")


def _expected(project: Path) -> tuple[tuple[str, str], tuple[str, str]]:
    promotion = prepare("qa", "diabetes", "5", project_dir=project, preview_changes=False, record=True)
    before = (promotion.before, promotion.catalog_before)
    after = (promotion.after, promotion.catalog_after)
    assert before != after and before[0] != after[0] and before[1] != after[1]
    return before, after


def test_write_text_replaces_without_leaving_a_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.qa.yaml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    write_text(path, "new\n")
    assert path.read_text() == "new\n"
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.qa.yaml"]


def test_a_journal_left_between_the_renames_is_rolled_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "sub" / "b.yaml"
    b.parent.mkdir()
    a.write_text("a0")
    b.write_text("b0")

    class Killed(Exception):
        pass

    real_replace = os.replace

    def replace_then_die(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real_replace(src, dst)
        if str(dst) == str(a.resolve()):
            raise Killed  # the process dies after the first of the two renames

    monkeypatch.setattr(os, "replace", replace_then_die)
    with pytest.raises(Killed):
        write_all({a: "a1", b: "b1"}, journal_dir=tmp_path)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (a.read_text(), b.read_text()) == ("a1", "b0")  # half done, journal says so
    assert (tmp_path / JOURNAL).exists()
    done = recover(tmp_path)
    assert done == ["completed the interrupted write of b.yaml"]
    assert (a.read_text(), b.read_text()) == ("a1", "b1")
    assert not (tmp_path / JOURNAL).exists()
    assert not list(tmp_path.rglob(f"*{TMP_SUFFIX}"))


def test_temp_files_without_a_journal_are_discarded(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    a.write_text("a0")
    (tmp_path / f".a.yaml{TMP_SUFFIX}").write_text("a1 half")
    assert recover(tmp_path) == [f"removed .a.yaml{TMP_SUFFIX} left by an interrupted write"]
    assert a.read_text() == "a0"


def test_the_next_command_recovers_an_interrupted_promotion(project: Path) -> None:
    before, after = _expected(project)
    # Simulate a kill after the journal was written and the stack file renamed.
    (project / STACK).write_text(after[0], encoding="utf-8")
    temp = project / "model_assets" / f".registry-catalog.yaml{TMP_SUFFIX}"
    temp.write_text(after[1], encoding="utf-8")
    entry = {"target": str((project / CATALOG).resolve()), "temp": str(temp.resolve())}
    write_text(project / JOURNAL, json.dumps({"renames": [entry]}))
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "cost", "qa", "--assumptions", "missing.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "note: completed the interrupted write of registry-catalog.yaml" in result.stderr
    assert _state(project) == after


@pytest.mark.slow
def test_kill_9_at_random_points_of_promote_record_leaves_before_or_after(project: Path) -> None:
    before, after = _expected(project)
    rng = random.Random(20)
    pause = 0.25
    outcomes: dict[str, int] = {"before": 0, "after": 0}
    for trial in range(20):
        (project / STACK).write_text(before[0], encoding="utf-8")
        (project / CATALOG).write_text(before[1], encoding="utf-8")
        env = {**os.environ, "ESTATE_WRITE_PAUSE": str(pause), "CI": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "promote", "qa", "diabetes", "5", "--record"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if trial % 5 == 0:  # a random point early in the run (checks, previews)
            time.sleep(rng.uniform(0.0, 3.0))
        else:  # a random point of the write phase: wait for its first temp file
            temp = project / f".{STACK.name}{TMP_SUFFIX}"
            while proc.poll() is None and not temp.exists():
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 6 * pause))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        recover(project, watched=(project / CATALOG,))  # what the next command runs first
        state = _state(project)
        assert state in (before, after), f"trial {trial}: files disagree or are broken"
        outcomes["before" if state == before else "after"] += 1
        assert not list(project.rglob(f".*{TMP_SUFFIX}"))
        assert not (project / JOURNAL).exists()
    assert outcomes["before"] > 0 and outcomes["after"] > 0, outcomes
