"""model_assets.smoke_test against a small fake scoring server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.errors import ConfigError
from model_assets import smoke_test

SPEC = {
    "request": {"data": [{"x": 1}, {"x": 2}]},
    "response": {"key": "predictions", "length": 2, "items": {"type": "number", "min": 0, "max": 10}},
    "malformed": [{"name": "not JSON", "body": "{oops"}, {"name": "empty", "body": {"data": []}}],
}

Behaviour = Callable[[bytes, dict[str, str]], tuple[int, str]]


def good(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return 400, '{"error": "bad json"}'
    if not data.get("data"):
        return 400, '{"error": "empty"}'
    return 200, json.dumps({"predictions": [float(r["x"]) for r in data["data"]]})


@pytest.fixture()
def serve() -> Iterator[Callable[[Behaviour], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(behaviour: Behaviour) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, text = behaviour(body, dict(self.headers))
                payload = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/score"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def models_dir(tmp_path: Path) -> Path:
    (tmp_path / "toy" / "smoke").mkdir(parents=True)
    (tmp_path / "toy" / "smoke" / "smoke.json").write_text(json.dumps(SPEC))
    return tmp_path


def run_main(url: str, models_dir: Path, *extra: str) -> int:
    return smoke_test.main(
        [
            "--scoring-uri",
            url,
            "--model",
            "toy",
            "--models-dir",
            str(models_dir),
            "--retry-delay",
            "0",
            "--timeout",
            "5",
            *extra,
        ]
    )


def test_a_good_endpoint_passes(serve, models_dir: Path, capsys) -> None:
    assert run_main(serve(good), models_dir) == 0
    out = capsys.readouterr().out
    assert "PASS toy: valid request: HTTP 200" in out
    assert "PASS toy: rejects not JSON: HTTP 400" in out
    assert "smoke test passed for toy: 3 checks" in out


def test_a_5xx_for_malformed_input_fails(serve, models_dir: Path, capsys) -> None:
    def crashes(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        status, text = good(body, headers)
        return (500, "Traceback (most recent call last): ...") if status == 400 else (status, text)

    assert run_main(serve(crashes), models_dir) == 1
    captured = capsys.readouterr()
    assert "FAIL toy: rejects not JSON: expected a 4xx rejection, got 500" in captured.out
    assert "smoke test FAILED for toy" in captured.err


def test_a_4xx_with_a_stack_trace_fails(serve) -> None:
    url = serve(lambda body, headers: (400, "Traceback (most recent call last): boom"))
    checks = smoke_test.run_smoke(url, SPEC, attempts=1, delay=0)
    assert [c.ok for c in checks] == [False, False, False]
    assert checks[1].detail == "the rejection carries a Python stack trace"


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ('{"predictions": [1.0, 99.0]}', "predictions[1] = 99.0 is outside the plausible range [0, 10]"),
        ('{"predictions": [1.0]}', "predictions has 1 items, expected 2"),
        ('{"result": [1.0, 2.0]}', "answer has no 'predictions'"),
        ('{"predictions": [1.0, "x"]}', "predictions[1] = 'x' is not a finite number"),
        ("not json", "the answer is not JSON"),
    ],
)
def test_wrong_answers_fail_with_a_clear_message(serve, answer: str, problem: str) -> None:
    url = serve(lambda body, headers: (200, answer) if b'"x"' in body else (400, "{}"))
    check = smoke_test.run_smoke(url, SPEC, attempts=1, delay=0)[0]
    assert not check.ok
    assert problem in check.detail


def test_transient_failures_are_retried_a_bounded_number_of_times(serve) -> None:
    calls: list[int] = []

    def flaky(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        calls.append(1)
        return (503, "busy") if len(calls) < 3 else good(body, headers)

    slept: list[float] = []
    reply = smoke_test.post_with_retries(
        serve(flaky), SPEC["request"], {}, timeout=5, attempts=3, delay=1.5, sleep=slept.append
    )
    assert reply.status == 200
    assert slept == [1.5, 3.0]

    calls.clear()

    def busy(body, headers):
        calls.append(1)
        return 503, "busy"

    always_busy = serve(busy)
    reply = smoke_test.post_with_retries(
        always_busy, SPEC["request"], {}, timeout=5, attempts=2, delay=0, sleep=lambda s: None
    )
    assert (reply.status, len(calls)) == (503, 2)


def test_no_server_fails_cleanly(models_dir: Path, capsys) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert run_main(f"http://127.0.0.1:{port}/score", models_dir, "--attempts", "2") == 1
    assert "expected HTTP 200, got no answer" in capsys.readouterr().out


def test_auth_header_comes_from_the_named_variable(serve, models_dir: Path, monkeypatch) -> None:
    seen: list[str] = []

    def record(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        seen.append(headers.get("Authorization", ""))
        return good(body, headers)

    monkeypatch.setenv("SMOKE_KEY", "abc123")
    assert run_main(serve(record), models_dir, "--auth-header-env", "SMOKE_KEY") == 0
    assert set(seen) == {"Bearer abc123"}
    assert smoke_test.auth_headers("V", {"V": "Bearer t0k"}) == {"Authorization": "Bearer t0k"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scoring-uri", "ftp://x/score", "--model", "toy"], "is not an http(s) URL"),
        (["--scoring-uri", "http://127.0.0.1:9/score", "--model", "nope"], "model 'nope' has no smoke spec"),
        (
            [
                "--scoring-uri",
                "http://127.0.0.1:9/score",
                "--model",
                "toy",
                "--auth-header-env",
                "SMOKE_UNSET_VAR",
            ],
            "SMOKE_UNSET_VAR' is empty or not set",
        ),
    ],
)
def test_usage_errors_exit_2(models_dir: Path, capsys, monkeypatch, argv: list[str], message: str) -> None:
    monkeypatch.delenv("SMOKE_UNSET_VAR", raising=False)
    assert smoke_test.main([*argv, "--models-dir", str(models_dir)]) == 2
    assert message in capsys.readouterr().err


def test_every_shipped_smoke_spec_loads() -> None:
    models = Path(smoke_test.__file__).parent
    specs = sorted(p.parent.parent.name for p in models.glob("*/smoke/smoke.json"))
    assert "diabetes" in specs
    for name in specs:
        spec = smoke_test.load_spec(name)
        assert spec["malformed"]


@pytest.mark.parametrize(
    ("response", "answer", "problem"),
    [
        ({"type": "list", "length": 2, "items": {"type": "number", "min": 0, "max": 10}}, "[1.5, 2]", None),
        (
            {"type": "list", "length": 2, "items": {"type": "number"}},
            "[1.5]",
            "answer has 1 items, expected 2",
        ),
        (
            {"type": "list", "min_length": 1, "items": {"type": "integer"}},
            "[1, 2.5]",
            "answer[1] = 2.5 is not an integer",
        ),
        ({"type": "number", "min": 0, "max": 1}, "0.25", None),
        ({"type": "number", "min": 0, "max": 1}, "7", "answer = 7 is outside the plausible range [0, 1]"),
        ({"type": "string"}, '"churn"', None),
        ({"type": "boolean"}, "true", None),
        ({"type": "null"}, "null", None),
        (
            {"type": "object", "fields": {"label": {"type": "string"}}},
            '{"label": 3}',
            "answer.label = 3 is not a string",
        ),
        ({"type": "any"}, '{"whatever": [1]}', None),
    ],
)
def test_any_response_shape_can_be_described(serve, response: dict, answer: str, problem: str | None) -> None:
    spec = {**SPEC, "response": response}
    url = serve(lambda body, headers: (200, answer) if b'"x"' in body else (400, "{}"))
    check = smoke_test.run_smoke(url, spec, attempts=1, delay=0)[0]
    assert check.ok is (problem is None), check.detail
    if problem:
        assert problem in check.detail


def test_a_model_declares_its_own_error_contract(serve) -> None:
    spec = {
        **SPEC,
        "errors": {"status": 422},
        "malformed": [
            {"name": "not JSON", "body": "{oops", "status": [400, 415]},
            {"name": "empty", "body": {"data": []}},
        ],
    }

    def behaviour(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        if b'"x"' in body:
            return 200, '{"predictions": [1, 2]}'
        return (415, "{}") if body.startswith(b"{oops") else (422, "{}")

    checks = smoke_test.run_smoke(serve(behaviour), spec, attempts=1, delay=0)
    assert [c.ok for c in checks] == [True, True, True]
    wrong = {**spec, "errors": {"status": 400}}
    checks = smoke_test.run_smoke(serve(behaviour), wrong, attempts=1, delay=0)
    assert [c.ok for c in checks] == [True, True, False]
    assert "expected HTTP 400 (the model's error contract), got 422" in checks[2].detail


def test_a_model_may_declare_a_5xx_contract_for_bad_input(serve) -> None:
    spec = {**SPEC, "errors": {"status": 500}}
    url = serve(
        lambda body, headers: (200, '{"predictions": [1, 2]}') if b'"x"' in body else (500, "bad input")
    )
    assert all(c.ok for c in smoke_test.run_smoke(url, spec, attempts=1, delay=0))


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        ({"response": {"type": "tuple"}}, "response"),
        ({"response": {"type": "list", "items": {"type": "weird"}}}, "response"),
        ({"errors": {"status": 200}}, "errors.status"),
        ({"errors": []}, "errors"),
        ({"malformed": [{"name": "x", "body": "{", "status": "400"}]}, "malformed[0].status"),
        ({"malformed": [{"name": "no body"}]}, "malformed[0]"),
    ],
)
def test_a_bad_smoke_spec_names_the_key(tmp_path: Path, edit: dict, key: str) -> None:
    (tmp_path / "toy" / "smoke").mkdir(parents=True)
    (tmp_path / "toy" / "smoke" / "smoke.json").write_text(json.dumps({**SPEC, **edit}))
    with pytest.raises(ConfigError) as caught:
        smoke_test.load_spec("toy", tmp_path)
    assert caught.value.key == key
