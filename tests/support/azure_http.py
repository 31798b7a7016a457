"""A fake of Azure at the HTTP edge: every azure-core client (ARM, Azure ML data plane, Blob
storage) sends its requests through ``requests``; :class:`FakeAzure` answers them.

Use ``FakeAzure.install(monkeypatch)``: it replaces ``requests.adapters.HTTPAdapter.send`` (the
socket edge under azure-core's ``RequestsTransport``) and records every request. The
azure-ai-ml, azure-core and azure-storage classes above it run unchanged. ``StaticToken`` is a
credential that hands out a fixed token, standing in for the Entra ID login.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3
from azure.core.credentials import AccessToken
from requests.structures import CaseInsensitiveDict


class StaticToken:
    """A TokenCredential with a fixed bearer token (the login is not the edge under test)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("fake-token", int(time.time()) + 3600)


@dataclass
class Call:
    """One request Azure received."""

    method: str
    url: str
    path: str
    body: bytes | None


Handler = Callable[[Call, re.Match[str]], tuple[int, Any, dict[str, str]]]


def _body_bytes(raw: object) -> bytes | None:
    """A prepared request's body (None, text, bytes, an iterable of chunks or a file) as bytes."""
    if raw is None or isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode()
    if hasattr(raw, "read"):
        return bytes(raw.read())
    assert isinstance(raw, Iterable), type(raw)
    return b"".join(part.encode() if isinstance(part, str) else bytes(part) for part in raw)


@dataclass
class FakeAzure:
    """Routes ``(METHOD, path regex)`` to handlers; unrouted requests answer 404 and are recorded."""

    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern, re.IGNORECASE), handler))

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        url = str(request.url)
        path = requests.utils.urlparse(url).path
        body = _body_bytes(request.body)
        call = Call(method=str(request.method), url=url, path=path, body=body)
        self.calls.append(call)
        status: int = 404
        payload: Any = {"error": {"code": "ResourceNotFound", "message": path}}
        headers: dict[str, str] = {}
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if method == request.method and match:
                status, payload, headers = handler(call, match)
                break
        response = requests.Response()
        response.status_code = status
        response.request = request
        response.url = url
        content = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload).encode()
            if payload is not None
            else b""
        )
        all_headers = {"Content-Type": "application/json", "Content-Length": str(len(content)), **headers}
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(content), headers=all_headers, status=status, preload_content=False
        )
        response.headers = CaseInsensitiveDict(all_headers)
        response.encoding = "utf-8"
        response.reason = "OK" if status < 400 else "Error"
        return response

    def install(self, monkeypatch: Any) -> FakeAzure:
        fake = self

        def send(
            adapter: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
        ) -> requests.Response:
            return fake.send(request)

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
        return self

    def seen(self, method: str | None = None) -> list[tuple[str, str]]:
        """``(method, path)`` of every request (optionally only ``method``)."""
        return [(c.method, c.path) for c in self.calls if method is None or c.method == method]
