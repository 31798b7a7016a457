"""Composition step: Azure DevOps objects and self-hosted agents."""

from __future__ import annotations

from stacks.context import StackContext


def compose_delivery(ctx: StackContext) -> None:
    """Environment-side DevOps objects: service connection, environment + checks, agents (issue 5)."""


def compose_devops_project(ctx: StackContext) -> None:
    """Shared-side DevOps objects: project, repository, branch policies, pipelines (issue 5)."""
