"""One measured run, in its own process (so imports and peak memory are the run's own).

    python -m infra.bench.probe preview STACK [--overrides JSON]
    python -m infra.bench.probe floor --modules a,b,c --resources N
    python -m infra.bench.probe all

Prints one JSON line: seconds (from process start, imports included), peak RSS (KiB, the
largest of this process and its children), resources registered and, for previews, the SDK
modules the program imported.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any

from pulumi.runtime.mocks import MockMonitor

from infra.engine.monitor import NoMocks

_START = time.perf_counter()


def _sdk_modules(plans: list[dict]) -> list[str]:
    """SDK modules the program loaded, read from the resource types it registered (the program
    runs in its own process): ``azure-native:<module>:..`` → ``pulumi_azure_native.<module>``;
    azure-ai-ml when it converts Azure ML specs (any Azure ML deployment)."""
    used = set()
    for plan in plans:
        for res in plan["resources"]:
            package, _, rest = res["type"].partition(":")
            if package == "azure-native":
                used.add(f"pulumi_azure_native.{rest.split(':', 1)[0]}")
            elif package in ("azuredevops", "databricks"):
                used.add(f"pulumi_{package}")
            if res["type"].endswith("Deployment") and "machinelearningservices" in res["type"]:
                used.add("azure.ai.ml")
    return sorted(used)


def _peak_kib() -> int:
    """The larger peak of this process and its biggest child (the program runs in a child)."""
    return max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )


def preview_probe(stack: str, overrides: dict | None) -> dict:
    import infra.engine as engine

    plan = engine.preview(stack, overrides=overrides, policy=False)
    # An environment stack's preview also runs the shared program (its StackReference): the
    # floor registers as many resources as this process did, not only the stack's own.
    registered = engine.registered_count()
    return {
        "seconds": time.perf_counter() - _START,
        "peakKiB": _peak_kib(),
        "resources": registered,
        "planResources": len(plan["resources"]),
        "modules": _sdk_modules([plan]),
    }


_FLOOR_PROGRAM = """
import importlib

import pulumi_azure_native.resources as resources

for module in {modules!r}:
    getattr(importlib.import_module(module), "__all__", None)  # a lazy placeholder loads on first lookup

for index in range({count}):
    resources.ResourceGroup(f"bare-{{index}}", resource_group_name=f"rg-{{index}}", location="westeurope")
"""


class _NoOpMonitor(MockMonitor):
    """Answers every registration with its URN and an id, computing nothing."""

    def __init__(self) -> None:
        super().__init__(NoMocks())
        self.count = 0

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return f"urn:pulumi:floor::bench::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        self.count += 1
        urn = self.make_urn(request.parent, request.type, request.name)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=f"{request.name}-id", object=request.object)


def floor_probe(modules: list[str], count: int) -> dict:
    """The same protocol as a preview, without the program: a program process started by the
    same exec script imports exactly ``modules`` and registers ``count`` bare resources over
    the same gRPC, to a monitor that answers without computing anything."""
    import subprocess
    import tempfile
    from pathlib import Path

    from infra.engine.runner import DEFAULT_EXEC
    from infra.engine.server import EngineServer

    monitor = _NoOpMonitor()
    with tempfile.TemporaryDirectory(prefix="estate-floor-") as tmp, EngineServer(monitor) as server:  # type: ignore[arg-type]
        program = Path(tmp) / "__main__.py"
        program.write_text(_FLOOR_PROGRAM.format(modules=modules, count=count))
        args = ["--monitor", server.address, "--engine", server.address, "--project", "bench",
                "--root_directory", tmp, "--stack", "floor", "--pwd", tmp, "--dry_run", "true",
                "--parallel", str((os.cpu_count() or 1) * 4), "--organization", "organization", "."]  # fmt: skip
        env = {**os.environ, "PULUMI_CONFIG": "{}", "PULUMI_CONFIG_SECRET_KEYS": "[]"}
        proc = subprocess.run(
            [sys.executable, str(DEFAULT_EXEC), *args],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"floor program failed: {proc.stderr.strip()[-300:]}")
    return {
        "seconds": time.perf_counter() - _START,
        "peakKiB": _peak_kib(),
        "resources": monitor.count,
        "modules": modules,
    }


def all_probe() -> dict:
    """``estate preview --all``'s computation: the shared plan once, then the others in parallel."""
    import infra.engine as engine
    from infra.cli.preview import _launch, _preview_in_parallel

    stacks = engine.stacks()
    _preview_in_parallel(stacks, policy=False, launch=_launch(None, None))
    plans = [engine.preview(stack, policy=False) for stack in stacks]
    return {
        "seconds": time.perf_counter() - _START,
        "peakKiB": _peak_kib(),
        "resources": engine.registered_count(),
        "planResources": sum(len(p["resources"]) for p in plans),
        "modules": _sdk_modules(plans),
    }


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "all":
        result = all_probe()
    elif mode == "preview":
        overrides = json.loads(argv[argv.index("--overrides") + 1]) if "--overrides" in argv else None
        result = preview_probe(argv[1], overrides)
    elif mode == "floor":
        modules = [m for m in argv[argv.index("--modules") + 1].split(",") if m]
        result = floor_probe(modules, int(argv[argv.index("--resources") + 1]))
    else:
        print(f"unknown probe mode {mode!r}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
