"""What every ``estate`` command shares: the project it works on, ``--json``, the console.

- :func:`current_project` finds the project from the working folder upward (``Pulumi.yaml``),
  refuses outside one (exit 2) and finishes an interrupted multi-file write
  (:func:`infra.atomic.recover`) before anything reads the files; :func:`announce` then
  prints ``project: <path>`` on stderr once the command's inputs are valid (an error stays
  one line).
- :func:`emit_json` gives ``--json PATH`` one meaning everywhere: write the JSON to PATH
  (crash-safe), or to stdout for ``-`` (the human output is then left out).
- :func:`console` is a rich console at the real terminal width (``COLUMNS`` respected), with
  colour only where rich detects a colour terminal (``NO_COLOR`` and dumb terminals respected).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from infra.atomic import recover, write_text

JSON_HELP = "Write the JSON report to this file ('-' for stdout, which then holds only the JSON)."

_PROJECT: list[Path] = []


def current_project() -> Path:
    """The project folder (raises ConfigError outside one), recovered from any interrupted write."""
    from infra.engine import project_directory

    directory = project_directory()
    if not _PROJECT or _PROJECT[-1] != directory:
        _PROJECT.append(directory)
        from infra.catalog import catalog_path

        for line in recover(directory, watched=(catalog_path(directory),)):
            print(f"note: {line}", file=sys.stderr)
    return directory


_ANNOUNCED: set[Path] = set()


def announce(directory: Path) -> None:
    """Say on stderr which project the command works on (once per project and process)."""
    if directory not in _ANNOUNCED:
        _ANNOUNCED.add(directory)
        print(f"project: {directory}", file=sys.stderr)


def json_to_stdout(path: Path | None) -> bool:
    """Whether ``--json`` asks for stdout (``-``)."""
    return path is not None and str(path) == "-"


def emit_json(path: Path | None, text: str) -> None:
    """Write ``text`` to ``path`` (crash-safe) or to stdout for ``-``; nothing for None."""
    if path is None:
        return
    if json_to_stdout(path):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    write_text(path, text if text.endswith("\n") else text + "\n")


def console(*, stderr: bool = False) -> Console:
    """A rich console at the terminal's real width (``COLUMNS`` when set), no forced width."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


UNLIMITED = 1_000_000
"""Width used when stdout is neither a terminal nor given ``COLUMNS`` (a pipe, a CI log):
nothing is cut there, as ``pulumi preview`` cuts nothing in non-interactive output."""


def width() -> int:
    """The width plan text must fit: ``COLUMNS`` when set, else the terminal's, else unlimited."""
    import os

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    out = console()
    return out.size.width if out.is_terminal else UNLIMITED


class _Quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def progress(message: str) -> Any:
    """A spinner on stderr for a step that takes seconds; silent when stderr is not a terminal
    or in CI (``CI`` set), so logs stay clean."""
    import os

    err = console(stderr=True)
    if not err.is_terminal or os.environ.get("CI") or os.environ.get("TF_BUILD"):
        return _Quiet()
    return err.status(message, spinner="dots")


def print_plan_text(text: str, *, colour: bool = True) -> None:
    """Print preview text, coloured by plan symbol where the terminal supports colour."""
    from rich.text import Text

    from infra.engine.render import fit, style_of

    out = console()
    cols = width()
    for line in text.split("\n"):
        style = style_of(line) if colour else None
        out.print(Text(fit(line, cols), style=style or ""), soft_wrap=True)
