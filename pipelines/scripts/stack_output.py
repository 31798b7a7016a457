"""Read one value out of ``pulumi stack output --json`` for a pipeline step.

Usage: ``pulumi stack output --json --stack qa | python pipelines/scripts/stack_output.py
endpoints.diabetes.scoringUri``. The path is dot-separated; the value is printed as text.
A missing key is a :class:`infra.errors.ConfigError` naming the path and the keys that exist, so a
release fails with one clear line instead of smoke-testing an empty URI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from infra.errors import EXIT_CONFIG, ConfigError


def lookup(outputs: dict[str, Any], path: str) -> str:
    """Return the value at dot-separated ``path`` of the stack outputs, as text."""
    current: Any = outputs
    walked: list[str] = []
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            where = ".".join(walked) or "(root)"
            keys = ", ".join(sorted(current)) if isinstance(current, dict) else "(not a mapping)"
            raise ConfigError(f"no output {part!r} under {where}; available: {keys or '(none)'}", key=path)
        current = current[part]
        walked.append(part)
    if isinstance(current, dict | list):
        raise ConfigError("is a mapping or a list, not a single value", key=path)
    if current is None or current == "":
        raise ConfigError("is empty", key=path)
    return str(current)


def main(argv: list[str] | None = None, stdin: Any = None) -> int:
    """Print the value at ``path`` of the JSON stack outputs read from stdin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="dot-separated key path, e.g. endpoints.diabetes.scoringUri")
    args = parser.parse_args(argv)
    stream = stdin if stdin is not None else sys.stdin
    try:
        try:
            outputs = json.load(stream)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"stack outputs on stdin are not JSON: {exc}", key="stdin") from None
        if not isinstance(outputs, dict):
            raise ConfigError("stack outputs on stdin are not a JSON object", key="stdin")
        print(lookup(outputs, args.path))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main())
