"""Validation of Azure Pipelines YAML against Microsoft's schema, as Azure DevOps reads it.

* YAML is loaded the way Azure DevOps loads it: every scalar is a string (``true`` is ``"true"``).
  The schema models pipeline-level booleans as the strings ``true``/``false``; task inputs declared
  ``boolean``/``integer``/``number`` accept those strings too (Azure DevOps converts them when the
  task runs), so the type checker below accepts ``"true"``, ``"false"`` and digit strings for them
  and nothing else.
* The vendored schema (``pipelines/schema/service-schema.json``, v1.261.1) lacks two task
  definitions and one input; :func:`pipeline_schema` adds exactly these:

  - ``Pulumi@1`` (marketplace task pulumi/pulumi-az-pipelines-task 1.1.6): inputs
    ``azureSubscription``, ``command`` (new|stack|config|up|preview|destroy|refresh), ``args``,
    ``loginArgs``, ``cwd``, ``stack``, ``versionSpec``, ``createStack``, ``createPrComment``,
    ``useThreadedPrComments``; ``command`` required; no other input;
  - ``PublishCodeCoverageResults@2``: the schema names the task but defines inputs for ``@1`` only;
    ``@2`` takes ``summaryFileLocation`` (required), ``pathToSources``, ``failIfCoverageEmpty``;
  - ``AzureCLI@2`` input ``allowNoSubscriptions`` (boolean, task version 2.265.0: sign in an
    identity that has no subscription access and skip ``az account set``).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
PIPELINES = REPO / "pipelines"
SCHEMA_PATH = PIPELINES / "schema" / "service-schema.json"

_BOOL_TEXT = re.compile(r"^(true|false)$", re.IGNORECASE)
_INT_TEXT = re.compile(r"^-?[0-9]+$")
_NUM_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def load_yaml(path: Path) -> Any:
    """Load a pipeline file with every scalar as a string, as Azure DevOps does."""
    return YAML(typ="base").load(path.read_text(encoding="utf-8"))


def _task_branch(name: str, description: str, inputs: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """Return a schema branch for one task version, shaped like the vendored schema's own."""
    return {
        "properties": {
            "task": {"description": description, "pattern": f"^{re.escape(name)}$"},
            "inputs": {
                "description": f"{description} inputs",
                "properties": inputs,
                "additionalProperties": False,
                "required": required,
            },
        },
        "firstProperty": ["task"],
        "required": ["task", "inputs"] if required else ["task"],
    }


PULUMI_TASK = _task_branch(
    "Pulumi@1",
    "Pulumi CLI task (pulumi/pulumi-az-pipelines-task)",
    {
        "azureSubscription": {"type": "string", "description": "Azure Resource Manager connection"},
        "command": {"enum": ["new", "stack", "config", "up", "preview", "destroy", "refresh"]},
        "args": {"type": "string"},
        "loginArgs": {"type": "string"},
        "cwd": {"type": "string"},
        "stack": {"type": "string"},
        "versionSpec": {"type": "string"},
        "createStack": {"type": "boolean"},
        "createPrComment": {"type": "boolean"},
        "useThreadedPrComments": {"type": "boolean"},
    },
    ["command"],
)

COVERAGE_V2_TASK = _task_branch(
    "PublishCodeCoverageResults@2",
    "Publish code coverage results",
    {
        "summaryFileLocation": {"type": "string"},
        "pathToSources": {"type": "string"},
        "failIfCoverageEmpty": {"type": "boolean"},
    },
    ["summaryFileLocation"],
)


@functools.cache
def pipeline_schema() -> dict[str, Any]:
    """Return the vendored schema plus the task definitions and input documented in this module."""
    schema = copy.deepcopy(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    task = schema["definitions"]["task"]
    task["properties"]["task"]["anyOf"].append({"enum": ["Pulumi@1"]})
    task["anyOf"].extend([PULUMI_TASK, COVERAGE_V2_TASK])
    azure_cli = [
        branch
        for branch in task["anyOf"]
        if branch.get("properties", {}).get("task", {}).get("pattern") == "^AzureCLI@2$"
    ]
    assert azure_cli, "the vendored schema no longer defines AzureCLI@2"
    for branch in azure_cli:  # the schema lists the task twice (two descriptions)
        branch["properties"]["inputs"]["properties"]["allowNoSubscriptions"] = {
            "type": "boolean",
            "description": "Allow no Azure subscriptions",
            "ignoreCase": "key",
        }
    return schema


def _is_boolean(_checker: Any, instance: Any) -> bool:
    return isinstance(instance, bool) or (isinstance(instance, str) and bool(_BOOL_TEXT.match(instance)))


def _is_integer(_checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, str) and bool(_INT_TEXT.match(instance)))


def _is_number(_checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int | float) or (
        isinstance(instance, str) and bool(_NUM_TEXT.match(instance))
    )


AdoValidator = validators.extend(
    Draft7Validator,
    type_checker=Draft7Validator.TYPE_CHECKER.redefine_many(
        {"boolean": _is_boolean, "integer": _is_integer, "number": _is_number}
    ),
)


@functools.cache
def validator() -> Any:
    """Return a Draft-7 validator over :func:`pipeline_schema` with Azure DevOps scalar typing."""
    return AdoValidator(pipeline_schema())


def _discarded(branch_errors: list[ValidationError]) -> bool:
    """Tell whether a branch of ``anyOf``/``oneOf`` is about a different kind of item.

    A branch is another kind when it fails on its discriminator: a key it requires at the item's
    own level (``script`` for a script step), the task name (``task: Bash@3`` against the
    ``AzureCLI@2`` branch) or the item's type (a string form against a mapping).
    """
    for error in branch_errors:
        where = list(error.relative_path)
        if not where and error.validator in ("required", "type"):
            return True
        if where == ["task"] and error.validator in ("pattern", "enum", "anyOf"):
            return True
    return False


def _relevant_leaves(error: ValidationError) -> list[ValidationError]:
    """Return the innermost errors of the branches that are about this kind of item."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    kept = [errors for errors in branches.values() if not _discarded(errors)]
    if not kept:
        # Every branch is about another kind: the item itself is unknown (e.g. `${{ if }}:` keys).
        kept = list(branches.values())
    leaves: list[ValidationError] = []
    for errors in kept:
        for sub in errors:
            leaves.extend(_relevant_leaves(sub))
    return leaves


def explain(error: ValidationError) -> str:
    """Describe the real problem behind a (usually generic ``anyOf``) schema error.

    Branches about other kinds of item are set aside (see :func:`_discarded`); of what remains the
    deepest errors are the real problem and ``best_match`` picks among them, preferring an
    unexpected key when the item matches no kind at all.
    """
    leaves = _relevant_leaves(error) or [error]
    deepest = max(len(leaf.absolute_path) for leaf in leaves)
    candidates = [leaf for leaf in leaves if len(leaf.absolute_path) == deepest]
    unexpected = [leaf for leaf in candidates if leaf.validator == "additionalProperties"]
    chosen = best_match(unexpected or candidates) or error
    where = "/".join(str(part) for part in chosen.absolute_path) or "(document)"
    return f"{where}: {chosen.message}"


def schema_problems(document: Any) -> list[str]:
    """Return one explained message per top-level schema error of ``document`` (empty when valid)."""
    top = best_match(validator().iter_errors(document))
    if top is None:
        return []
    return [explain(error) for error in validator().iter_errors(document)]
