"""State stores and ETag concurrency: two instances racing for one model, one submit."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from retrain.errors import StateConflict
from retrain.events import Action, TriggerEvent
from retrain.record import ModelState
from retrain.state import BlobStateStore

from tests.retraining.retrain_fakes import FakeContainerClient, FakeQueue, InMemoryStateStore, make_runtime

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["blob", "memory"])
def test_compare_and_swap_semantics(kind: str) -> None:
    store = BlobStateStore(FakeContainerClient()) if kind == "blob" else InMemoryStateStore()
    assert store.load("churn") == (None, None)
    first = ModelState(model="churn", last_submitted_at=T0, last_run_id="7", last_kind="drift")
    etag1 = store.save("churn", first, None)
    loaded, etag = store.load("churn")
    assert (loaded, etag) == (first, etag1)
    with pytest.raises(StateConflict):
        store.save("churn", first, None)  # create-only, but it exists
    second = ModelState(model="churn", last_run_id="8")
    etag2 = store.save("churn", second, etag1)
    assert etag2 != etag1
    with pytest.raises(StateConflict):
        store.save("churn", first, etag1)  # stale ETag
    assert store.load("churn") == (second, etag2)


def test_blob_layout_is_one_json_blob_per_model() -> None:
    container = FakeContainerClient()
    store = BlobStateStore(container)
    store.save("churn", ModelState(model="churn", last_run_id="7"), None)
    store.save("fraud", ModelState(model="fraud"), None)
    assert sorted(container.blobs) == ["models/churn.json", "models/fraud.json"]
    body = json.loads(container.blobs["models/churn.json"][0])
    assert body["schema"] == "mlops-estate/retrain-state@1" and body["lastRunId"] == "7"


def test_corrupt_state_blob_is_reported_with_its_name() -> None:
    container = FakeContainerClient()
    container.blobs["models/churn.json"] = (b'{"hello": 1}', '"0x1"')
    with pytest.raises(RuntimeError, match="state blob 'models/churn.json' is not a retraining state record"):
        BlobStateStore(container).load("churn")


def _instances(environ, clock, container):
    queue = FakeQueue()
    a = make_runtime(environ, store=BlobStateStore(container), queue=queue, clock=clock)
    b = make_runtime(environ, store=BlobStateStore(container), queue=queue, clock=clock)
    return a, b, queue


def _event(source_id: str, kind: str = "drift") -> TriggerEvent:
    return TriggerEvent(model="churn", kind=kind, source_id=source_id, at=T0, detail="race")


@pytest.mark.parametrize("existing", [False, True], ids=["new-record", "existing-record"])
def test_instance_that_loses_the_etag_race_does_not_submit(environ, clock, existing: bool) -> None:
    container = FakeContainerClient()
    if existing:
        old = ModelState(
            model="churn", last_submitted_at=T0 - timedelta(days=2), last_run_id="99", last_kind="schedule"
        )
        BlobStateStore(container).save("churn", old, None)
    a, b, queue = _instances(environ, clock, container)
    b_decisions = []
    # A reads the state; before A can write, B handles another signal for the same model.
    container.after_download.append(
        lambda: b_decisions.append(b.engine.handle(_event("eventgrid:e1", "newData")))
    )
    a_decision = a.engine.handle(_event("alert:a1"))
    assert b_decisions[0].action is Action.SUBMITTED
    assert a_decision.action is Action.COOLDOWN  # A's conditional write failed, it re-read and re-decided
    assert queue.calls == [("churn", "newData: race")]
    state, _ = BlobStateStore(container).load("churn")
    assert state is not None
    assert state.last_run_id == "101" and set(state.seen) == {"eventgrid:e1", "alert:a1"}


def test_same_event_delivered_to_two_instances_submits_once(environ, clock) -> None:
    container = FakeContainerClient()
    a, b, queue = _instances(environ, clock, container)
    b_decisions = []
    container.after_download.append(
        lambda: b_decisions.append(b.engine.handle(_event("eventgrid:e1", "newData")))
    )
    a_decision = a.engine.handle(_event("eventgrid:e1", "newData"))
    assert (b_decisions[0].action, a_decision.action) == (Action.SUBMITTED, Action.DUPLICATE)
    assert len(queue.calls) == 1


class _BarrierStore:
    """Makes each thread's first read wait until every thread has read: a true race."""

    def __init__(self, inner: BlobStateStore, barrier: threading.Barrier):
        self._inner = inner
        self._barrier = barrier
        self._waited: set[int] = set()

    def load(self, model: str):
        result = self._inner.load(model)
        if threading.get_ident() not in self._waited:
            self._waited.add(threading.get_ident())
            self._barrier.wait(timeout=10)
        return result

    def save(self, model: str, state: ModelState, etag: str | None) -> str:
        return self._inner.save(model, state, etag)


def test_threads_racing_on_the_blob_store_submit_once(environ, clock) -> None:
    container = FakeContainerClient()
    barrier = threading.Barrier(2)
    queue = FakeQueue()
    runtimes = [
        make_runtime(
            environ, store=_BarrierStore(BlobStateStore(container), barrier), queue=queue, clock=clock
        )
        for _ in range(2)
    ]
    results: dict[int, Action] = {}

    def run(i: int) -> None:
        results[i] = runtimes[i].engine.handle(_event(f"alert:thread{i}")).action

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(results.values()) == [Action.COOLDOWN, Action.SUBMITTED]
    assert len(queue.calls) == 1


def test_engine_gives_up_when_state_keeps_changing(environ, clock) -> None:
    class AlwaysConflicting(InMemoryStateStore):
        def save(self, model, state, etag):
            raise StateConflict("changed")

    runtime = make_runtime(environ, store=AlwaysConflicting(), queue=FakeQueue(), clock=clock)
    with pytest.raises(RuntimeError, match=r"state of model 'churn' kept changing under 5 attempts"):
        runtime.engine.handle(_event("alert:a1"))
