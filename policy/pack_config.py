"""Per-stack CrossGuard configuration: ``policy/config/<stack>.json``.

Each file gives every policy its enforcement level and the stack ``environment``:
dev is advisory; qa, prod and shared are mandatory, except policies declared advisory, which
stay advisory everywhere. (A top-level ``all`` level would override those, so it is not used.)
Run ``python -m policy.pack_config`` after adding or renaming a policy; tests/policy checks
the committed files match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel

from policy.rules import ALL_POLICIES
from policy.rules.common import ENVIRONMENTS

CONFIG_DIR = Path(__file__).with_name("config")

ADVISORY_ENVIRONMENTS: frozenset[str] = frozenset({"dev"})
"""Stacks whose policy violations warn instead of blocking."""


def stack_enforcement(environment: str) -> str:
    """The enforcement level of a stack: ``advisory`` for dev, ``mandatory`` otherwise."""
    return "advisory" if environment in ADVISORY_ENVIRONMENTS else "mandatory"


def pack_config(environment: str) -> dict[str, Any]:
    """The policy pack config for one stack, keyed by policy name."""
    stack_level = stack_enforcement(environment)
    config: dict[str, Any] = {}
    for policy in ALL_POLICIES:
        level = "advisory" if policy.enforcement_level == EnforcementLevel.ADVISORY else stack_level
        config[policy.name] = {"enforcementLevel": level, "environment": environment}
    return config


def render(environment: str) -> str:
    """The JSON text of ``policy/config/<environment>.json``."""
    return json.dumps(pack_config(environment), indent=2) + "\n"


def main() -> None:
    """Write ``policy/config/<stack>.json`` for every stack."""
    CONFIG_DIR.mkdir(exist_ok=True)
    for environment in ENVIRONMENTS:
        (CONFIG_DIR / f"{environment}.json").write_text(render(environment), encoding="utf-8")


if __name__ == "__main__":
    main()
