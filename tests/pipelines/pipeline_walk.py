"""Navigation helpers over expanded pipeline documents (jobs, steps, tasks, scripts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def jobs(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every job of a pipeline, in stage order."""
    if "stages" in document:
        return [job for stage in document["stages"] for job in stage.get("jobs", [])]
    return list(document.get("jobs", []))


def job_id(job: dict[str, Any]) -> str:
    """Return the id of a job or deployment job."""
    return job.get("job") or job["deployment"]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the steps of a job, including a runOnce deployment's deploy hook."""
    if "steps" in job:
        return list(job["steps"])
    return list(job["strategy"]["runOnce"]["deploy"]["steps"])


def step_text(step: dict[str, Any]) -> str:
    """Return the shell text a step runs (script step or AzureCLI@2 inline script), else ''."""
    if "script" in step:
        return step["script"]
    return step.get("inputs", {}).get("inlineScript", "")


def tasks(job: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Return the steps of ``job`` that run task ``name`` (e.g. ``AzureCLI@2``)."""
    return [step for step in steps(job) if step.get("task") == name]


def walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Yield ``(path, value)`` for every mapping key value and list item under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key), value
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*path, index), value
            yield from walk(value, (*path, index))


def service_connections(job: dict[str, Any]) -> set[str]:
    """Return the Azure service connections the steps of ``job`` use."""
    return {
        step["inputs"]["azureSubscription"]
        for step in steps(job)
        if "azureSubscription" in step.get("inputs", {})
    }
