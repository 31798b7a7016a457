"""Composition step: the models of an environment stack (endpoints pinned to registry versions)."""

from __future__ import annotations

from stacks.context import StackContext


def compose_models(ctx: StackContext) -> None:
    """One model_assets component per model in settings (issue 4)."""
