"""Dynamic providers, started and called the way the Pulumi CLI does during a preview.

A dynamic resource (type ``pulumi-python:dynamic:Resource``) carries its provider pickled
(dill, base64) in its ``__provider`` input. The CLI runs that provider through its launcher
``pulumi-resource-pulumi-python``: working directory = the program directory, arguments =
the engine address, environment = the ``runtime.options`` of ``Pulumi.yaml`` as
``PULUMI_RUNTIME_<OPTION>`` (so ``PULUMI_RUNTIME_VIRTUALENV=.venv``, resolved against that
working directory), ``PULUMI_PROJECT`` and ``PULUMI_CONFIG``. The launcher runs
``<virtualenv>/bin/python -u -m pulumi.dynamic <engine>``, which prints the port of its
ResourceProvider gRPC server. The engine then calls ``Configure`` once, and per resource
``Check`` (olds = the previous inputs, or none for a create) and, when the resource already
exists, ``Diff`` against its previous state.

:class:`DynamicProviders` does the same: one provider process per preview, started on the
first dynamic resource and reused for all of them, with the launcher configurable
(``estate preview --provider-launcher PATH``; default ``infra/engine/bin/provider-launcher``).
A provider that cannot start, unpickle (its module does not import), configure or check
fails the preview with one :class:`DynamicProviderError` naming the resource.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
DEFAULT_LAUNCHER = Path(__file__).resolve().parent / "bin" / "provider-launcher"
START_TIMEOUT_SECONDS = 120.0
CALL_TIMEOUT_SECONDS = 120.0


class DynamicProviderError(Exception):
    """A dynamic provider could not start, import, configure, check or diff a resource."""


@dataclass
class ResourceCalls:
    """The provider calls made for one dynamic resource."""

    check: int = 0
    diff: int = 0
    changes: str | None = None
    """``some``, ``none`` or ``unknown`` when diffed."""
    replaces: list[str] = field(default_factory=list)


@dataclass
class ProviderCalls:
    """What one preview asked its dynamic provider process."""

    starts: int = 0
    configure: int = 0
    resources: dict[str, ResourceCalls] = field(default_factory=dict)


_SIG_KEY = rpc._special_sig_key
_SECRET_SIG = rpc._special_secret_sig


def _plain(value: Any) -> Any:
    """``value`` with every secret unwrapped (what the engine sends a provider that does not
    accept secrets, as dynamic providers declare in Configure)."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


class DynamicProviders:
    """The dynamic provider process of one preview (start lazily, reuse, :meth:`close`)."""

    def __init__(
        self,
        *,
        launcher: Path,
        directory: Path,
        env: dict[str, str],
        engine_address: str,
        old_states: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.launcher = launcher
        self.directory = directory
        self.env = env
        self.engine_address = engine_address
        self.old_states = old_states or {}
        self.calls = ProviderCalls()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self._channel: grpc.Channel | None = None
        self._accept_secrets = False

    # -- process ---------------------------------------------------------------------------
    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def _start(self, name: str) -> provider_pb2_grpc.ResourceProviderStub:
        if self._stub is not None:
            return self._stub
        self._stderr = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                [str(self.launcher), self.engine_address],
                cwd=self.directory,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        except OSError as exc:
            raise DynamicProviderError(
                f"dynamic resource '{name}': cannot start the provider launcher {self.launcher}: {exc.strerror}"
            ) from None
        self.calls.starts += 1
        assert self._process.stdout is not None
        port_line = self._process.stdout.readline().decode().strip()
        if not port_line.isdigit():
            self._process.wait(timeout=START_TIMEOUT_SECONDS)
            reason = _last_line(self._stderr_text() or port_line)
            raise DynamicProviderError(
                f"dynamic resource '{name}': the provider did not start "
                f"(exit status {self._process.returncode}): {reason}"
            )
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port_line}")
        stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        try:
            configured = stub.Configure(
                provider_pb2.ConfigureRequest(
                    args=struct_pb2.Struct(), acceptSecrets=True, acceptResources=True
                ),
                timeout=CALL_TIMEOUT_SECONDS,
            )
            self._accept_secrets = bool(configured.acceptSecrets)
        except grpc.RpcError as exc:
            raise DynamicProviderError(
                f"dynamic resource '{name}': Configure failed: {_last_line(exc.details() or '')}"
            ) from None
        self.calls.configure += 1
        self._stub = stub
        return stub

    def close(self) -> None:
        """Stop the provider process (if one was started)."""
        if self._channel is not None:
            self._channel.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()

    # -- calls -----------------------------------------------------------------------------
    def check_and_diff(self, *, urn: str, name: str, news: struct_pb2.Struct) -> struct_pb2.Struct:
        """Check ``news`` (and Diff it against the previous state, if any); the checked inputs."""
        with self._lock:
            stub = self._start(name)
            record = self.calls.resources.setdefault(urn, ResourceCalls())
        if not self._accept_secrets:
            news = _struct(_plain(json_format.MessageToDict(news)))
        old = self.old_states.get(urn)
        olds = struct_pb2.Struct()
        if old is not None:
            olds.update(_plain(old["inputs"]))
        try:
            checked = stub.Check(
                provider_pb2.CheckRequest(urn=urn, name=name, type=DYNAMIC_TYPE, olds=olds, news=news),
                timeout=CALL_TIMEOUT_SECONDS,
            )
        except grpc.RpcError as exc:
            raise DynamicProviderError(
                f"dynamic resource '{name}': its provider failed to check it: {_last_line(exc.details() or '')}"
            ) from None
        with self._lock:
            record.check += 1
        if checked.failures:
            reasons = "; ".join(f"{f.property}: {f.reason}" for f in checked.failures)
            raise DynamicProviderError(f"dynamic resource '{name}': check failed: {reasons}")
        if old is not None:
            state = _struct(_plain({**old["inputs"], **old["outputs"]}))
            try:
                diff = stub.Diff(
                    provider_pb2.DiffRequest(
                        id=str(old.get("id") or ""),
                        urn=urn,
                        name=name,
                        type=DYNAMIC_TYPE,
                        olds=state,
                        news=checked.inputs,
                        old_inputs=olds,
                    ),
                    timeout=CALL_TIMEOUT_SECONDS,
                )
            except grpc.RpcError as exc:
                raise DynamicProviderError(
                    f"dynamic resource '{name}': its provider failed to diff it: {_last_line(exc.details() or '')}"
                ) from None
            changes = {
                provider_pb2.DiffResponse.DIFF_SOME: "some",
                provider_pb2.DiffResponse.DIFF_NONE: "none",
            }.get(diff.changes, "unknown")
            with self._lock:
                record.diff += 1
                record.changes = changes
                record.replaces = list(diff.replaces)
        return checked.inputs


def launcher_env(
    base: dict[str, str],
    *,
    options: dict[str, Any],
    directory: Path,
    project: str,
    config_json: str,
    fallback_prefix: str,
) -> dict[str, str]:
    """The launcher's environment, as the CLI builds it for a plugin: ``PULUMI_RUNTIME_<OPTION>``
    for each runtime option, ``PULUMI_PROJECT`` and ``PULUMI_CONFIG``. When the virtualenv the
    options name does not exist (a copy of the project without one), the engine's own
    environment (``fallback_prefix``) is named instead, absolutely."""
    env = dict(base)
    for key, value in options.items():
        env[f"PULUMI_RUNTIME_{key.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    venv = options.get("virtualenv")
    if isinstance(venv, str) and not (directory / venv / "bin" / "python").is_file():
        env["PULUMI_RUNTIME_VIRTUALENV"] = fallback_prefix
    env["PULUMI_PROJECT"] = project
    env["PULUMI_CONFIG"] = config_json
    return env


def environ() -> dict[str, str]:
    """The current process environment (a copy)."""
    return dict(os.environ)
