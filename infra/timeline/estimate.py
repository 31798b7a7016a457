"""Deploy-time estimates of a plan: a first ``pulumi up`` and an update from ``changes``.

Both return JSON-ready dicts (schema ``mlops-estate/timeline@1``); :mod:`infra.timeline.render`
prints them for people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infra.errors import ConfigError
from infra.timeline.durations import ZERO, DurationTable, Range, is_provider, load_table
from infra.timeline.graph import Edge, Graph, build_graph, serial_group
from infra.timeline.schedule import Schedule, Task, simulate

SCHEMA = "mlops-estate/timeline@1"
SCENARIOS = ("low", "typical", "high")
DATA_KINDS = ("data", "parent", "azure-serial")
ALL_KINDS = ("data", "no-data", "parent", "azure-serial")
TARGET = 0.05
ACTIONS = ("create", "update", "replace", "delete")
SERIAL_REASONS = {
    "vnet": "subnets of one VNet are written one at a time",
    "site": "writes to one App Service site conflict",
}


AGENT_CPUS = 2
"""vCPUs of the deploying agent the estimate models (a standard hosted CI agent)."""
DEFAULT_PARALLEL = 4 * AGENT_CPUS
"""Pulumi's default ``--parallel`` on that agent: 4 × CPUs (durations reference §2.1). A
constant, so the same plan gives the same estimate on any machine it is computed on."""


def default_parallel() -> int:
    """The modelled default parallelism (:data:`DEFAULT_PARALLEL`), never the local CPU count."""
    return DEFAULT_PARALLEL


def _check_parallel(parallel: int | None) -> int:
    value: object = default_parallel() if parallel is None else parallel  # may come from JSON/CLI
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"must be a whole number of at least 1, got {value!r}", key="--parallel")
    return value


def _tasks(
    graph: Graph,
    durations: Mapping[str, Range],
    scenario: str,
    kinds: Sequence[str],
    without: Edge | None = None,
) -> list[Task]:
    return [
        Task(urn, durations[urn].pick(scenario), graph.deps(urn, kinds, without=without))
        for urn in graph.nodes
    ]


def _resource_ref(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {"urn": resource["urn"], "type": resource.get("type"), "name": resource.get("name")}


def _chain(graph: Graph, schedule: Schedule) -> list[dict[str, Any]]:
    kinds = {(edge.source, edge.target): edge.kind for edge in graph.edges}
    out: list[dict[str, Any]] = []
    previous: str | None = None
    for slot, via in schedule.critical_chain():
        if via == "dependency" and slot.waited_for is not None:
            how = kinds.get((slot.waited_for, slot.key), "dependency")
        else:
            how = via
        entry = _resource_ref(graph.nodes[slot.key])
        entry.update(
            start=slot.start, finish=slot.finish, duration=slot.finish - slot.start, after=previous, via=how
        )
        out.append(entry)
        previous = slot.key
    return out


def _run(
    graph: Graph, durations: Mapping[str, Range], parallel: int, kinds: Sequence[str] = ALL_KINDS
) -> dict[str, Schedule]:
    return {s: simulate(_tasks(graph, durations, s, kinds), parallel) for s in SCENARIOS}


def _serializing(
    graph: Graph,
    durations: Mapping[str, Range],
    parallel: int,
    wall: float,
    chain: Sequence[Mapping[str, Any]],
    relevant: set[str] | None = None,
) -> list[dict[str, Any]]:
    on_chain = {(entry["after"], entry["urn"]) for entry in chain if entry["after"]}
    out: list[dict[str, Any]] = []
    for edge in graph.edges:
        if edge.kind != "no-data":
            continue
        if relevant is not None and not (edge.source in relevant and edge.target in relevant):
            continue
        without = simulate(_tasks(graph, durations, "typical", ALL_KINDS, without=edge), parallel).wall
        source, target = graph.nodes[edge.source], graph.nodes[edge.target]
        out.append(
            {
                "from": edge.source,
                "to": edge.target,
                "from_name": source.get("name"),
                "to_name": target.get("name"),
                "from_type": source.get("type"),
                "to_type": target.get("type"),
                "on_critical_chain": (edge.source, edge.target) in on_chain,
                "saves_seconds": round(max(wall - without, 0.0), 3),  # never negative: no saving
            }
        )
    out.sort(key=lambda e: (-e["saves_seconds"], e["from"], e["to"]))
    return out


def _report(
    plan: Mapping[str, Any],
    graph: Graph,
    durations: Mapping[str, Range],
    parallel: int,
    startup: Range,
    mode: str,
    relevant: set[str] | None = None,
) -> dict[str, Any]:
    runs = _run(graph, durations, parallel)
    data_run = simulate(_tasks(graph, durations, "typical", DATA_KINDS), parallel)
    data_only = data_run.wall
    planned = runs["typical"].wall
    chain = _chain(graph, runs["typical"])
    ratio = (planned / data_only) if data_only > 0 else 1.0
    return {
        "schema": SCHEMA,
        "stack": plan.get("stack"),
        "mode": mode,
        "parallel": parallel,
        "resources": len(graph.nodes),
        "startup_seconds": startup.as_dict(),
        "graph_seconds": {s: runs[s].wall for s in SCENARIOS},
        "wall_seconds": {s: runs[s].wall + startup.pick(s) for s in SCENARIOS},
        "critical_chain": chain,
        "serializing_edges": _serializing(graph, durations, parallel, planned, chain, relevant),
        "azure_serial_edges": [
            {
                "from": e.source,
                "to": e.target,
                "from_name": graph.nodes[e.source].get("name"),
                "to_name": graph.nodes[e.target].get("name"),
                "reason": SERIAL_REASONS[(serial_group(graph.nodes[e.target]) or ("",))[0]],
            }
            for e in graph.edges
            if e.kind == "azure-serial"
        ],
        "data_only": {
            "planned_seconds": planned,
            "data_only_seconds": data_only,
            "data_only_chain": [slot.key for slot, _ in data_run.critical_chain()],
            "excess": round(ratio - 1.0, 4),
            "target": TARGET,
            "within_target": ratio - 1.0 <= TARGET + 1e-9,
        },
    }


def estimate_create(
    plan: Mapping[str, Any],
    *,
    parallel: int | None = None,
    table: DurationTable | None = None,
    include_startup: bool = True,
) -> dict[str, Any]:
    """Estimate a first deployment of ``plan`` (every resource is created)."""
    table = table or load_table()
    parallel = _check_parallel(parallel)
    graph = build_graph(plan)
    durations = {urn: table.row_for(str(r.get("type")), urn=urn).create for urn, r in graph.nodes.items()}
    startup = table.startup if include_startup else ZERO
    return _report(plan, graph, durations, parallel, startup, "create")


def _validate_changes(changes: Any) -> list[dict[str, Any]]:
    if not isinstance(changes, list):
        raise ConfigError(f"expected a list of changes, got {type(changes).__name__}", key="plan.changes")
    for index, change in enumerate(changes):
        if not isinstance(change, dict) or change.get("action") not in ACTIONS or not change.get("urn"):
            raise ConfigError(
                f"each change needs a urn and an action in {', '.join(ACTIONS)}, got {change!r}",
                key=f"plan.changes[{index}]",
            )
    return changes


def _delete_phase(
    deleted: Sequence[Mapping[str, Any]], table: DurationTable, old_plan: Mapping[str, Any] | None
) -> tuple[Range, int]:
    """Deletes run last, in antichain levels (§2.2): Σ over levels of the longest delete."""
    old = {r["urn"]: r for r in (old_plan or {}).get("resources", [])}
    durations: dict[str, Range] = {}
    for change in deleted:
        urn, kind = change["urn"], str(change.get("type", ""))
        resource = old.get(urn)
        custom = (
            resource.get("custom") if resource is not None else not kind.startswith(("mlops:", "pulumi:"))
        )
        if not custom or is_provider(kind):
            continue
        durations[urn] = table.row_for(kind, urn=urn).delete
    remaining = set(durations)
    total, levels = ZERO, 0
    while remaining:
        # A resource can go once nothing still remaining depends on it.
        blocked = {
            dep
            for urn in remaining
            for dep in (old.get(urn, {}).get("dependencies") or [])
            if dep in remaining
        }
        level = [urn for urn in durations if urn in remaining and urn not in blocked]
        if not level:
            level = [urn for urn in durations if urn in remaining]
        total = total + Range(*(max(durations[u].pick(s) for u in level) for s in SCENARIOS))
        remaining.difference_update(level)
        levels += 1
    return total, levels


def estimate_update(
    plan: Mapping[str, Any],
    changes: Any = None,
    *,
    old_plan: Mapping[str, Any] | None = None,
    parallel: int | None = None,
    table: DurationTable | None = None,
    include_startup: bool = True,
) -> dict[str, Any]:
    """Estimate ``pulumi up`` from the plan's predecessor: only changed resources take time.

    ``create`` takes the create duration, ``update`` the update duration (the create duration
    unless the table has an update row), ``replace`` delete + create; ``delete``s run after
    everything else in antichain levels over ``old_plan``'s dependencies (one level without it).
    """
    table = table or load_table()
    parallel = _check_parallel(parallel)
    changes = _validate_changes(plan.get("changes", []) if changes is None else changes)
    graph = build_graph(plan)
    durations: dict[str, Range] = {urn: ZERO for urn in graph.nodes}
    counts = {action: 0 for action in ACTIONS}
    deleted: list[dict[str, Any]] = []
    all_urns = {r["urn"] for r in plan.get("resources", [])}
    for index, change in enumerate(changes):
        urn, action = change["urn"], change["action"]
        counts[action] += 1
        if action == "delete":
            deleted.append(change)
            continue
        if urn not in all_urns:
            raise ConfigError(
                f"change {action} for {urn}, which is not in the plan", key=f"plan.changes[{index}]"
            )
        if urn not in graph.nodes:
            continue  # a component or provider: no time
        row = table.row_for(str(graph.nodes[urn].get("type")), urn=urn)
        durations[urn] = {"create": row.create, "update": row.update, "replace": row.delete + row.create}[
            action
        ]
    startup = table.startup if include_startup else ZERO
    changed = {urn for urn, d in durations.items() if d != ZERO}
    report = _report(plan, graph, durations, parallel, startup, "update", relevant=changed)
    phase, levels = _delete_phase(deleted, table, old_plan)
    report["delete_phase_seconds"] = phase.as_dict()
    report["delete_levels"] = levels
    report["changes"] = counts
    report["changed_resources"] = len(changed)
    report["wall_seconds"] = {s: report["wall_seconds"][s] + phase.pick(s) for s in SCENARIOS}
    return report
