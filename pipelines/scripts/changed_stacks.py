"""Decide which stacks a pull request touches, for the infra-preview pipeline.

Rules (paths relative to the repository root):

* ``Pulumi.<stack>.yaml`` -> that stack (``<stack>`` must be one of the estate's stacks);
* the program and what it reads (``Pulumi.yaml``, ``infra/``, ``stacks/``, ``components/``,
  ``model_assets/``, ``policy/``, ``pyproject.toml``, ``requirements.lock``) -> every stack;
* anything else (docs, tests, pipelines, Makefile, README) -> no stack.

Run in the pipeline as ``python3 pipelines/scripts/changed_stacks.py --base origin/main``; it
prints one ``##vso[task.setvariable variable=PREVIEW_<STACK>;isOutput=true]true|false`` line per
stack, which the per-stack preview jobs read as conditions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from infra.errors import EXIT_CONFIG, ConfigError

STACKS: tuple[str, ...] = ("shared", "dev", "qa", "prod")
PROGRAM_FILES: frozenset[str] = frozenset({"Pulumi.yaml", "pyproject.toml", "requirements.lock"})
PROGRAM_DIRS: tuple[str, ...] = ("infra/", "stacks/", "components/", "model_assets/", "policy/")


def stacks_for_paths(paths: Iterable[str]) -> tuple[str, ...]:
    """Return the stacks (in estate order) whose preview a change to ``paths`` can alter."""
    touched: set[str] = set()
    for raw in paths:
        path = raw.strip()
        if not path:
            continue
        if path in PROGRAM_FILES or path.startswith(PROGRAM_DIRS):
            return STACKS
        if "/" not in path and path.startswith("Pulumi.") and path.endswith(".yaml"):
            stack = path[len("Pulumi.") : -len(".yaml")]
            if stack not in STACKS:
                raise ConfigError(
                    f"stack file for unknown stack {stack!r}; allowed stacks: {', '.join(STACKS)}",
                    file=path,
                )
            touched.add(stack)
    return tuple(stack for stack in STACKS if stack in touched)


def azure_devops_outputs(stacks: Iterable[str]) -> list[str]:
    """Return the logging commands that expose one ``PREVIEW_<STACK>`` output per stack."""
    chosen = set(stacks)
    return [
        f"##vso[task.setvariable variable=PREVIEW_{stack.upper()};isOutput=true]"
        f"{'true' if stack in chosen else 'false'}"
        for stack in STACKS
    ]


def changed_paths(base: str, repo: Path) -> list[str]:
    """Return the paths changed between the merge base of ``base`` and ``HEAD``."""
    result = subprocess.run(
        ["git", "diff", "--name-only", f"{base}...HEAD"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ConfigError(f"git diff against {base!r} failed: {result.stderr.strip()}", key="--base")
    return result.stdout.splitlines()


def main(argv: list[str] | None = None) -> int:
    """Print the per-stack outputs for the change between ``--base`` and ``HEAD``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git ref to diff against, e.g. origin/main")
    parser.add_argument("--repo", default=".", help="repository root (default: current directory)")
    args = parser.parse_args(argv)
    try:
        stacks = stacks_for_paths(changed_paths(args.base, Path(args.repo)))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"stacks to preview: {' '.join(stacks) if stacks else '(none)'}")
    for line in azure_devops_outputs(stacks):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
