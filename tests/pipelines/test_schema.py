"""Every pipeline and template validates against Microsoft's Azure Pipelines schema."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.pipelines.pipeline_schema import (
    PIPELINES,
    load_yaml,
    pipeline_schema,
    schema_problems,
    validator,
)
from tests.pipelines.template_expand import expand_pipeline

PIPELINE_FILES = sorted(PIPELINES.glob("*.yml"))
TEMPLATE_FILES = sorted((PIPELINES / "templates").glob("*.yml"))
TEMPLATE_KINDS = ("stages", "jobs", "steps", "variables")

# Values for the parameters that have no default, as the relay or a person passes them.
RUN_PARAMETERS: dict[str, dict[str, str]] = {
    "release.yml": {"model": "diabetes", "version": "7"},
    "train.yml": {"model": "diabetes"},
}


def test_the_expected_files_exist() -> None:
    assert [p.name for p in PIPELINE_FILES] == [
        "batch.yml",
        "ci.yml",
        "infra-deploy.yml",
        "infra-preview.yml",
        "release.yml",
        "train.yml",
    ]
    assert [p.name for p in TEMPLATE_FILES] == [
        "azure-cli.yml",
        "deploy-stack.yml",
        "preview-stack.yml",
        "pulumi.yml",
        "release-git.yml",
        "release-stack.yml",
        "setup-venv.yml",
        "train-model.yml",
        "variables.yml",
    ]


@pytest.mark.parametrize("path", PIPELINE_FILES, ids=lambda p: p.name)
def test_pipeline_file_is_valid(path: Path) -> None:
    assert schema_problems(load_yaml(path)) == []


@pytest.mark.parametrize("path", PIPELINE_FILES, ids=lambda p: p.name)
def test_expanded_pipeline_is_valid(path: Path) -> None:
    expanded, _ = expand_pipeline(path, RUN_PARAMETERS.get(path.name, {}))
    assert schema_problems(expanded) == []


def _template_kind(document: dict[str, Any]) -> str:
    kinds = [kind for kind in TEMPLATE_KINDS if kind in document]
    assert len(kinds) == 1, f"a template defines exactly one of {TEMPLATE_KINDS}, found {kinds}"
    return kinds[0]


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_template_file_is_valid(path: Path) -> None:
    document = load_yaml(path)
    kind = _template_kind(document)
    schema = {"$ref": f"#/definitions/{kind}Template", "definitions": pipeline_schema()["definitions"]}
    errors = list(validator().evolve(schema=schema).iter_errors(document))
    assert [e.message for e in errors] == []


def test_every_template_is_used() -> None:
    used: set[Path] = set()
    for path in PIPELINE_FILES:
        used |= expand_pipeline(path, RUN_PARAMETERS.get(path.name, {}))[1]
    assert sorted(p.name for p in used) == [p.name for p in TEMPLATE_FILES]


BAD_DOCUMENTS = [
    (
        "boolean input given a non-boolean",
        {
            "steps": [
                {
                    "task": "AzureCLI@2",
                    "inputs": {"azureSubscription": "c", "scriptType": "bash", "addSpnToEnvironment": "yes"},
                }
            ]
        },
        "steps/0/inputs/addSpnToEnvironment: 'yes' is not of type 'boolean'",
    ),
    (
        "Pulumi@1 input spelled wrongly",
        {"steps": [{"task": "Pulumi@1", "inputs": {"command": "preview", "createPRComment": "true"}}]},
        "steps/0/inputs: Additional properties are not allowed ('createPRComment' was unexpected)",
    ),
    (
        "Pulumi@1 command it does not have",
        {"steps": [{"task": "Pulumi@1", "inputs": {"command": "apply"}}]},
        "steps/0/inputs/command: 'apply' is not one of "
        "['new', 'stack', 'config', 'up', 'preview', 'destroy', 'refresh']",
    ),
    (
        "PublishCodeCoverageResults@2 without its summary file",
        {"steps": [{"task": "PublishCodeCoverageResults@2", "inputs": {"pathToSources": "."}}]},
        "steps/0/inputs: 'summaryFileLocation' is a required property",
    ),
    (
        "conditional insertion",
        {"steps": [{"${{ if eq(parameters.x, true) }}": [{"script": "echo"}]}]},
        "steps/0: Additional properties are not allowed ('${{ if eq(parameters.x, true) }}' was unexpected)",
    ),
    (
        "deployment environment with an unknown key",
        {"jobs": [{"deployment": "d", "environment": {"name": "mlops-dev", "approvals": "y"}}]},
        "jobs/0/environment: Additional properties are not allowed ('approvals' was unexpected)",
    ),
    (
        "step boolean that is not a boolean",
        {"steps": [{"script": "echo", "enabled": "maybe"}]},
        "steps/0/enabled: 'maybe' does not match '^true$'",
    ),
]


@pytest.mark.parametrize(("what", "document", "message"), BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS])
def test_schema_rejects_and_explains(what: str, document: dict[str, Any], message: str) -> None:
    assert schema_problems(document) == [message]


def test_unknown_task_is_rejected() -> None:
    assert schema_problems({"steps": [{"task": "Pulumi@2", "inputs": {"command": "up"}}]}) != []


def test_schema_is_the_vendored_v1_261_1() -> None:
    readme = (PIPELINES / "schema" / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((PIPELINES / "schema" / "service-schema.json").read_bytes()).hexdigest()
    assert digest in readme
    assert "v1.261.1" in readme
