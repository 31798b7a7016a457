"""One measured run, in its own process (so imports and peak memory are the run's own).

    python -m infra.bench.probe preview STACK [--overrides JSON]
    python -m infra.bench.probe floor --modules a,b,c --resources N

Prints one JSON line: seconds (from process start, imports included), peak RSS (KiB),
resources registered and, for previews, the SDK modules the program imported.
"""

from __future__ import annotations

import json
import resource
import sys
import time

_START = time.perf_counter()

SDK_PREFIXES = ("pulumi_azure_native.", "pulumi_azuredevops", "pulumi_databricks", "azure.ai.ml")


def _sdk_modules() -> list[str]:
    """SDK modules the program really loaded. pulumi_azure_native registers a lazy placeholder
    for each of its ~250 modules in ``sys.modules``; only the ones that were loaded count."""
    used = set()
    for name, module in list(sys.modules.items()):
        if type(module).__name__ == "_LazyModule":
            continue
        if name.startswith("pulumi_azure_native."):
            parts = name.split(".")
            if not parts[1].startswith("_"):
                used.add(".".join(parts[:2]))
        elif name in ("pulumi_azuredevops", "pulumi_databricks", "azure.ai.ml"):
            used.add(name)
    return sorted(used)


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


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
        "modules": _sdk_modules(),
    }


def floor_probe(modules: list[str], count: int) -> dict:
    """Import exactly ``modules`` and register ``count`` bare resources under plain Pulumi mocks."""
    import importlib

    import pulumi

    for module in modules:
        loaded = importlib.import_module(module)
        getattr(loaded, "__all__", None)  # a lazy placeholder loads on first lookup of a real attribute
    import pulumi_azure_native.resources as resources

    class Bare(pulumi.runtime.Mocks):
        def new_resource(self, args):
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args):
            return {}

    pulumi.runtime.set_mocks(Bare(), project="bench", stack="floor", preview=True)

    @pulumi.runtime.test
    def register():
        for index in range(count):
            resources.ResourceGroup(f"bare-{index}", resource_group_name=f"rg-{index}", location="westeurope")

    register()
    return {
        "seconds": time.perf_counter() - _START,
        "peakKiB": _peak_kib(),
        "resources": count,
        "modules": modules,
    }


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "preview":
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
