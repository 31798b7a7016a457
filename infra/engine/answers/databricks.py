"""Answers for pulumi-databricks resources (workspace-level objects)."""

from __future__ import annotations

from infra.engine.answers.common import ResourceContext, answer  # noqa: F401
