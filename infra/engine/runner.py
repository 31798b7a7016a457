"""Runs the Pulumi program: out of process for a stack preview, in-process for unit tests.

:func:`run_program` is what ``estate preview STACK`` uses: it serves the monitor and engine over
gRPC (:mod:`infra.engine.server`), starts the program with the project's virtualenv
interpreter on the exec script (``bin/program_exec.py`` or ``--exec``) with the Go language
host's arguments, working directory and ``PULUMI_CONFIG``/``PULUMI_CONFIG_SECRET_KEYS``, and
starts dynamic providers through the launcher (:mod:`infra.engine.dynamic`). A ``RunError``
the program logged as one line (exit status 1) becomes :class:`ProgramConfigError`, and so
does a ``ConfigError`` that ended the program with a traceback (raised inside an ``apply``
without being a ``RunError``): its message alone; any other failure :class:`ProgramFailedError`; an error the engine raised while answering is
re-raised as it was.

:func:`run_function` runs a function as a program in this process (component unit tests):
the runtime is configured against the same recording monitor, config is handed over with
``set_all_config``, and ``run_in_stack(fn)`` runs on a fresh event loop in a copied
``contextvars`` context, with an inline executor so registrations happen in order; cwd,
argv and sys.path are restored afterwards.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from google.protobuf import empty_pb2
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockEngine, MockSettings
from pulumi.runtime.stack import run_in_stack
from ruamel.yaml import YAML

from infra.engine.dynamic import DEFAULT_LAUNCHER, DynamicProviders, ProviderCalls, environ, launcher_env
from infra.engine.monitor import EngineError, MonitorState, RecordingMonitor
from infra.engine.project import Project, StackConfig
from infra.engine.server import EngineServer, LogEntry
from infra.errors import ConfigError

LOG = logging.getLogger("mlops-estate.engine")
DEFAULT_EXEC = Path(__file__).resolve().parent / "bin" / "program_exec.py"

_P = ParamSpec("_P")
_T = TypeVar("_T")


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs submitted RPCs immediately, in order (asyncio insists on a ThreadPoolExecutor type;
    no thread is ever started)."""

    def submit(
        self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> concurrent.futures.Future[_T]:
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def _current_loop() -> asyncio.AbstractEventLoop | None:
    """The thread's current event loop, if one is set (without creating one)."""
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    loop = getattr(local, "_loop", None)
    return loop if loop is not None and not loop.is_closed() else None


@dataclass(frozen=True)
class Launch:
    """How the program and its dynamic providers are started (``estate preview --exec`` and
    ``--provider-launcher`` change them)."""

    exec_script: Path = DEFAULT_EXEC
    provider_launcher: Path = DEFAULT_LAUNCHER
    parallel: int = field(default_factory=lambda: (os.cpu_count() or 1) * 4)
    """The CLI's default ``--parallel``: four per core."""


class ProgramConfigError(ConfigError):
    """The program stopped with a ``pulumi.RunError`` (logged as one error line, exit status 1):
    how a configuration error crosses the process boundary."""


class ProgramFailedError(EngineError):
    """The program raised an unexpected exception (logged with its traceback)."""


@dataclass
class ProgramRun:
    """What an out-of-process run recorded, and the provider calls it made."""

    state: MonitorState
    provider_calls: ProviderCalls
    logs: list[LogEntry]


def runtime_options(project: Project) -> dict[str, Any]:
    """``runtime.options`` of ``Pulumi.yaml`` (``toolchain``, ``virtualenv``, ...)."""
    data = YAML(typ="safe", pure=True).load((project.directory / "Pulumi.yaml").read_text(encoding="utf-8"))
    runtime = data.get("runtime") if isinstance(data, dict) else None
    options = runtime.get("options") if isinstance(runtime, dict) else None
    return dict(options) if isinstance(options, dict) else {}


def interpreter(project: Project) -> Path:
    """The program's interpreter: ``<project>/<virtualenv>/bin/python`` (the ``virtualenv``
    runtime option, ``.venv`` when unset), else this process's own interpreter."""
    venv = runtime_options(project).get("virtualenv", ".venv")
    candidate = project.directory / str(venv) / "bin" / "python"
    return candidate if candidate.is_file() else Path(sys.executable)


def _program_env(project: Project, config: StackConfig, python: Path) -> dict[str, str]:
    env = environ()
    venv = python.parent.parent
    if (venv / "pyvenv.cfg").is_file():  # what activating the virtualenv does
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env.pop("PYTHONHOME", None)
    env["PULUMI_CONFIG"] = json.dumps(config.values, separators=(",", ":"), sort_keys=True)
    env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(config.secret_keys), separators=(",", ":"))
    return env


def exec_arguments(
    project: Project,
    stack: str,
    *,
    monitor: str,
    engine: str,
    parallel: int,
    organization: str = "organization",
) -> list[str]:
    """The exec script's arguments, in the order the Go language host builds them."""
    program = (
        "."
        if project.main.resolve() == project.directory
        else str(project.main.relative_to(project.directory))
    )
    return [
        "--monitor", monitor,
        "--engine", engine,
        "--project", project.name,
        "--root_directory", str(project.directory),
        "--stack", stack,
        "--pwd", str(project.directory),
        "--dry_run", "true",
        "--parallel", str(parallel),
        "--organization", organization,
        program,
    ]  # fmt: skip


_CONFIG_ERROR_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?\w*ConfigError: (?P<message>\S.*)$")
"""The last line of a traceback whose exception is a configuration error (``infra.errors.ConfigError``
or a subclass, e.g. ``components.common.ProgramConfigError``)."""


def _config_error_in_traceback(text: str) -> str | None:
    """The one-line message of a configuration error that ended the program with a traceback.

    A ``ConfigError`` that is not also a ``pulumi.RunError`` — typically one raised inside an
    ``apply`` callback, which reaches the host from the SDK's wait for outstanding registrations
    rather than through the program's own ``try`` — is logged by the exec script with its
    traceback. It is still bad input: the preview reports its message alone (exit status 2)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines or not any(line.startswith("Traceback (most recent call last)") for line in lines):
        return None
    found = _CONFIG_ERROR_LINE.match(lines[-1].strip())
    return found.group("message").strip() if found else None


def _run_failure(stack: str, code: int, logs: list[LogEntry], stderr: str) -> Exception:
    errors = [entry.message.strip() for entry in logs if entry.severity == "error" and entry.message.strip()]
    if code == 1 and errors and not any("Traceback (most recent call last)" in e for e in errors):
        return ProgramConfigError(errors[-1])
    for text in ([errors[-1]] if errors else []) + [stderr]:
        message = _config_error_in_traceback(text)
        if message is not None:
            return ProgramConfigError(message)
    if errors:
        lines = errors[-1].splitlines()
        where = [line.strip() for line in lines if line.strip().startswith('File "')]
        message = f"the program failed: {lines[-1].strip()}"
        if where:
            message += f"\n  at {where[-1]} (set ESTATE_DEBUG=1 for the full traceback)"
        if os.environ.get("ESTATE_DEBUG"):
            message += "\n" + errors[-1]
        return ProgramFailedError(message)
    tail = [line for line in stderr.strip().splitlines() if line.strip()]
    return ProgramFailedError(f"the program exited with status {code}: {tail[-1] if tail else 'no message'}")


def run_program(
    project: Project,
    config: StackConfig,
    *,
    stack_references: Mapping[str, tuple[dict[str, Any], list[str]]] | None = None,
    disabled_default_providers: list[str] | None = None,
    location: str = "westeurope",
    launch: Launch | None = None,
    old_states: dict[str, dict[str, Any]] | None = None,
) -> ProgramRun:
    """Run the project's program for ``config.stack`` in its own process, as the language host
    does, serving the monitor and engine over gRPC; return what it registered."""
    launch = launch or Launch()
    python = interpreter(project)
    env = _program_env(project, config, python)
    monitor = RecordingMonitor(
        stack_references=stack_references,
        disabled_default_providers=disabled_default_providers,
        location=location,
        project=project.name,
        stack=config.stack,
    )
    with EngineServer(monitor) as server:
        dynamic = DynamicProviders(
            launcher=launch.provider_launcher,
            directory=project.directory,
            env=launcher_env(
                environ(),
                options=runtime_options(project),
                directory=project.directory,
                project=project.name,
                config_json=env["PULUMI_CONFIG"],
                fallback_prefix=sys.prefix,
            ),
            engine_address=server.address,
            old_states=old_states,
        )
        monitor.attach_dynamic(dynamic)
        args = exec_arguments(
            project, config.stack, monitor=server.address, engine=server.address, parallel=launch.parallel
        )
        try:
            proc = subprocess.run(
                [str(python), str(launch.exec_script), *args],
                cwd=project.directory,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            dynamic.close()
        if server.failures:
            raise server.failures[0]
        if proc.returncode != 0:
            raise _run_failure(config.stack, proc.returncode, server.logs, proc.stderr)
        errors = [entry for entry in server.logs if entry.severity == "error"]
        if errors:
            raise _run_failure(config.stack, 1, server.logs, proc.stderr)
        return ProgramRun(state=monitor.state, provider_calls=dynamic.calls, logs=list(server.logs))


def run_function(
    fn: Callable[[], Any],
    *,
    project_name: str = "mlops-estate",
    stack: str = "unit",
    directory: Path | None = None,
    location: str = "westeurope",
) -> MonitorState:
    """Run ``fn`` as if it were a program (for component tests): same monitor, same answers."""
    config = StackConfig(stack=stack, file=Path(f"Pulumi.{stack}.yaml"), values={}, secret_keys=[])
    return _run(
        fn,
        project_name=project_name,
        directory=directory or Path.cwd(),
        config=config,
        argv0="unit",
        stack_references=None,
        disabled_default_providers=None,
        location=location,
    )


def _run(
    fn: Callable[[], Any],
    *,
    project_name: str,
    directory: Path,
    config: StackConfig,
    argv0: str,
    stack_references: dict[str, tuple[dict[str, Any], list[str]]] | None,
    disabled_default_providers: list[str] | None,
    location: str,
) -> MonitorState:
    monitor = RecordingMonitor(
        stack_references=stack_references,
        disabled_default_providers=disabled_default_providers,
        location=location,
    )
    saved_cwd, saved_argv, saved_path = os.getcwd(), list(sys.argv), list(sys.path)
    saved_loop = _current_loop()
    loop = asyncio.new_event_loop()
    loop.set_default_executor(_InlineExecutor())

    def body() -> None:
        asyncio.set_event_loop(loop)
        runtime_settings.reset_options(
            project=project_name,
            stack=config.stack,
            root_directory=str(directory),
            preview=True,
            organization="organization",
        )
        runtime_settings.configure(
            MockSettings(
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures),
                engine=MockEngine(LOG),
                project=project_name,
                stack=config.stack,
                dry_run=True,
                organization="organization",
                root_directory=str(directory),
                callbacks=None,
            )
        )
        set_all_config(dict(config.values), list(config.secret_keys))
        os.chdir(directory)
        sys.argv = [argv0]
        loop.run_until_complete(run_in_stack(fn))

    asyncio_logger = logging.getLogger("asyncio")
    saved_level = asyncio_logger.level
    asyncio_logger.setLevel(logging.CRITICAL)  # as the language host does: a failed run leaves pending tasks
    try:
        contextvars.copy_context().run(body)
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio_logger.setLevel(saved_level)
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        sys.path[:] = saved_path
        asyncio.set_event_loop(
            saved_loop
        )  # the caller's loop (pytest fixtures, other SDK users) stays current
        loop.close()
    return monitor.state
