"""Answers for pulumi-azuredevops resources (ids as Azure DevOps returns them)."""

from __future__ import annotations

from infra.engine.answers.common import ResourceContext, answer


def _guid_id(ctx: ResourceContext) -> str:
    return ctx.guid("id")


def _numeric_id(ctx: ResourceContext) -> str:
    return str(int(ctx.guid("id").replace("-", "")[:6], 16) % 100000 + 1)


# Types whose ids Azure DevOps returns as integers.
NUMERIC_ID_TYPES: set[str] = set()
