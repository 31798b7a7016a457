"""The estate's exec script: runs a Pulumi Python program the way the language host's exec does.

The offline engine starts this file as a script (``python program_exec.py ARGS PROGRAM``) with
the project's virtualenv interpreter, exactly as the Go language host starts its
``pulumi-language-python-exec``; ``estate preview --exec PATH`` swaps in another script that
follows the same contract (Pulumi's own works):

* arguments ``--monitor --engine --project --root_directory --stack --pwd --dry_run --parallel
  [--tracing] --organization PROGRAM [ARGS...]``;
* ``PULUMI_CONFIG`` (a JSON object of ``<namespace>:<key>`` to strings) and
  ``PULUMI_CONFIG_SECRET_KEYS`` (a JSON list) in the environment, handed to ``set_all_config``;
* the runtime is configured against the monitor and engine addresses, ``sys.argv`` becomes
  ``[PROGRAM, *ARGS]``, the working directory becomes ``--pwd``, and the program runs under
  ``run_in_stack`` on a fresh event loop whose executor allows ``4 x parallel`` RPCs at once;
* a ``pulumi.RunError`` is reported through the engine's Log RPC as one error line, without a
  traceback, and the exit status is 1; any other exception is logged with its traceback and
  the exit status is 32 (the host's "a message was already shown").

One thing differs from Pulumi's script, and it changes no plan: the cyclic garbage collector
runs less often (:data:`GC_THRESHOLDS`). A program that loads the Azure SDKs creates millions of
long-lived objects (classes, type hints) while importing, and with the default thresholds the
collector rescans them again and again: about a third of the program's CPU time on the estate's
prod stack. Young cycles are still collected (every 100,000 allocations). And the script leaves
with ``os._exit`` once the run is over and its output flushed, skipping the interpreter's
teardown (freeing every module and object: seconds of CPU for nothing); ``atexit`` handlers of
the program do not run.

This file imports nothing from the project: it is the boundary between the engine and the
program, and must run in any interpreter that has the ``pulumi`` SDK.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import runpy
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor

EXIT_RUN_ERROR = 1
EXIT_MESSAGE_SHOWN = 32
GC_THRESHOLDS = (100_000, 100, 1_000)
"""Generation 0 every 100,000 net allocations (default 700); older generations far less often."""


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run a Pulumi Python program against an engine")
    for name in ("project", "root_directory", "stack", "parallel", "dry_run", "pwd", "monitor", "engine"):
        parser.add_argument(f"--{name}")
    parser.add_argument("--tracing")
    parser.add_argument("--organization")
    parser.add_argument("PROGRAM")
    parser.add_argument("ARGS", nargs="*")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run the program named in ``argv``; return the exit status."""
    args = _arguments(argv)
    gc.set_threshold(*GC_THRESHOLDS)
    import pulumi
    import pulumi.runtime

    pulumi.runtime.set_all_config(
        pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env()
    )
    parallel = int(args.parallel) if args.parallel else None
    pulumi.runtime.configure(
        pulumi.runtime.Settings(
            monitor=args.monitor,
            engine=args.engine,
            project=args.project,
            stack=args.stack,
            parallel=parallel,
            dry_run=args.dry_run == "true",
            organization=args.organization,
            root_directory=args.root_directory,
        )
    )
    sys.argv = [args.PROGRAM, *args.ARGS]
    if args.pwd:
        os.chdir(args.pwd)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(max_workers=max(parallel or 1, 1) * 4)
    loop.set_default_executor(executor)
    # A failed run leaves futures nobody awaits; asyncio's complaints about them are noise.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    status = EXIT_MESSAGE_SHOWN
    try:

        def program() -> None:
            runpy.run_path(args.PROGRAM, run_name="__main__")

        loop.run_until_complete(pulumi.runtime.run_in_stack(program))
        status = 0
    except pulumi.RunError as exc:
        pulumi.log.error(str(exc))
        status = EXIT_RUN_ERROR
    except Exception:
        pulumi.log.error("Program failed with an unhandled exception:\n" + traceback.format_exc())
    finally:
        executor.shutdown(wait=True)
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return status


def _exit_now(status: int) -> None:
    """Flush and leave without tearing the interpreter down: freeing the thousands of modules
    and millions of objects the SDKs loaded costs seconds of CPU and changes nothing, as the
    program's registrations are all answered by now."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    _exit_now(main(sys.argv[1:]))
