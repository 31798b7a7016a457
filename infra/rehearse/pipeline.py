"""Run a model's Azure ML pipeline job on this machine, step by step, as its components say.

For each job of ``azureml/pipeline.yml`` (in file order; every binding must name an earlier
job): the component file is read, its ``code`` folder plus ``additional_includes`` are staged
as the job's snapshot, ``${{inputs.*}}``/``${{outputs.*}}`` are substituted into its
``command`` (``$[[...]]`` segments whose optional input is unbound are dropped, as Azure ML
does) and the command runs in the snapshot with this interpreter as ``python``. A script
whose ``main`` takes a ``client`` (the register steps) gets the registry stand-in instead of
an ``MLClient``: that is the only difference from the cloud run. Outputs land under the run
folder; ``${{parent.outputs.*}}`` bindings are the pipeline's named outputs.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

STEP_TIMEOUT_S = 300.0
_PARENT_INPUT = re.compile(r"^\$\{\{parent\.inputs\.([A-Za-z0-9_]+)\}\}$")
_PARENT_OUTPUT = re.compile(r"^\$\{\{parent\.outputs\.([A-Za-z0-9_]+)\}\}$")
_JOB_OUTPUT = re.compile(r"^\$\{\{parent\.jobs\.([A-Za-z0-9_]+)\.outputs\.([A-Za-z0-9_]+)\}\}$")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.S)
_REF = re.compile(r"\$\{\{(inputs|outputs)\.([A-Za-z0-9_]+)\}\}")
# Runs a step script's main() with the registry stand-in as its client.
CLIENT_LAUNCHER = (
    "import sys\n"
    "from pathlib import Path\n"
    "sys.path.insert(0, '.')\n"
    "from infra.rehearse.registry import LocalRegistry\n"
    "script = sys.argv[1]\n"
    "module = __import__(script[:-3])\n"
    "sys.exit(module.main(sys.argv[3:], client=LocalRegistry(Path(sys.argv[2]))))\n"
)


class StepFailed(RuntimeError):
    """A pipeline job failed; the message names the job and carries its output tail."""


@dataclass
class PipelineRun:
    """What one local pipeline run produced."""

    folder: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    jobs: list[tuple[str, float]] = field(default_factory=list)

    def output(self, name: str) -> Path:
        """A named pipeline output folder."""
        return self.outputs[name]


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping (ValueError naming the file otherwise)."""
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a YAML mapping")
    return data


def parent_inputs(pipeline: dict[str, Any], base: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The pipeline's inputs as strings (paths made absolute), with ``overrides`` applied."""
    values: dict[str, str] = {}
    for name, spec in (pipeline.get("inputs") or {}).items():
        if isinstance(spec, dict):
            if "path" in spec:
                values[name] = str((base / str(spec["path"])).resolve())
            elif "default" in spec:
                values[name] = _text(spec["default"])
        else:
            values[name] = _text(spec)
    values.update(overrides)
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_command(command: str, inputs: dict[str, str], outputs: dict[str, Path]) -> list[str]:
    """The command line with bindings substituted; unbound optional segments dropped."""

    def optional(match: re.Match[str]) -> str:
        names = [m.group(2) for m in _REF.finditer(match.group(1)) if m.group(1) == "inputs"]
        return match.group(1) if all(n in inputs for n in names) else ""

    text = _OPTIONAL.sub(optional, command)

    def ref(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "inputs":
            if name not in inputs:
                raise StepFailed(f"input {name!r} is not bound")
            return inputs[name]
        return str(outputs[name])

    return shlex.split(_REF.sub(ref, " ".join(text.split())))


def run_pipeline(
    pipeline_path: Path,
    folder: Path,
    *,
    overrides: dict[str, str],
    step_inputs: dict[str, dict[str, str]],
    registry_root: Path,
    python: str = sys.executable,
) -> PipelineRun:
    """Run every job of the pipeline; StepFailed names the job that failed."""
    pipeline = load_yaml(pipeline_path)
    base = pipeline_path.parent
    parents = parent_inputs(pipeline, base, overrides)
    run = PipelineRun(folder=folder)
    produced: dict[tuple[str, str], Path] = {}
    for job_name, job in (pipeline.get("jobs") or {}).items():
        started = time.monotonic()
        component_path = (base / str(job["component"])).resolve()
        component = load_yaml(component_path)
        inputs: dict[str, str] = {}
        for name, spec in (component.get("inputs") or {}).items():
            if isinstance(spec, dict) and "default" in spec:
                inputs[name] = _text(spec["default"])
        for name, value in (job.get("inputs") or {}).items():
            text = _text(value)
            if m := _PARENT_INPUT.match(text):
                if m.group(1) in parents:
                    inputs[name] = parents[m.group(1)]
            elif m := _JOB_OUTPUT.match(text):
                key = (m.group(1), m.group(2))
                if key not in produced:
                    raise StepFailed(f"job {job_name!r}: {text} names no earlier job output")
                inputs[name] = str(produced[key])
            else:
                inputs[name] = text
        for name, value in step_inputs.get(job_name, {}).items():
            if name in (component.get("inputs") or {}):
                inputs[name] = value
        outputs: dict[str, Path] = {}
        bindings = job.get("outputs") or {}
        for name in component.get("outputs") or {}:
            bound = _PARENT_OUTPUT.match(_text(bindings.get(name, "")))
            path = folder / "outputs" / bound.group(1) if bound else folder / "jobs" / job_name / name
            path.mkdir(parents=True, exist_ok=True)
            outputs[name] = path
            produced[(job_name, name)] = path
            if bound:
                run.outputs[bound.group(1)] = path
        snapshot = _stage(component_path, component, folder / "snapshots" / job_name)
        argv = render_command(str(component["command"]), inputs, outputs)
        if argv[:1] != ["python"] or len(argv) < 2:
            raise StepFailed(
                f"job {job_name!r}: only 'python <script> ...' commands run locally, got {argv[:2]}"
            )
        script = argv[1]
        if _takes_client(snapshot / script):
            command = [python, "-c", CLIENT_LAUNCHER, script, str(registry_root), *argv[2:]]
        else:
            command = [python, *argv[1:]]
        result = subprocess.run(
            command, cwd=snapshot, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False
        )
        (folder / "logs").mkdir(parents=True, exist_ok=True)
        (folder / "logs" / f"{job_name}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip()[-1500:]
            raise StepFailed(f"job {job_name!r} exited with {result.returncode}: {tail}")
        run.jobs.append((job_name, time.monotonic() - started))
    return run


def _stage(component_path: Path, component: dict[str, Any], target: Path) -> Path:
    """The job's snapshot: the component's code folder plus its additional includes."""
    code = (component_path.parent / str(component.get("code", "."))).resolve()
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(code, target, ignore=shutil.ignore_patterns("__pycache__"))
    for include in component.get("additional_includes") or []:
        source = (component_path.parent / str(include)).resolve()
        if source.is_dir():
            shutil.copytree(source, target / source.name, dirs_exist_ok=True)
        else:
            shutil.copy(source, target / source.name)
    return target


def _takes_client(script: Path) -> bool:
    text = script.read_text(encoding="utf-8") if script.is_file() else ""
    return re.search(r"^def main\([^)]*client", text, re.M) is not None
