"""Composition step: network, ML workspace estate, AKS (environments) and the registry (shared)."""

from __future__ import annotations

from stacks.context import StackContext


def compose_platform(ctx: StackContext) -> None:
    """Network → workspace estate → AKS for an environment stack (issue 3)."""


def compose_registry(ctx: StackContext) -> None:
    """The central Azure ML registry in the shared stack (issue 3)."""
