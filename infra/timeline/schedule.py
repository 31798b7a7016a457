"""Event-driven list scheduling of a dependency graph, as ``pulumi up`` runs it.

Model (durations reference §2.2): ``start(r) = max(finish(d) for d in deps(r))``,
``finish(r) = start(r) + dur(r)``, with at most ``parallel`` operations in flight. A task whose
duration is zero (a component, a provider, an unchanged resource in an update) completes the
moment its dependencies do and never takes a slot. When more tasks are ready than slots are
free, the one that became ready first starts first, ties broken by plan (registration) order —
the order in which the engine receives ready registrations.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    """One node: ``key`` (the URN), its duration in seconds and the keys it waits for."""

    key: str
    duration: float
    deps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slot:
    """When a task ran and why it started when it did."""

    key: str
    ready: float
    start: float
    finish: float
    waited_for: str | None  # the dependency that finished last, or None
    slot_from: str | None  # when the cap delayed it: the task whose finish freed the slot


@dataclass
class Schedule:
    """The simulated run: every task's slot and the wall time."""

    slots: dict[str, Slot] = field(default_factory=dict)
    wall: float = 0.0

    def critical_chain(self) -> list[tuple[Slot, str]]:
        """The chain that ends at the last finish, first task first.

        Each element is ``(slot, via)`` where ``via`` says what the task waited for before it
        could start: ``"dependency"``, ``"slot"`` (the parallelism cap) or ``"start"``.
        Zero-duration tasks are walked through but left out.
        """
        if not self.slots:
            return []
        order = {key: index for index, key in enumerate(self.slots)}
        last = max(self.slots.values(), key=lambda s: (s.finish, -order[s.key]))
        chain: list[tuple[Slot, str]] = []
        current: Slot | None = last
        while current is not None:
            if current.slot_from is not None:
                via, nxt = "slot", current.slot_from
            elif current.waited_for is not None:
                via, nxt = "dependency", current.waited_for
            else:
                via, nxt = "start", None
            if current.finish > current.start:
                chain.append((current, via))
            current = self.slots[nxt] if nxt is not None else None
        chain.reverse()
        return chain


class CycleError(ValueError):
    """The graph has a cycle; the message names the resources on it."""


def _check(tasks: Sequence[Task]) -> dict[str, Task]:
    by_key: dict[str, Task] = {}
    for task in tasks:
        if task.key in by_key:
            raise ValueError(f"duplicate task {task.key!r}")
        if task.duration < 0:
            raise ValueError(f"task {task.key!r} has negative duration {task.duration}")
        by_key[task.key] = task
    for task in tasks:
        for dep in task.deps:
            if dep not in by_key:
                raise ValueError(f"task {task.key!r} depends on unknown {dep!r}")
    return by_key


def simulate(tasks: Sequence[Task], parallel: int) -> Schedule:
    """Simulate the run of ``tasks`` with at most ``parallel`` concurrent operations."""
    if parallel < 1:
        raise ValueError(f"parallel must be at least 1, got {parallel}")
    by_key = _check(tasks)
    order = {task.key: index for index, task in enumerate(tasks)}
    dependents: dict[str, list[str]] = {task.key: [] for task in tasks}
    missing: dict[str, int] = {}
    for task in tasks:
        unique = set(task.deps)
        missing[task.key] = len(unique)
        for dep in unique:
            dependents[dep].append(task.key)

    finish: dict[str, float] = {}
    schedule = Schedule()
    ready: list[tuple[float, int, str]] = []  # (ready time, plan order, key)
    running: list[tuple[float, int, str]] = []  # (finish time, plan order, key)

    def ready_info(key: str) -> tuple[float, str | None]:
        deps = by_key[key].deps
        if not deps:
            return 0.0, None
        last = max(deps, key=lambda d: (finish[d], -order[d]))
        return finish[last], last

    def complete(key: str, start: float, end: float, slot_from: str | None) -> None:
        at, waited = ready_info(key)
        finish[key] = end
        schedule.slots[key] = Slot(key, at, start, end, waited, slot_from)
        for child in dependents[key]:
            missing[child] -= 1
            if missing[child] == 0:
                become_ready(child)

    def become_ready(key: str) -> None:
        at, _ = ready_info(key)
        if by_key[key].duration == 0:
            complete(key, at, at, None)
        else:
            heapq.heappush(ready, (at, order[key], key))

    # The roots are fixed before any completes: a zero-duration root completes at once and
    # readies its dependents, which must not be readied (and completed) a second time here.
    roots = [task.key for task in tasks if missing[task.key] == 0]
    for key in roots:
        become_ready(key)

    now = 0.0
    freed_by: str | None = None
    while ready or running:
        while ready and len(running) < parallel and ready[0][0] <= now:
            at, index, key = heapq.heappop(ready)
            delayed_by = freed_by if now > at else None
            heapq.heappush(running, (now + by_key[key].duration, index, key))
            schedule.slots[key] = Slot(key, at, now, now + by_key[key].duration, None, delayed_by)
        if not running:
            # Nothing in flight: jump to the next ready time.
            now = ready[0][0]
            freed_by = None
            continue
        now, _, key = running[0]
        finished_now: list[str] = []
        while running and running[0][0] == now:
            finished_now.append(heapq.heappop(running)[2])
        freed_by = finished_now[0]
        for done in finished_now:
            slot = schedule.slots.pop(done)
            complete(done, slot.start, slot.finish, slot.slot_from)

    if len(finish) != len(tasks):
        stuck = [task.key for task in tasks if task.key not in finish]
        raise CycleError("dependency cycle among: " + ", ".join(stuck[:10]))
    schedule.slots = {task.key: schedule.slots[task.key] for task in tasks}
    schedule.wall = max(finish.values(), default=0.0)
    return schedule
