"""Fixtures for the retraining Function App tests.

The app deploys ``components/retraining/function_app/`` as its own root, so its ``retrain``
package is imported the way the Functions host imports it: with that folder on ``sys.path``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

APP_ROOT = Path(__file__).resolve().parents[2] / "components" / "retraining" / "function_app"
if str(APP_ROOT) not in sys.path:
    sys.path.insert(0, str(APP_ROOT))

from tests.retraining.retrain_fakes import (  # noqa: E402
    MODELS_JSON,
    FakeQueue,
    FixedClock,
    InMemoryStateStore,
    base_environ,
    make_runtime,
)


@pytest.fixture
def environ() -> dict[str, str]:
    """A complete, valid set of app settings."""
    return base_environ()


@pytest.fixture
def models_json() -> str:
    """The RETRAIN_MODELS value used across the tests."""
    return MODELS_JSON


@pytest.fixture
def clock() -> FixedClock:
    """A clock set to Sunday 2026-11-22 10:00:00 UTC."""
    from datetime import UTC, datetime

    return FixedClock(datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC))


@pytest.fixture
def queue() -> FakeQueue:
    """A pipeline queue that succeeds with run ids 101, 102, ..."""
    return FakeQueue()


@pytest.fixture
def store() -> InMemoryStateStore:
    """An empty in-memory state store."""
    return InMemoryStateStore()


@pytest.fixture
def runtime(environ, store, queue, clock):
    """The app's runtime over the in-memory store, the fake queue and the fixed clock."""
    return make_runtime(environ, store=store, queue=queue, clock=clock)
