"""Composition step: monitoring, retraining loop, Databricks, Data Factory, maturity level."""

from __future__ import annotations

from stacks.context import StackContext


def compose_operations(ctx: StackContext) -> None:
    """Monitoring, alerts, retraining, Databricks, Data Factory for an environment (issue 6)."""


def compose_central_registry_workspace(ctx: StackContext) -> None:
    """The central registry Databricks workspace in the shared stack (issue 6)."""
