"""Runs the Pulumi program in-process, the way ``pulumi-language-python-exec`` does.

In order: configure the runtime (project, stack, dry run) against our recording monitor,
hand over the config map and secret keys (``set_all_config``), ``chdir`` to the project and
set ``sys.argv``, then ``run_in_stack(lambda: runpy.run_path(main, run_name="__main__"))`` on
a fresh event loop. The run happens in a copied ``contextvars`` context so config and the
root resource never leak between runs, and cwd/argv/sys.path are restored afterwards.

RPCs run on an inline executor instead of a thread pool, so registrations happen in the
same order on every run (plans are byte-identical for the same commit).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import os
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockEngine, MockSettings
from pulumi.runtime.stack import run_in_stack

from infra.engine.monitor import MonitorState, RecordingMonitor
from infra.engine.project import Project, StackConfig

LOG = logging.getLogger("mlops-estate.engine")


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs submitted RPCs immediately, in order (asyncio insists on a ThreadPoolExecutor type;
    no thread is ever started)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: concurrent.futures.Future = concurrent.futures.Future()
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


def _program_path(project: Project) -> Path:
    main = project.main
    return main if main.is_file() else main


def run_program(
    project: Project,
    config: StackConfig,
    *,
    stack_references: dict[str, tuple[dict[str, Any], list[str]]] | None = None,
    disabled_default_providers: list[str] | None = None,
    location: str = "westeurope",
) -> MonitorState:
    """Run the project's program for ``config.stack`` and return what it registered."""
    program = str(_program_path(project))
    return _run(
        lambda: runpy.run_path(program, run_name="__main__"),
        project_name=project.name,
        directory=project.directory,
        config=config,
        argv0=program,
        stack_references=stack_references,
        disabled_default_providers=disabled_default_providers,
        location=location,
    )


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
