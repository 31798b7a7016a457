"""``estate bench``: how fast and how big the offline preview is, against the SDK's own floor.

Each measurement is a fresh process (``infra.bench.probe``), so import costs and peak memory
belong to the run. Reported:

* per stack: wall time (median, min, max of the runs) and peak RSS of ``preview``;
* the floor in the same run: the same protocol without the program — a program process started
  by the same exec script imports exactly the SDK modules the prod program imports and registers
  the same number of bare resources over the same gRPC to a monitor that computes nothing; the
  prod preview's ratio to it (target <= 1.2) and the program's overhead ``(preview - floor) /
  preview``;
* ``estate preview --all`` (every stack, the shared plan once, the others in parallel) against
  ``estate preview prod`` alone (target <= 1.2);
* scale: a synthetic stack with 1, 10, 50 and 100 models (a settings override of
  ``mlops-estate:models``, not a copy of the code), with the time and memory each model adds,
  against the floor's cost for the same number of resources.

Targets (checked, reported, never asserted in tests): prod preview <= 1.2 x the floor;
``--all`` <= 1.2 x prod alone; overhead <= 20 % of the prod preview;
marginal time per model <= 1.2 x the SDK's own cost for that model's resources; prod peak
memory <= 400 MB; memory linear in models.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.engine import project_directory

STACKS = ("shared", "dev", "qa", "prod")
SCALE_BASE_STACK = "dev"
SCALE_POINTS = (1, 10, 50, 100)
QUICK_SCALE_POINTS = (1, 10)

TARGET_OVERHEAD = 0.20
TARGET_FLOOR_RATIO = 1.2
TARGET_ALL_RATIO = 1.2
TARGET_MARGINAL_RATIO = 1.2
TARGET_PROD_PEAK_MB = 400


def synthetic_models(count: int) -> dict[str, Any]:
    """``count`` online models that all serve the diabetes sample's spec and registry model."""
    return {
        f"bench{index:03d}": {
            "kind": "ml",
            "serving": "online",
            "target": "managed",
            "spec": "diabetes",
            "registryModel": "diabetes",
            "deployments": {"blue": {"version": "3", "traffic": 100}},
        }
        for index in range(1, count + 1)
    }


def _probe(args: list[str], cwd: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "infra.bench.probe", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"bench probe {' '.join(args[:2])} failed: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _series(args: list[str], runs: int, cwd: Path) -> dict[str, Any]:
    samples = [_probe(args, cwd) for _ in range(runs)]
    return {
        "seconds": _stats([s["seconds"] for s in samples]),
        "peakMB": _stats([s["peakKiB"] / 1024 for s in samples]),
        "resources": samples[0]["resources"],
        "planResources": samples[0].get("planResources", samples[0]["resources"]),
        "modules": samples[0]["modules"],
        "runs": runs,
    }


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def _r_squared(points: list[tuple[float, float]]) -> float:
    slope = _slope(points)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    intercept = my - slope * mx
    total = sum((y - my) ** 2 for y in ys)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in points)
    return 1 - residual / total if total else 1.0


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def run_bench(*, quick: bool = False, runs: int | None = None, cwd: Path | None = None) -> dict[str, Any]:
    """Measure everything and return the report (see module docstring)."""
    cwd = cwd or project_directory()
    runs = runs or (1 if quick else 5)
    report: dict[str, Any] = {
        "schema": "mlops-estate/bench@1",
        "quick": quick,
        "machine": machine(),
        "stacks": {},
    }
    for stack in STACKS:
        report["stacks"][stack] = _series(["preview", stack], runs, cwd)
    prod = report["stacks"]["prod"]
    floor = _series(
        ["floor", "--modules", ",".join(prod["modules"]), "--resources", str(prod["resources"])], runs, cwd
    )
    report["floor"] = floor
    overhead = (prod["seconds"]["median"] - floor["seconds"]["median"]) / prod["seconds"]["median"]
    report["overhead"] = overhead
    report["floorRatio"] = prod["seconds"]["median"] / floor["seconds"]["median"]
    report["all"] = _series(["all"], runs, cwd)
    report["allRatio"] = report["all"]["seconds"]["median"] / prod["seconds"]["median"]

    points = QUICK_SCALE_POINTS if quick else SCALE_POINTS
    scale = []
    for count in points:
        override = json.dumps({"mlops-estate:models": synthetic_models(count)})
        series = _series(["preview", SCALE_BASE_STACK, "--overrides", override], runs, cwd)
        floor_series = _series(
            ["floor", "--modules", ",".join(series["modules"]), "--resources", str(series["resources"])],
            runs,
            cwd,
        )
        scale.append(
            {
                "models": count,
                "seconds": series["seconds"]["median"],
                "peakMB": series["peakMB"]["median"],
                "resources": series["resources"],
                "floorSeconds": floor_series["seconds"]["median"],
            }
        )
    time_points = [(p["models"], p["seconds"]) for p in scale]
    floor_points = [(p["models"], p["floorSeconds"]) for p in scale]
    memory_points = [(p["models"], p["peakMB"]) for p in scale]
    per_model = _slope(time_points)
    floor_per_model = _slope(floor_points)
    report["scale"] = {
        "points": scale,
        "secondsPerModel": per_model,
        "floorSecondsPerModel": floor_per_model,
        "marginalRatio": per_model / floor_per_model if floor_per_model > 0 else None,
        "mbPerModel": _slope(memory_points),
        "resourcesPerModel": _slope([(p["models"], p["resources"]) for p in scale]),
        "memoryLinearity": _r_squared(memory_points),
    }
    report["targets"] = targets(report)
    return report


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target, its measured value and whether it is met."""
    scale = report["scale"]
    ratio = scale["marginalRatio"]
    prod_peak = report["stacks"]["prod"]["peakMB"]["median"]
    return [
        {
            "target": "prod preview <= 1.2 x the floor (same protocol, no program)",
            "value": round(report["floorRatio"], 2),
            "met": report["floorRatio"] <= TARGET_FLOOR_RATIO,
        },
        {
            "target": "preview --all <= 1.2 x preview prod alone",
            "value": round(report["allRatio"], 2),
            "met": report["allRatio"] <= TARGET_ALL_RATIO,
        },
        {
            "target": "program overhead <= 20% of the prod preview",
            "value": round(report["overhead"], 3),
            "met": report["overhead"] <= TARGET_OVERHEAD,
        },
        {
            "target": "marginal time per model <= 1.2 x the SDK's cost for its resources",
            "value": None if ratio is None else round(ratio, 2),
            "met": ratio is not None and ratio <= TARGET_MARGINAL_RATIO,
        },
        {
            "target": "prod preview peak memory <= 400 MB",
            "value": round(prod_peak, 1),
            "met": prod_peak <= TARGET_PROD_PEAK_MB,
        },
        {
            "target": "memory linear in models (R^2 >= 0.95)",
            "value": round(scale["memoryLinearity"], 3),
            "met": scale["memoryLinearity"] >= 0.95,
        },
    ]


def render_markdown(report: dict[str, Any]) -> str:
    """The report as the tables kept in docs/benchmarks.md."""
    m = report["machine"]
    lines = [
        "# Offline preview benchmarks",
        "",
        f"Measured by `estate bench{' --quick' if report['quick'] else ''}` on {m['cpu']}, {m['cores']} cores, "
        f"Python {m['python']}, {m['platform']}. Each number is a fresh engine process (imports included) "
        "whose program runs in its own process, as under the Pulumi CLI; peak memory is the larger of "
        "the engine and its biggest child; "
        f"median of {report['stacks']['prod']['runs']} runs, min-max in brackets.",
        "",
        "| stack | resources in its plan (registered, incl. the shared stack it references) "
        "| wall time (s) | peak memory (MB) |",
        "|---|---|---|---|",
    ]
    ordered = [k for k in STACKS if k in report["stacks"]] + [k for k in report["stacks"] if k not in STACKS]
    for stack in ordered:
        data = report["stacks"][stack]
        s, p = data["seconds"], data["peakMB"]
        lines.append(
            f"| {stack} | {data['planResources']} ({data['resources']}) | "
            f"{s['median']:.2f} [{s['min']:.2f}-{s['max']:.2f}] | "
            f"{p['median']:.0f} [{p['min']:.0f}-{p['max']:.0f}] |"
        )
    floor = report["floor"]
    lines += [
        f"| floor (exec script + SDK imports + {floor['resources']} bare resources over gRPC, no-op monitor) "
        f"| {floor['resources']} | {floor['seconds']['median']:.2f} | {floor['peakMB']['median']:.0f} |",
        f"| `preview --all` (shared once, the others in parallel) | {report['all']['planResources']} "
        f"({report['all']['resources']}) | {report['all']['seconds']['median']:.2f} | "
        f"{report['all']['peakMB']['median']:.0f} |",
        "",
        f"Prod preview / floor: **{report['floorRatio']:.2f} x**; program overhead over the floor: "
        f"**{report['overhead'] * 100:.1f} %**; `preview --all` / `preview prod`: **{report['allRatio']:.2f} x**.",
        "",
        "## Scale (synthetic models on the dev stack)",
        "",
        "| models | resources registered | wall time (s) | floor (s) | peak memory (MB) |",
        "|---|---|---|---|---|",
    ]
    for point in report["scale"]["points"]:
        lines.append(
            f"| {point['models']} | {point['resources']} | {point['seconds']:.2f} | {point['floorSeconds']:.2f} | "
            f"{point['peakMB']:.0f} |"
        )
    scale = report["scale"]
    lines += [
        "",
        f"Per model: {scale['secondsPerModel'] * 1000:.0f} ms and {scale['mbPerModel']:.2f} MB "
        f"({scale['resourcesPerModel']:.1f} resources); the SDK floor for the same resources: "
        f"{scale['floorSecondsPerModel'] * 1000:.0f} ms.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for target in report["targets"]:
        lines.append(f"| {target['target']} | {target['value']} | {'yes' if target['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"
