"""Run one rule of the pack on resources built with the real SDKs (see estate_fixtures)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from infra.engine.policy_runner import Violation, evaluate
from policy.rules import ALL_POLICIES
from tests.policy.estate_fixtures import Providers, build
from tests.policy.sdk_capture import capture

POLICIES_BY_NAME = {policy.name: policy for policy in ALL_POLICIES}

Program = Callable[[Providers, str], Any]
"""Builds fixtures for a stack environment with shared explicit providers."""


def plan_of(program: Program, env: str) -> list[dict[str, Any]]:
    """The plan entries of a fixture program run for ``env``."""
    return capture(lambda: program(Providers(), env), stack=env)


def run_rule(rule: str, program: Program, env: str) -> list[Violation]:
    """The violations of one rule on the program's resources, in the runner's order."""
    return evaluate(
        plan_of(program, env), environment=env, enforcement="mandatory", policies=[POLICIES_BY_NAME[rule]]
    )


def one(kind: str, overrides: Mapping[str, Any] | None = None, **build_options: Any) -> Program:
    """A program that builds a single resource of ``kind`` (named after the kind)."""

    def program(providers: Providers, env: str) -> None:
        build(providers, kind, env, overrides, **build_options)

    return program
