"""Test doubles for the retraining app: pipeline queue, blob container, HTTP transport, payloads."""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from retrain.ado import HttpResponse, QueuedRun
from retrain.errors import StateConflict, SubmitFailed
from retrain.logs import LOGGER_NAME
from retrain.record import ModelState
from retrain.runtime import Runtime, build_runtime

PAYLOADS = Path(__file__).resolve().parent / "payloads"
APP_ROOT = Path(__file__).resolve().parents[2] / "components" / "retraining" / "function_app"

MODELS = {
    "churn": {
        "triggers": {
            "schedule": "0 0 2 * * *",
            "newData": {"container": "landing-churn", "prefix": "daily/"},
            "drift": True,
        },
        "cooldownMinutes": 1440,
    },
    "fraud": {
        "triggers": {
            "schedule": None,
            "newData": {"container": "landing-shared", "prefix": "fraud/"},
            "drift": False,
        },
        "cooldownMinutes": 60,
    },
    "returns": {
        "triggers": {
            "schedule": None,
            "newData": {"container": "landing-shared", "prefix": ""},
            "drift": False,
        },
        "cooldownMinutes": 60,
    },
    "demand": {
        "triggers": {"schedule": "0 30 6 * * Mon", "newData": None, "drift": True},
        "cooldownMinutes": 720,
    },
}
MODELS_JSON = json.dumps(MODELS)


def base_environ() -> dict[str, str]:
    """Valid app settings, as the infrastructure sets them."""
    return {
        "RETRAIN_MODELS": MODELS_JSON,
        "RETRAIN_STATE_ACCOUNT_URL": "https://stmlopsdevretrain.blob.core.windows.net/",
        "RETRAIN_STATE_CONTAINER": "retrain-state",
        "ADO_ORGANIZATION_URL": "https://dev.azure.com/contoso-ml",
        "ADO_PROJECT": "mlops estate",
        "ADO_TRAIN_PIPELINE_ID": "17",
        "ENVIRONMENT": "dev",
        "AzureWebJobsStorage__accountName": "stmlopsdevfunc",
    }


def make_runtime(environ: dict[str, str], **fakes: Any) -> Runtime:
    """The real runtime wiring with the given fakes (store, queue, clock)."""
    return build_runtime(environ, **fakes)


def payload(name: str) -> Any:
    """A JSON payload from ``payloads/`` (deep-copied so tests may edit it)."""
    return copy.deepcopy(json.loads((PAYLOADS / name).read_text()))


def decision_lines(caplog: Any) -> list[dict[str, Any]]:
    """The structured decision lines logged so far, parsed."""
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER_NAME]


def capture_decisions(caplog: Any) -> None:
    """Make ``caplog`` record the decision logger at INFO."""
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)


@dataclass
class FakeQueue:
    """Records queued runs; ``outcomes`` (run ids or exceptions) are used first, then 101, 102..."""

    outcomes: list[str | Exception] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    on_queue: Callable[[], None] | None = None
    _next: int = 101

    def queue(self, model: str, reason: str) -> QueuedRun:
        """Record the call and answer with the next outcome."""
        self.calls.append((model, reason))
        if self.on_queue is not None:
            hook, self.on_queue = self.on_queue, None
            hook()
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            return QueuedRun(run_id=outcome, web_url=None)
        run_id = str(self._next)
        self._next += 1
        return QueuedRun(
            run_id=run_id, web_url=f"https://dev.azure.com/contoso-ml/_build/results?buildId={run_id}"
        )


def transient(message: str = "Azure DevOps answered 503: busy (after 4 attempts)") -> SubmitFailed:
    """A retryable submit failure."""
    return SubmitFailed(message, retryable=True, status=503)


def final(message: str = "Azure DevOps answered 400: Unexpected parameter 'reason'") -> SubmitFailed:
    """A final submit failure."""
    return SubmitFailed(message, retryable=False, status=400)


class _Props:
    def __init__(self, etag: str):
        self.etag = etag


class _Downloader:
    def __init__(self, data: bytes, etag: str):
        self._data = data
        self.properties = _Props(etag)

    def readall(self) -> bytes:
        return self._data


class FakeBlobClient:
    """The ``BlobClient`` calls the state store makes, with Azure's conditional-write answers."""

    def __init__(self, container: FakeContainerClient, name: str):
        self._container = container
        self.name = name

    def download_blob(self) -> _Downloader:
        """Azure answers 404 (``ResourceNotFoundError``) for a missing blob."""
        with self._container.lock:
            blob = self._container.blobs.get(self.name)
        # A hook runs after this read and before the reader can write: another instance's turn.
        hook = self._container.after_download.pop(0) if self._container.after_download else None
        if hook is not None:
            hook()
        if blob is None:
            raise ResourceNotFoundError("The specified blob does not exist. ErrorCode:BlobNotFound")
        return _Downloader(*blob)

    def upload_blob(
        self,
        data: bytes,
        *,
        overwrite: bool = False,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """If-None-Match: * -> 409 BlobAlreadyExists; If-Match mismatch -> 412 ConditionNotMet."""
        with self._container.lock:
            current = self._container.blobs.get(self.name)
            if match_condition == MatchConditions.IfMissing or (not overwrite and match_condition is None):
                if current is not None:
                    raise ResourceExistsError(
                        "The specified blob already exists. ErrorCode:BlobAlreadyExists"
                    )
            elif match_condition == MatchConditions.IfNotModified:
                if current is None or current[1] != etag:
                    raise ResourceModifiedError(
                        "The condition specified using HTTP conditional header(s) is not met. ErrorCode:ConditionNotMet"
                    )
            elif match_condition is not None:
                raise TypeError(f"unexpected match condition {match_condition}")
            self._container.version += 1
            new_etag = f'"0x8DE{self._container.version:011X}"'
            self._container.blobs[self.name] = (bytes(data), new_etag)
            self._container.writes.append(self.name)
            return {"etag": new_etag}


class FakeContainerClient:
    """A container of blobs with ETags; ``after_download`` hooks run once each after a read."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.version = 0
        self.writes: list[str] = []
        self.after_download: list[Callable[[], None]] = []
        self.lock = threading.Lock()

    def get_blob_client(self, name: str) -> FakeBlobClient:
        """A client for one blob."""
        return FakeBlobClient(self, name)


@dataclass
class FakeTransport:
    """Answers POSTs from a script of responses (or ``OSError``s) and records the requests."""

    answers: list[HttpResponse | OSError]
    requests: list[tuple[str, dict[str, str], bytes, float]] = field(default_factory=list)

    def post(self, url: str, headers: Any, body: bytes, timeout: float) -> HttpResponse:
        """Record and answer."""
        self.requests.append((url, dict(headers), body, timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer


@dataclass
class FakeToken:
    """An ``AccessToken``-like value."""

    token: str
    expires_on: int = 1_900_000_000


@dataclass
class FakeCredential:
    """A token credential recording the scopes asked for."""

    scopes: list[tuple[str, ...]] = field(default_factory=list)
    error: Exception | None = None

    def get_token(self, *scopes: str) -> FakeToken:
        """Hand out a fixed token (or raise ``error``)."""
        self.scopes.append(scopes)
        if self.error is not None:
            raise self.error
        return FakeToken("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake.token")


class InMemoryStateStore:
    """A process-local store with the same ETag semantics (test double)."""

    def __init__(self) -> None:
        self._records: dict[str, tuple[bytes, str]] = {}
        self._version = 0
        self._lock = threading.Lock()

    def load(self, model: str) -> tuple[ModelState | None, str | None]:
        """See :meth:`StateStore.load`."""
        with self._lock:
            record = self._records.get(model)
        if record is None:
            return None, None
        return ModelState.from_json(record[0]), record[1]

    def save(self, model: str, state: ModelState, etag: str | None) -> str:
        """See :meth:`StateStore.save`."""
        with self._lock:
            current = self._records.get(model)
            current_etag = current[1] if current else None
            if current_etag != etag:
                raise StateConflict(f"state of model {model!r} changed since it was read")
            self._version += 1
            new_etag = f'"{self._version}"'
            self._records[model] = (state.to_json(), new_etag)
            return new_etag


class FixedClock:
    """A clock that only moves when told to (for tests and replays)."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The time the clock was set to."""
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (aware)."""
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = moment.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        """Move forward by ``timedelta(**delta)``."""
        self._now = self._now + timedelta(**delta)
