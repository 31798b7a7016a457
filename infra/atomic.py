"""Crash-safe file writes: one file, or several files all-or-nothing.

Every file the CLI writes goes through :func:`write_text`: the new content is written to a
temporary file in the same folder, flushed to disk, and renamed over the target with
``os.replace`` (atomic on one file system), so a reader — or a ``kill -9`` — only ever sees
the old file or the new one, never a truncated one.

Several files (``estate promote --record`` edits a stack file and the registry catalog) go
through :func:`write_all`:

1. every new content is written to its own temporary file next to its target;
2. a journal (``.estate-journal.json`` in the project folder, itself written atomically)
   lists the renames still to do — from this point on the change is decided;
3. the temporary files are renamed over their targets, one by one;
4. the journal is removed.

A crash before step 2 leaves the targets as they were (the orphaned temporary files are
removed by :func:`recover`); a crash after it is rolled forward by :func:`recover`, which
every project command runs first. Between a crash and the next command the files can
disagree; :func:`recover` is what makes the edit all-or-nothing, and it is idempotent.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

JOURNAL = ".estate-journal.json"
TMP_SUFFIX = ".estate-tmp"
PAUSE_ENV = "ESTATE_WRITE_PAUSE"
"""Test knob: seconds to sleep before each step of :func:`write_all` (crash tests aim kills
at every step with it). Unset in normal use."""


def _pause() -> None:
    value = os.environ.get(PAUSE_ENV)
    if value:
        time.sleep(float(value))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _temp_for(path: Path) -> Path:
    return path.with_name(f".{path.name}{TMP_SUFFIX}")


def _write_temp(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_for(path)
    with open(temp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    if path.exists():
        os.chmod(temp, path.stat().st_mode & 0o7777)
    return temp


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder + ``os.replace``."""
    temp = _write_temp(path, text)
    os.replace(temp, path)
    _fsync_dir(path.parent)


def write_all(files: Mapping[Path, str], *, journal_dir: Path) -> None:
    """Write every ``path → text`` all-or-nothing (see the module doc)."""
    if not files:
        return
    recover(journal_dir)
    temps: list[tuple[Path, Path]] = []
    for path, text in files.items():
        _pause()
        temps.append((path.resolve(), _write_temp(path, text)))
    _pause()
    entries = [{"target": str(target), "temp": str(temp)} for target, temp in temps]
    write_text(journal_dir / JOURNAL, json.dumps({"renames": entries}, indent=2) + "\n")
    for target, temp in temps:
        _pause()
        os.replace(temp, target)
        _fsync_dir(target.parent)
    _pause()
    (journal_dir / JOURNAL).unlink()
    _fsync_dir(journal_dir)


def recover(journal_dir: Path, watched: tuple[Path, ...] = ()) -> list[str]:
    """Finish or clean up an interrupted :func:`write_all`; return what it did (for a notice).

    With a journal: the renames it lists are completed (roll forward) and the journal goes.
    Without one: leftover temporary files next to ``watched`` files and in ``journal_dir``
    are removed (their change was never decided).
    """
    done: list[str] = []
    journal = journal_dir / JOURNAL
    if journal.exists():
        try:
            entries = json.loads(journal.read_text(encoding="utf-8"))["renames"]
        except (ValueError, KeyError, TypeError):
            entries = []  # a journal is written atomically; a broken one was never decided
        for entry in entries:
            temp, target = Path(entry["temp"]), Path(entry["target"])
            if temp.exists():
                os.replace(temp, target)
                done.append(f"completed the interrupted write of {target.name}")
        journal.unlink()
        _fsync_dir(journal_dir)
    folders = {journal_dir, *(p.parent for p in watched)}
    for folder in sorted(folders):
        for temp in sorted(folder.glob(f".*{TMP_SUFFIX}")):
            temp.unlink(missing_ok=True)
            done.append(f"removed {temp.name} left by an interrupted write")
    return done
