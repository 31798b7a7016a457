"""Hand-built plans for the timeline tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.timeline.durations import parse_table

RG_ID = "/subscriptions/0000/resourceGroups/rg-test"


def make_resource(
    name: str,
    type_: str = "test:index:Thing",
    *,
    deps: tuple[str, ...] = (),
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    custom: bool = True,
    parent: str | None = None,
    rid: str | None = None,
) -> dict[str, Any]:
    """One plan resource; URN ``urn:<name>``; deps by name."""
    return {
        "urn": f"urn:{name}",
        "type": type_,
        "name": name,
        "parent": f"urn:{parent}" if parent else None,
        "custom": custom,
        "provider": None,
        "id": rid if rid is not None else (f"{RG_ID}/things/{name}" if custom else None),
        "inputs": inputs or {},
        "outputs": outputs or {},
        "dependencies": [f"urn:{d}" for d in deps],
        "protect": False,
    }


@pytest.fixture
def resource() -> Callable[..., dict[str, Any]]:
    """The resource builder."""
    return make_resource


@pytest.fixture
def plan() -> Callable[..., dict[str, Any]]:
    """Wrap resources in a plan."""

    def build(*resources: dict[str, Any], changes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": "mlops-estate/plan@1",
            "stack": "test",
            "resources": list(resources),
            "outputs": {},
        }
        if changes is not None:
            out["changes"] = changes
        return out

    return build


def table_with(
    durations: dict[str, tuple[float, float, float]],
    *,
    updates: dict[str, tuple[float, float, float]] | None = None,
):
    """A durations table with the given create rows (and optional update rows)."""
    types = {}
    for key, value in durations.items():
        row: dict[str, Any] = {"create": list(value), "source": "test", "date": "2026", "confidence": "H"}
        if updates and key in updates:
            row["update"] = list(updates[key])
        types[key] = row
    return parse_table({"types": types, "families": {}, "startup": [0, 0, 0]})


@pytest.fixture
def table() -> Callable[..., Any]:
    """The table builder."""
    return table_with
