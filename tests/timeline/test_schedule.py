"""The list-scheduling simulation on hand-built graphs."""

from __future__ import annotations

import pytest

from infra.timeline.schedule import CycleError, Task, simulate


def chain_keys(schedule):
    return [(slot.key, via) for slot, via in schedule.critical_chain()]


def test_chain_runs_one_after_another():
    s = simulate([Task("a", 10), Task("b", 20, ("a",)), Task("c", 30, ("b",))], parallel=4)
    assert s.wall == 60
    assert [(x.start, x.finish) for x in s.slots.values()] == [(0, 10), (10, 30), (30, 60)]
    assert chain_keys(s) == [("a", "start"), ("b", "dependency"), ("c", "dependency")]


def test_diamond_waits_for_the_slower_branch():
    s = simulate([Task("a", 10), Task("b", 20, ("a",)), Task("c", 30, ("a",)), Task("d", 5, ("b", "c"))], 4)
    assert s.wall == 45
    assert s.slots["d"].start == 40
    assert s.slots["d"].waited_for == "c"
    assert chain_keys(s) == [("a", "start"), ("c", "dependency"), ("d", "dependency")]


def test_fan_out_runs_in_parallel_when_slots_allow():
    tasks = [Task("root", 7)] + [Task(f"leaf{i}", 10 + i, ("root",)) for i in range(5)]
    s = simulate(tasks, parallel=8)
    assert s.wall == 7 + 14
    assert {s.slots[f"leaf{i}"].start for i in range(5)} == {7}


def test_parallelism_cap_of_one_serializes_everything():
    s = simulate([Task("a", 10), Task("b", 20), Task("c", 30)], parallel=1)
    assert s.wall == 60
    assert [(x.start, x.slot_from) for x in s.slots.values()] == [(0, None), (10, "a"), (30, "b")]
    assert chain_keys(s) == [("a", "start"), ("b", "slot"), ("c", "slot")]


def test_parallelism_cap_of_two_binds_on_the_third_task():
    s = simulate([Task("a", 10), Task("b", 20), Task("c", 30)], parallel=2)
    # a and b start at 0; c takes a's slot at 10.
    assert s.slots["c"].start == 10
    assert s.slots["c"].slot_from == "a"
    assert s.wall == 40
    assert chain_keys(s) == [("a", "start"), ("c", "slot")]


def test_ready_order_is_ready_time_then_plan_order():
    # With one slot, x (ready at 0, listed after a) runs before b (ready at 10).
    s = simulate([Task("a", 10), Task("b", 5, ("a",)), Task("x", 3)], parallel=1)
    assert [(k, v.start) for k, v in s.slots.items()] == [("a", 0), ("b", 13), ("x", 10)]


def test_zero_duration_tasks_take_no_slot_and_no_time():
    tasks = [Task("a", 10), Task("comp", 0, ("a",)), Task("b", 10, ("comp",)), Task("z", 0)]
    s = simulate(tasks, parallel=1)
    assert s.wall == 20
    assert s.slots["comp"].start == s.slots["comp"].finish == 10
    assert s.slots["z"].finish == 0
    # The chain walks through the zero-duration node but does not list it.
    assert chain_keys(s) == [("a", "start"), ("b", "dependency")]


def test_cycle_and_bad_parallel_are_errors():
    with pytest.raises(CycleError, match="a, b"):
        simulate([Task("a", 1, ("b",)), Task("b", 1, ("a",))], parallel=2)
    with pytest.raises(ValueError, match="at least 1"):
        simulate([Task("a", 1)], parallel=0)
    with pytest.raises(ValueError, match="unknown 'nope'"):
        simulate([Task("a", 1, ("nope",))], parallel=1)
