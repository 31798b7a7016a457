"""Timeline and cost of a change: the scheduler bug, machine independence, no negative saving,
unknown cost deltas when a side is unpriced."""

from __future__ import annotations

from typing import Any

import pytest

from infra.cost import cost_delta
from infra.timeline import default_parallel
from infra.timeline.schedule import Task, simulate


def test_a_zero_duration_root_does_not_ready_its_dependents_twice() -> None:
    # c waits for a (zero: a component) and b (timed). Readying c twice used to complete it
    # before b finished: a KeyError on every real change.
    tasks = [Task("a", 0.0), Task("z", 0.0, ("a",)), Task("b", 5.0), Task("c", 2.0, ("z", "b"))]
    schedule = simulate(tasks, parallel=8)
    assert schedule.slots["c"].start == 5.0
    assert schedule.wall == 7.0


@pytest.mark.parametrize("cpus", [1, 16])
def test_the_default_parallelism_does_not_depend_on_the_local_cpus(monkeypatch: Any, cpus: int) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cpus)
    assert default_parallel() == 8


def _plan(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"stack": "qa", "resources": list(resources), "outputs": {}}


def _pool(size: str) -> dict[str, Any]:
    return {
        "urn": "urn:pulumi:qa::mlops-estate::azure-native:containerservice:AgentPool::aks-inference",
        "type": "azure-native:containerservice:AgentPool",
        "name": "aks-inference",
        "custom": True,
        "parent": None,
        "inputs": {"vmSize": size, "count": 1, "minCount": 1, "maxCount": 3, "enableAutoScaling": True},
        "outputs": {},
        "dependencies": [],
    }


def test_an_unpriced_size_makes_the_delta_unknown_not_a_saving() -> None:
    delta = cost_delta(_plan(_pool("Standard_D4ds_v5")), _plan(_pool("Standard_FOO9")))
    assert delta["delta"] == {"idle_usd": None, "load_usd": None}
    assert [u["name"] for u in delta["unknown"]] == ["aks-inference"]
    [line] = delta["resources"]
    assert line["delta_idle_usd"] is None
