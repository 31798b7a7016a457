"""Queuing the Azure DevOps train pipeline: request shape, Entra token, bounded retries, failures."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from retrain.ado import AdoPipelineQueue, HttpResponse, UrllibTransport
from retrain.errors import SubmitFailed

from tests.retraining.retrain_fakes import FakeCredential, FakeTransport

RUN = json.dumps(
    {
        "id": 4711,
        "name": "20261122.3",
        "state": "inProgress",
        "_links": {
            "web": {"href": "https://dev.azure.com/contoso-ml/mlops%20estate/_build/results?buildId=4711"}
        },
        "pipeline": {"id": 17, "name": "train"},
    }
).encode()


def ok() -> HttpResponse:
    return HttpResponse(200, {"content-type": "application/json"}, RUN)


def client(answers, **kwargs):
    transport = FakeTransport(list(answers))
    credential = kwargs.pop("credential", FakeCredential())
    sleeps: list[float] = []
    queue = AdoPipelineQueue(
        organization_url="https://dev.azure.com/contoso-ml",
        project="mlops estate",
        pipeline_id=17,
        stack="qa",
        credential=credential,
        transport=transport,
        sleep=sleeps.append,
        **kwargs,
    )
    return queue, transport, credential, sleeps


def test_request_shape_and_token() -> None:
    queue, transport, credential, sleeps = client([ok()])
    run = queue.queue("churn", "drift: metric alert 'alr' fired")
    assert (run.run_id, run.web_url) == (
        "4711",
        "https://dev.azure.com/contoso-ml/mlops%20estate/_build/results?buildId=4711",
    )
    [(url, headers, body, timeout)] = transport.requests
    assert url == "https://dev.azure.com/contoso-ml/mlops%20estate/_apis/pipelines/17/runs?api-version=7.1"
    assert headers == {
        "Authorization": "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake.token",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    assert json.loads(body) == {
        "templateParameters": {"model": "churn", "stack": "qa", "reason": "drift: metric alert 'alr' fired"}
    }
    assert timeout == 30.0
    assert credential.scopes == [("499b84ac-1321-427f-aa17-267ca6975798/.default",)]
    assert sleeps == []


def test_long_reason_is_truncated() -> None:
    queue, transport, _, _ = client([ok()])
    queue.queue("churn", "x" * 1000)
    reason = json.loads(transport.requests[0][2])["templateParameters"]["reason"]
    assert len(reason) == 400 and reason.endswith("...")


def test_throttling_and_server_errors_are_retried_with_bounded_backoff() -> None:
    answers = [
        HttpResponse(429, {"retry-after": "7"}, b'{"message": "Request was blocked due to exceeding usage"}'),
        HttpResponse(503, {}, b"Service Unavailable"),
        OSError("connection reset"),
        ok(),
    ]
    queue, transport, _, sleeps = client(answers)
    assert queue.queue("churn", "r").run_id == "4711"
    assert sleeps == [7.0, 4.0, 8.0]  # Retry-After honoured, then 2 * 2^(n-1)
    assert len(transport.requests) == 4


def test_retry_after_is_capped() -> None:
    queue, _, _, sleeps = client([HttpResponse(429, {"retry-after": "3600"}, b""), ok()])
    queue.queue("churn", "r")
    assert sleeps == [30.0]


def test_exhausted_retries_are_a_retryable_failure() -> None:
    answers = [HttpResponse(500, {}, b'{"message": "TF400898: An Internal Error Occurred."}')] * 4
    queue, transport, _, sleeps = client(answers)
    with pytest.raises(SubmitFailed) as caught:
        queue.queue("churn", "r")
    assert caught.value.retryable is True
    assert (
        str(caught.value)
        == "Azure DevOps answered 500: TF400898: An Internal Error Occurred. (after 4 attempts)"
    )
    assert sleeps == [2.0, 4.0, 8.0] and len(transport.requests) == 4


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            400,
            b'{"$id": "1", "message": "Unexpected parameter \'reason\'", "typeName": "Microsoft.Azure.Pipelines.WebApi.PipelineValidationException"}',
            "Azure DevOps answered 400: Unexpected parameter 'reason'",
        ),
        (
            401,
            b"",
            "Azure DevOps answered 401: (empty body) (the token was refused; is the managed identity added "
            "to the Azure DevOps organization?)",
        ),
        (
            404,
            b'{"message": "Pipeline with id 17 not found."}',
            "Azure DevOps answered 404: Pipeline with id 17 not found. (no such organization, project or pipeline id)",
        ),
        (
            203,
            b"<html><head><title>Azure DevOps Services | Sign In</title></head></html>",
            "Azure DevOps answered 203 with a sign-in page: the app's managed identity is not a user of the "
            "organization or lacks 'queue builds' on the pipeline",
        ),
    ],
)
def test_client_errors_are_final_and_not_retried(status: int, body: bytes, message: str) -> None:
    queue, transport, _, sleeps = client([HttpResponse(status, {}, body)])
    with pytest.raises(SubmitFailed) as caught:
        queue.queue("churn", "r")
    assert (str(caught.value), caught.value.retryable, caught.value.status) == (message, False, status)
    assert len(transport.requests) == 1 and sleeps == []


def test_success_without_run_id_is_a_final_failure() -> None:
    queue, _, _, _ = client([HttpResponse(200, {}, b"{}")])
    with pytest.raises(SubmitFailed, match="answered 200 without a run id") as caught:
        queue.queue("churn", "r")
    assert caught.value.retryable is False


def test_no_token_is_retryable_and_sends_nothing() -> None:
    credential = FakeCredential(error=RuntimeError("ManagedIdentityCredential: IMDS endpoint unavailable"))
    queue, transport, _, _ = client([], credential=credential)
    with pytest.raises(SubmitFailed) as caught:
        queue.queue("churn", "r")
    assert caught.value.retryable is True
    assert "could not get an Azure DevOps token for the app's managed identity" in str(caught.value)
    assert transport.requests == []


def test_urllib_transport_against_a_loopback_server() -> None:
    received: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Authorization"], body))
            if len(received) == 1:
                self.send_response(429)
                self.send_header("Retry-After", "3")
                self.end_headers()
                self.wfile.write(b'{"message": "slow down"}')
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(RUN)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        sleeps: list[float] = []
        queue = AdoPipelineQueue(
            organization_url=f"http://127.0.0.1:{server.server_port}/contoso-ml",
            project="mlops estate",
            pipeline_id=17,
            stack="prod",
            credential=FakeCredential(),
            transport=UrllibTransport(),
            sleep=sleeps.append,
            timeout=5.0,
        )
        assert queue.queue("churn", "schedule: due").run_id == "4711"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert sleeps == [3.0]
    assert [path for path, _, _ in received] == [
        "/contoso-ml/mlops%20estate/_apis/pipelines/17/runs?api-version=7.1"
    ] * 2
    assert received[0][1] == "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake.token"
    assert json.loads(received[1][2])["templateParameters"] == {
        "model": "churn",
        "stack": "prod",
        "reason": "schedule: due",
    }
