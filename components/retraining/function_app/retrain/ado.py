"""Queue a model's Azure DevOps train pipeline with the app's managed identity.

``POST {org}/{project}/_apis/pipelines/{id}/runs?api-version=7.1`` with template parameters
``model``, ``stack`` and ``reason``, authorised by an Entra token for Azure DevOps obtained
from the app's identity (no PAT, no secret). Throttling (429), server errors (5xx) and network
errors are retried with bounded exponential backoff (``Retry-After`` honoured up to a cap);
any other answer is a final failure.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from . import contract as c
from .errors import SubmitFailed

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_REASON_CHARS = 400


@dataclass(frozen=True)
class HttpResponse:
    """An HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class HttpTransport(Protocol):
    """Sends one HTTP POST; raises ``OSError`` when no answer arrives."""

    def post(self, url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> HttpResponse:
        """POST ``body`` to ``url`` and return the answer, whatever its status."""
        ...


class UrllibTransport:
    """:class:`HttpTransport` over the standard library (no extra dependency to deploy)."""

    def post(self, url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> HttpResponse:
        """See :meth:`HttpTransport.post`."""
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return HttpResponse(answer.status, _lower(answer.headers.items()), answer.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, _lower(error.headers.items()), error.read())


class TokenCredential(Protocol):
    """The part of ``azure.core.credentials.TokenCredential`` used here."""

    def get_token(self, *scopes: str) -> Any:
        """An access token object with a ``token`` attribute."""
        ...


@dataclass(frozen=True)
class QueuedRun:
    """A queued pipeline run."""

    run_id: str
    web_url: str | None


class PipelineQueue(Protocol):
    """Queues the train pipeline for one model."""

    def queue(self, model: str, reason: str) -> QueuedRun:
        """Queue a run; raise :class:`SubmitFailed` when it cannot be queued."""
        ...


class AdoPipelineQueue:
    """Queues runs of one Azure DevOps pipeline with an Entra token."""

    def __init__(
        self,
        *,
        organization_url: str,
        project: str,
        pipeline_id: int,
        stack: str,
        credential: TokenCredential,
        transport: HttpTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        base_delay: float = 2.0,
        max_delay: float = 30.0,
        timeout: float = 30.0,
    ):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.url = (
            f"{organization_url.rstrip('/')}/{quote(project, safe='')}/_apis/pipelines/"
            f"{pipeline_id}/runs?api-version={c.AZURE_DEVOPS_API_VERSION}"
        )
        self._stack = stack
        self._credential = credential
        self._transport = transport or UrllibTransport()
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._timeout = timeout

    def request_body(self, model: str, reason: str) -> bytes:
        """The JSON body of the run request."""
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[: MAX_REASON_CHARS - 3] + "..."
        parameters = {"model": model, "stack": self._stack, "reason": reason}
        return json.dumps({"templateParameters": parameters}, sort_keys=True).encode()

    def queue(self, model: str, reason: str) -> QueuedRun:
        """See :meth:`PipelineQueue.queue`."""
        body = self.request_body(model, reason)
        last_problem = ""
        for attempt in range(1, self._max_attempts + 1):
            headers = {
                "Authorization": f"Bearer {self._token()}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
            retry_after: float | None = None
            try:
                answer = self._transport.post(self.url, headers, body, self._timeout)
            except OSError as exc:
                last_problem = f"no answer from Azure DevOps ({exc.__class__.__name__}: {exc})"
            else:
                if 200 <= answer.status < 300 and answer.status != 203:
                    return _queued_run(answer)
                if answer.status not in RETRYABLE_STATUSES:
                    raise SubmitFailed(_final_problem(answer), retryable=False, status=answer.status)
                last_problem = f"Azure DevOps answered {answer.status}: {_message(answer)}"
                retry_after = _retry_after(answer)
            if attempt < self._max_attempts:
                delay = self._base_delay * 2 ** (attempt - 1) if retry_after is None else retry_after
                self._sleep(min(delay, self._max_delay))
        raise SubmitFailed(f"{last_problem} (after {self._max_attempts} attempts)", retryable=True)

    def _token(self) -> str:
        try:
            return self._credential.get_token(c.AZURE_DEVOPS_SCOPE).token
        except Exception as exc:  # azure-identity raises several types; all mean "no token now"
            raise SubmitFailed(
                f"could not get an Azure DevOps token for the app's managed identity ({exc.__class__.__name__}: {exc})",
                retryable=True,
            ) from None


def _queued_run(answer: HttpResponse) -> QueuedRun:
    try:
        run = json.loads(answer.body)
        run_id = run["id"]
    except (ValueError, KeyError, TypeError):
        raise SubmitFailed(
            f"Azure DevOps answered {answer.status} without a run id: {answer.body[:200]!r}",
            retryable=False,
            status=answer.status,
        ) from None
    web = run.get("_links", {}).get("web", {}).get("href")
    return QueuedRun(run_id=str(run_id), web_url=web)


def _final_problem(answer: HttpResponse) -> str:
    if answer.status == 203:
        return (
            "Azure DevOps answered 203 with a sign-in page: the app's managed identity is not a user "
            "of the organization or lacks 'queue builds' on the pipeline"
        )
    hint = {
        401: "the token was refused; is the managed identity added to the Azure DevOps organization?",
        403: "the managed identity may not queue this pipeline",
        404: "no such organization, project or pipeline id",
    }.get(answer.status, "")
    text = f"Azure DevOps answered {answer.status}: {_message(answer)}"
    return f"{text} ({hint})" if hint else text


def _message(answer: HttpResponse) -> str:
    try:
        message = json.loads(answer.body).get("message")
    except (ValueError, AttributeError):
        message = None
    if isinstance(message, str) and message:
        return message
    text = answer.body[:200].decode("utf-8", "replace").strip()
    return text or "(empty body)"


def _retry_after(answer: HttpResponse) -> float | None:
    value = answer.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}
