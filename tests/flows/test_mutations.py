"""Each broken link the estate once had, put back on purpose in a copy of the project:
`estate flows` must catch it (the link ✗, exit 3), and nothing else may break.

File-level breaks are traced against this checkout's offline plans (the break does not change
any plan); breaks that change a plan preview the changed stack in the copy (slow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.engine import preview
from infra.flows import trace
from infra.flows.evidence import BROKEN
from tests.flows.conftest import replace_in, repository_plan


def broken_links(report) -> set[tuple[str, str | None, str]]:
    return {(f.id, f.model, link.id) for f in report.flows for link in f.links if link.status == BROKEN}


FILE_BREAKS = [
    pytest.param(
        "components/retraining/function_app/function_app.py",
        "queue_name=c.QUEUE_NEW_DATA, connection=c.QUEUE_CONNECTION)",
        'queue_name="retrain-newdata", connection=c.QUEUE_CONNECTION)',
        {("F5", "diabetes", "new-data-handler")},
        id="new-data-function-reads-a-queue-nothing-delivers-to",
    ),
    pytest.param(
        "components/retraining/function_app/retrain/contract.py",
        'QUEUE_DRIFT_EVENT = "retrain-drift-event"',
        'QUEUE_DRIFT_EVENT = "retrain-drift"',
        {("F5", "diabetes", "drift-queue-name"), ("F5", "fraud_rules", "drift-queue-name")},
        id="drift-function-reads-another-queue-than-the-subscription-fills",
    ),
    pytest.param(
        "model_assets/diabetes/azureml/pipeline.yml",
        "default_compute: azureml:cpu-training",
        "default_compute: azureml:cpu-cluster",
        {("F2", "diabetes", "cluster-contract")},
        id="training-pipeline-targets-a-cluster-that-does-not-exist",
    ),
    pytest.param(
        "pipelines/templates/train-model.yml",
        "--champion-stack prod",
        '--champion-stack "$STACK"',
        {("F2", "diabetes", "champion-from-prod")},
        id="champion-read-from-the-training-stack",
    ),
    pytest.param(
        "pipelines/train.yml",
        "    values:\n      - dev\n  - name: timeoutMinutes",
        "    values:\n      - dev\n      - qa\n      - prod\n  - name: timeoutMinutes",
        {("F2", "churn_byom", "trains-in-writer-stack"), ("F2", "diabetes", "trains-in-writer-stack")},
        id="training-allowed-in-a-stack-that-only-reads-the-registry",
    ),
    pytest.param(
        "pipelines/ci.yml",
        "condition: and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'), "
        "ne(variables['Build.Reason'], 'PullRequest'))",
        "condition: succeeded()",
        {("F1", None, "train-on-main-only")},
        id="ci-trains-for-pull-requests",
    ),
    pytest.param(
        "pipelines/templates/train-model.yml",
        ".venv/bin/python pipelines/scripts/start_release.py",
        "echo no release",
        {
            ("F3", "diabetes", "release-started-by-registering-run"),
            ("F3", "fraud_rules", "release-started-by-registering-run"),
        },
        id="registration-never-starts-a-release",
    ),
    pytest.param(
        "pipelines/templates/release-stack.yml",
        'aml_token) credential="$(az ml online-endpoint get-credentials',
        'aml_token) credential="$(az account get-access-token',
        {("F3", "diabetes", "smoke-auth"), ("F3", "fraud_rules", "smoke-auth")},
        id="smoke-test-sends-an-entra-token-to-an-aml-token-endpoint",
    ),
    pytest.param(
        "model_assets/diabetes/src/register.py",
        "replace('_', '-')}-training\"",
        "replace('_', '-')}-train-data\"",
        {("F4", "diabetes", "reference-data-created")},
        id="monitor-reference-data-that-nothing-creates",
    ),
    pytest.param(
        "pipelines/templates/deploy-stack.yml",
        "script: source pipelines/scripts/post_deploy.sh",
        "script: echo no package",
        {("F5", "diabetes", "function-package-step"), ("F5", "fraud_rules", "function-package-step")},
        id="no-pipeline-deploys-the-retraining-function-package",
    ),
    pytest.param(
        "model_assets/churn_byom/src/score.py",
        'if __name__ == "__main__":\n    raise SystemExit(main())',
        "",
        {("F6", "churn_byom", "entry-point-scores")},
        id="databricks-score-py-has-no-entry-point",
    ),
    pytest.param(
        "pipelines/scripts/post_deploy.sh",
        'az datafactory trigger start --factory-name "$factory"',
        'echo "$factory"',
        {("F6", "churn_byom", "trigger-start-command")},
        id="data-factory-triggers-stay-stopped",
    ),
    pytest.param(
        "model_assets/fraud_rules/azureml/pipeline.yml",
        "  register_rules: false\n",
        "",
        {("F7", "fraud_rules", "registration-switch")},
        id="rule-registration-cannot-be-switched-on",
    ),
]


@pytest.mark.parametrize(("relative", "old", "new", "expected"), FILE_BREAKS)
def test_estate_flows_catches_a_broken_file_link(project_copy: Path, relative, old, new, expected) -> None:
    replace_in(project_copy, relative, old, new)
    report = trace("prod", project_dir=project_copy, plan_of=repository_plan)
    assert broken_links(report) == expected


def test_estate_flows_catches_a_batch_model_without_a_smoke_spec(project_copy: Path) -> None:
    (project_copy / "model_assets" / "churn_byom" / "smoke" / "batch.json").unlink()
    report = trace("prod", project_dir=project_copy, plan_of=repository_plan)
    assert broken_links(report) == {("F3", "churn_byom", "smoke-test")}


def _mixed(project: Path, changed: set[str]):
    """Plans of ``changed`` stacks previewed in the copy, the others from this checkout."""

    def plan_of(name: str) -> dict[str, Any]:
        if name in changed:
            return preview(name, project_dir=project, policy=False)
        return repository_plan(name)

    return plan_of


STACK_FILE_BREAKS = [
    pytest.param(
        "Pulumi.dev.yaml",
        "azureml://datastores/workspaceblobstore/paths/byom/churn/2026-11/",
        "azureml://datastores/byom/paths/churn/2026-11/",
        {"dev"},
        {("F2", "churn_byom", "byom-artifact-datastore")},
        id="byom-artifact-on-a-datastore-nothing-creates",
    ),
    pytest.param(
        "Pulumi.prod.yaml",
        "      fraud_rules:\n        drift: true\n",
        "",
        {"prod"},
        {("F7", "fraud_rules", "threshold-breach-reruns-scoring")},
        id="rule-threshold-breach-only-sends-an-email",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("relative", "old", "new", "changed", "expected"), STACK_FILE_BREAKS)
def test_estate_flows_catches_a_broken_stack_file_link(
    project_copy: Path, relative, old, new, changed, expected
) -> None:
    # Only a stack file changes: the program is this checkout's, so the other plans are reused.
    replace_in(project_copy, relative, old, new)
    report = trace("prod", project_dir=project_copy, plan_of=_mixed(project_copy, changed))
    assert broken_links(report) == expected


CODE_BREAKS = [
    pytest.param(
        "components/model_monitor.py",
        'eventgrid.IsNotNullAdvancedFilterArgs(\n                            operator_type="IsNotNull", key=f"data.RunTags.{BREACH_TAG}"\n                        ),\n',
        "",
        {("F5", "diabetes", "drift"), ("F5", "fraud_rules", "drift")},
        id="drift-retrains-on-any-monitor-run-status-change",
    ),
    pytest.param(
        "stacks/operations.py",
        '"environment": TRAINING_STACK,',
        '"environment": settings.environment,',
        {("F5", "diabetes", "trains-in-training-stack"), ("F5", "fraud_rules", "trains-in-training-stack")},
        id="retraining-runs-land-in-prod",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("relative", "old", "new", "expected"), CODE_BREAKS)
def test_estate_flows_cli_catches_a_broken_program_link(
    project_copy: Path, relative, old, new, expected
) -> None:
    """The program itself changes: `estate flows prod` runs in a fresh process in the copy."""
    import json
    import subprocess
    import sys

    replace_in(project_copy, relative, old, new)
    out = project_copy / "out" / "flows.json"
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli", "flows", "prod", "--json", str(out)],
        cwd=project_copy,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 3, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    broken = {
        (f["id"], f["model"], link["id"])
        for f in data["flows"]
        for link in f["links"]
        if link["status"] == BROKEN
    }
    assert broken == expected


@pytest.mark.slow
def test_estate_flows_catches_qa_without_batch(project_copy: Path) -> None:
    replace_in(
        project_copy,
        "Pulumi.qa.yaml",
        "  mlops-estate:databricks:\n    enabled: true\n    repositoryUrl: https://dev.azure.com/contoso/mlops-estate/_git/mlops-estate\n"
        "    # Batch jobs run this pinned commit (the release commit), never the head of main.\n"
        "    repositoryCommit: b584d6ddd9f16e0532f0036a7538b92b7187cd26\n"
        "  mlops-estate:dataFactory:\n    enabled: true\n",
        "",
    )
    report = trace("prod", project_dir=project_copy, plan_of=_mixed(project_copy, {"qa"}))
    assert broken_links(report) == {("F6", "churn_byom", "qa-and-prod-have-batch")}


@pytest.mark.slow
def test_the_cli_exits_3_on_a_broken_link(project_copy: Path, monkeypatch, capsys) -> None:
    from infra.cli import main

    replace_in(
        project_copy,
        "model_assets/diabetes/azureml/pipeline.yml",
        "azureml:cpu-training",
        "azureml:cpu-cluster",
    )
    monkeypatch.chdir(project_copy)
    assert main(["flows", "dev", "--json", str(project_copy / "out" / "flows.json")]) == 3
    out = capsys.readouterr().out
    assert "✗ cluster-contract: the pipeline targets the training workspace's cluster" in out
    assert "broken: model_assets/diabetes/azureml/pipeline.yml" in out
    assert "4 flow traces, 37 links: 36 ✓, 1 ✗, 0 undecidable offline" in out
