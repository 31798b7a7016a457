"""Structure of each pipeline after template expansion: triggers, stages, jobs, environments,
pools, service connections and the commands each step runs."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType
from typing import Any

import pytest

from tests.pipelines.pipeline_schema import PIPELINES, load_yaml
from tests.pipelines.pipeline_walk import job_id, jobs, service_connections, step_text, steps, tasks
from tests.pipelines.template_expand import expand_pipeline

STACKS = ("shared", "dev", "qa", "prod")
MAIN_ONLY = "eq(variables['Build.SourceBranch'], 'refs/heads/main')"
POOL_OF_STACK = {
    "shared": "mlops-agents-prod",
    "dev": "mlops-agents-dev",
    "qa": "mlops-agents-qa",
    "prod": "mlops-agents-prod",
}


def expanded(name: str, **params: str) -> dict[str, Any]:
    """Return pipeline ``name`` with templates and parameters expanded."""
    return expand_pipeline(PIPELINES / name, params)[0]


def job_named(document: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the job with id ``name``."""
    (found,) = [job for job in jobs(document) if job_id(job) == name]
    return found


def scripts(job: dict[str, Any]) -> list[str]:
    """Return the shell text of every step of ``job`` that runs one, in order."""
    return [text for text in (step_text(step) for step in steps(job)) if text]


def load_script(name: str) -> ModuleType:
    """Import a pipelines/scripts/*.py file by path."""
    spec = importlib.util.spec_from_file_location(name, PIPELINES / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- ci -------------------------------------------------------------------------------------


def test_ci_runs_on_every_push_and_pull_request() -> None:
    ci = expanded("ci.yml")
    assert ci["trigger"] == {"batch": "false", "branches": {"include": ["*"]}}
    assert ci["pr"] == {"autoCancel": "true", "drafts": "true", "branches": {"include": ["*"]}}
    assert [job_id(job) for job in jobs(ci)] == ["lint", "test", "preview", "heavy", "train"]
    assert ci["pool"] == {"vmImage": "$(HOSTED_IMAGE)"}


def test_ci_needs_no_azure_credentials_before_training() -> None:
    ci = expanded("ci.yml")
    assert all(service_connections(job) == set() for job in jobs(ci) if job_id(job) != "train")
    assert "group" not in str(ci["variables"])


def test_ci_trains_on_main_only_with_the_dev_identity_and_waits() -> None:
    train = job_named(expanded("ci.yml"), "train")
    # Pull-request builds never train: main only and never for a PullRequest build reason.
    assert train["condition"] == (
        f"and(succeeded(), {MAIN_ONLY}, ne(variables['Build.Reason'], 'PullRequest'))"
    )
    assert train["dependsOn"] == ["lint", "test", "preview", "heavy"]
    assert train["pool"] == "mlops-agents-dev"
    assert service_connections(train) == {"mlops-estate-dev-jobs"}
    assert sorted(train["strategy"]["matrix"]) == ["churn_byom", "diabetes", "fraud_rules"]
    submit = next(t for t in scripts(train) if "model_assets.submit_training" in t)
    assert "--wait" in submit and "--champion-stack prod" in submit and "--registration-out" in submit


def _make_prerequisites(target: str) -> list[str]:
    makefile = (PIPELINES.parent / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:([^\n]*)$", makefile, re.MULTILINE)
    assert match, f"Makefile has no target {target}"
    return match.group(1).split()


def test_ci_jobs_and_ci_run_call_the_same_make_targets() -> None:
    """Each ci.yml job runs one ``make ci-<job>``; ``make ci`` (what .ci/run calls) runs them all."""
    ci = expanded("ci.yml")
    checks = [job for job in jobs(ci) if job_id(job) != "train"]  # train needs Azure: main only
    for job in checks:
        assert scripts(job)[-1] == f"make ci-{job_id(job)}", job_id(job)
    assert _make_prerequisites("ci") == [f"ci-{job_id(job)}" for job in checks]
    assert _make_prerequisites("ci-lint") == ["lint", "format-check", "typecheck"]
    run = (PIPELINES.parent / ".ci" / "run").read_text()
    assert [line for line in run.splitlines() if line.startswith("make")] == ["make ci"]


def test_ci_publishes_the_results_the_tests_write() -> None:
    makefile = (PIPELINES.parent / "Makefile").read_text()
    recipe = makefile.split("\nci-test:", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")
    unit, data = [line.strip() for line in recipe.splitlines() if "-m pytest" in line]
    assert unit.startswith(
        '$(PY) -m pytest tests components -m "not slow" $(XDIST) --junitxml=out/junit-unit.xml'
    )
    assert data.startswith(
        '$(PY) -m pytest model_assets -m "not slow" $(XDIST) --junitxml=out/junit-data.xml'
    )
    for command in (unit, data):
        assert "--cov-report=xml:out/coverage.xml" in command
        assert all(f"--cov={package}" in command for package in ("infra", "stacks", "components", "policy"))
    assert "--cov-append" in data and "--cov-append" not in unit
    test = job_named(expanded("ci.yml"), "test")
    (results,) = tasks(test, "PublishTestResults@2")
    assert results["condition"] == "succeededOrFailed()"
    assert results["inputs"]["testResultsFormat"] == "JUnit"
    assert results["inputs"]["testResultsFiles"] == "out/junit-*.xml"
    assert results["inputs"]["failTaskOnFailedTests"] == "true"
    (coverage,) = tasks(test, "PublishCodeCoverageResults@2")
    assert coverage["inputs"]["summaryFileLocation"] == "out/coverage.xml"
    assert coverage["condition"] == "succeededOrFailed()"


def test_ci_previews_every_stack_and_publishes_the_plans() -> None:
    makefile = (PIPELINES.parent / "Makefile").read_text()
    recipe = makefile.split("\nci-preview:", 1)[1].split("\n\n", 1)[0]
    assert "$(ESTATE) preview --all\n" in recipe
    assert "for stack in shared dev qa prod; do" in recipe
    assert '$(ESTATE) preview "$$stack" --json "out/plan-$$stack.json" --quiet || status=$$?' in recipe
    assert recipe.rstrip().endswith('exit "$$status"')
    (artifact,) = tasks(job_named(expanded("ci.yml"), "preview"), "PublishPipelineArtifact@1")
    assert artifact["inputs"]["targetPath"] == "out"
    assert artifact["condition"] == "succeededOrFailed()"


# --- infra-preview ----------------------------------------------------------------------------


def test_infra_preview_runs_on_pull_requests_only() -> None:
    preview = expanded("infra-preview.yml")
    assert preview["trigger"] == "none"
    assert preview["pr"]["branches"] == {"include": ["main"]}
    assert [f"Pulumi.{stack}.yaml" for stack in STACKS] == [
        path for path in preview["pr"]["paths"]["include"] if re.fullmatch(r"Pulumi\.\w+\.yaml", path)
    ]
    assert [job_id(job) for job in jobs(preview)] == ["changes"] + [f"preview_{s}" for s in STACKS]


def test_infra_preview_jobs_run_when_their_stack_is_touched() -> None:
    preview = expanded("infra-preview.yml")
    changes = job_named(preview, "changes")
    (detect,) = [step for step in steps(changes) if step.get("name") == "detect"]
    assert "python3 pipelines/scripts/changed_stacks.py --base" in detect["script"]
    outputs = load_script("changed_stacks").azure_devops_outputs(["dev"])
    for stack, line in zip(STACKS, outputs, strict=True):
        found = re.search(r"variable=(\w+);isOutput=true", line)
        assert found is not None, line
        variable = found.group(1)
        job = job_named(preview, f"preview_{stack}")
        assert job["dependsOn"] == "changes"
        assert job["condition"] == (
            f"and(succeeded(), eq(dependencies.changes.outputs['detect.{variable}'], 'true'))"
        )


@pytest.mark.parametrize("stack", STACKS)
def test_infra_preview_posts_the_diff_per_stack(stack: str) -> None:
    job = job_named(expanded("infra-preview.yml"), f"preview_{stack}")
    assert job["pool"] == POOL_OF_STACK[stack]
    assert service_connections(job) == {f"mlops-estate-{stack}-preview"}
    (pulumi,) = tasks(job, "Pulumi@1")
    assert pulumi["inputs"] == {
        "azureSubscription": f"mlops-estate-{stack}-preview",
        "command": "preview",
        "args": "--diff --suppress-outputs",
        "loginArgs": "$(PULUMI_BACKEND_URL)",
        "stack": stack,
        "cwd": "$(Build.SourcesDirectory)",
        "versionSpec": "$(PULUMI_VERSION)",
        "createStack": "false",
        "createPrComment": "true",
        "useThreadedPrComments": "true",
    }
    assert pulumi["env"]["AZURE_FEDERATED_TOKEN_FILE"] == "$(AZURE_FEDERATED_TOKEN_FILE)"
    (credential,) = tasks(job, "AzureCLI@2")
    assert credential["env"] == {"AZURE_ENV_KEEP_TOKEN": "1"}
    assert steps(job).index(credential) < steps(job).index(pulumi)
    assert f"estate preview {stack} --json out/plan-{stack}.json" in "\n".join(scripts(job))
    (artifact,) = tasks(job, "PublishPipelineArtifact@1")
    assert artifact["inputs"]["targetPath"] == f"$(Build.SourcesDirectory)/out/plan-{stack}.json"


# --- infra-deploy -----------------------------------------------------------------------------


def test_infra_deploy_runs_on_the_default_branch_only() -> None:
    deploy = expanded("infra-deploy.yml")
    assert deploy["trigger"]["branches"] == {"include": ["main"]}
    assert deploy["pr"] == "none"
    assert {"group": "mlops-estate-state"} in deploy["variables"]


def test_infra_deploy_stages_in_order() -> None:
    deploy = expanded("infra-deploy.yml")
    assert [stage["stage"] for stage in deploy["stages"]] == ["shared", "dev", "qa", "prod"]
    assert [stage.get("dependsOn") for stage in deploy["stages"]] == [None, "shared", "dev", "qa"]
    conditions = {stage["stage"]: stage["condition"] for stage in deploy["stages"]}
    assert conditions == {
        "shared": f"and(succeeded(), {MAIN_ONLY})",
        "dev": "and(not(failed()), not(canceled()))",
        "qa": "succeeded()",
        "prod": f"and(succeeded(), {MAIN_ONLY})",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_infra_deploy_job_per_stack(stack: str) -> None:
    deploy = expanded("infra-deploy.yml")
    (stage,) = [s for s in deploy["stages"] if s["stage"] == stack]
    (job,) = stage["jobs"]
    assert job["deployment"] == f"pulumi_up_{stack}"
    assert job["environment"] == f"mlops-{stack}"
    assert job["pool"] == POOL_OF_STACK[stack]
    assert service_connections(job) == {f"mlops-estate-{stack}"}
    texts = scripts(job)
    preview_at = next(i for i, t in enumerate(texts) if f"estate preview {stack} --json" in t)
    up_at = next(i for i, t in enumerate(texts) if f"pulumi up --yes --diff --stack {stack}" in t)
    assert preview_at < up_at
    assert "source pipelines/scripts/pulumi-login.sh" in texts[up_at]
    (up_step,) = [step for step in steps(job) if step_text(step) == texts[up_at]]
    assert up_step["env"]["STACK"] == stack
    assert up_step["env"]["PULUMI_SECRETS_PROVIDER"] == "$(PULUMI_SECRETS_PROVIDER)"


# --- train ----------------------------------------------------------------------------------


def test_train_submits_and_waits_in_dev_and_starts_the_release() -> None:
    train = expanded("train.yml", model="diabetes")
    assert train["trigger"] == "none" and train["pr"] == "none"
    (job,) = jobs(train)
    assert job["pool"] == "mlops-agents-dev"
    assert job["timeoutInMinutes"] == "720"
    assert service_connections(job) == {"mlops-estate-dev-jobs"}
    submit, start = scripts(job)[-2:]
    command = submit[submit.index("python -m model_assets.submit_training") :]
    assert re.sub(r"\s*\\\n\s*", " ", command).strip() == (
        'python -m model_assets.submit_training --model "diabetes" --stack "$STACK" --champion-stack prod '
        '--subscription "$(read_output amlWorkspace.subscriptionId)" '
        '--resource-group "$(read_output amlWorkspace.resourceGroup)" '
        '--workspace "$(read_output amlWorkspace.name)" "${input_args[@]}" --wait '
        '--registration-out "$(Build.ArtifactStagingDirectory)/registration/registration.json"'
    )
    assert start.startswith(".venv/bin/python pipelines/scripts/start_release.py")


def test_setup_venv_builds_the_venv_with_the_pinned_python() -> None:
    (setup,) = [
        step for step in load_yaml(PIPELINES / "templates" / "setup-venv.yml")["steps"] if "script" in step
    ]
    assert setup["script"].splitlines()[2:6] == [
        'py="$(command -v "python$(PYTHON_VERSION)" || command -v python3)"',
        '"$py" --version',
        'if [ ! -x .venv/bin/python ]; then "$py" -m venv .venv; fi',
        "make setup",
    ]


def test_train_parameters() -> None:
    parameters = {p["name"]: p for p in load_yaml(PIPELINES / "train.yml")["parameters"]}
    # The retraining relay (components/retraining) queues runs with model, stack and reason.
    assert list(parameters) == ["model", "stack", "timeoutMinutes", "reason", "inputs"]
    assert "default" not in parameters["model"]
    # Only the stack whose identities write the shared registry trains.
    assert parameters["stack"]["values"] == ["dev"]


# --- release --------------------------------------------------------------------------------


def test_release_is_started_by_the_relay_or_by_hand() -> None:
    release = load_yaml(PIPELINES / "release.yml")
    assert release["trigger"] == "none" and release["pr"] == "none"
    assert [p["name"] for p in release["parameters"]] == ["model", "version", "slot"]
    assert [p.get("default") for p in release["parameters"]] == [None, None, ""]


def test_release_stages_and_prod_gate() -> None:
    release = expanded("release.yml", model="diabetes", version="7")
    assert [stage["stage"] for stage in release["stages"]] == ["qa", "prod"]
    qa, prod = release["stages"]
    assert [job_id(job) for job in qa["jobs"]] == ["release_qa", "plan_prod"]
    assert [job_id(job) for job in prod["jobs"]] == ["release_prod"]
    assert prod["dependsOn"] == "qa"
    assert prod["condition"] == f"and(succeeded(), {MAIN_ONLY})"
    assert job_named(release, "release_qa")["environment"] == "mlops-qa"
    assert job_named(release, "release_prod")["environment"] == "mlops-prod"


@pytest.mark.parametrize("stack", ["qa", "prod"])
def test_release_job_promotes_deploys_smoke_tests_and_rolls_back(stack: str) -> None:
    job = job_named(expanded("release.yml", model="diabetes", version="7", slot="green"), f"release_{stack}")
    assert job["pool"] == POOL_OF_STACK[stack]
    assert job["variables"]["MODEL"] == "diabetes"
    assert job["variables"]["MODEL_VERSION"] == "7"
    assert job["variables"]["SLOT"] == "green"
    writer = f"mlops-estate-{stack}-release"
    assert service_connections(job) == {f"mlops-estate-{stack}", writer}
    all_steps = steps(job)
    # The checkout keeps no credentials: the build service token cannot push.
    assert all_steps[0] == {"checkout": "self", "fetchDepth": "0", "clean": "true"}
    texts = [step_text(step) for step in all_steps]
    # Every step that touches the remote runs as the release writer, and only those do.
    git_steps = [i for i, text in enumerate(texts) if "stack-commit.sh" in text]
    writer_steps = [
        i for i, step in enumerate(all_steps) if step.get("inputs", {}).get("azureSubscription") == writer
    ]
    assert git_steps == writer_steps and len(git_steps) == 3
    for i in writer_steps:
        assert all_steps[i]["task"] == "AzureCLI@2"
        assert all_steps[i]["inputs"]["addSpnToEnvironment"] == "false"
    assert not any("System.AccessToken" in str(step) for i, step in enumerate(all_steps) if i in git_steps)

    def at(fragment: str) -> int:
        (index,) = [i for i, text in enumerate(texts) if fragment in text]
        return index

    sync = at("stack-commit.sh sync")
    record = at("endpoints.$MODEL.version")
    promote = at(f'estate promote {stack} "$MODEL" "$MODEL_VERSION"')
    ups = [i for i, text in enumerate(texts) if f"pulumi up --yes --diff --stack {stack}" in text]
    smoke = at("python -m model_assets.smoke_test")
    rollback = at(f'estate promote {stack} "$MODEL" "$PREVIOUS_VERSION"')
    assert len(ups) == 2 and ups[1] == rollback + 1
    assert sync == 1 and git_steps == [sync, promote, rollback]
    assert sync < record < promote < ups[0] < smoke < rollback < ups[1] == len(all_steps) - 1
    assert f"stack-commit.sh commit {stack}" in texts[promote]
    assert texts[promote].rstrip().endswith('echo "##vso[task.setvariable variable=PROMOTED]true"')
    assert (
        'python -m model_assets.smoke_test --scoring-uri "$scoring_uri" --model "$MODEL" '
        "--auth-header-env SMOKE_AUTH_HEADER"
    ) in texts[smoke]
    assert 'scoring_uri="$(read_output "endpoints.$MODEL.scoringUri")"' in texts[smoke]
    # Kubernetes endpoints take aml_token (or key) credentials, not an Entra token.
    assert 'aml_token) credential="$(az ml online-endpoint get-credentials' in texts[smoke]
    # Batch models are smoke-tested by invoking the deployed slot on their smoke sample.
    assert 'python -m model_assets.invoke_batch --model "$MODEL"' in texts[smoke]
    assert "--smoke --wait" in texts[smoke]
    assert all_steps[rollback]["condition"] == "and(failed(), eq(variables['PROMOTED'], 'true'))"
    assert f"stack-commit.sh commit {stack}" in texts[rollback]
    assert texts[rollback].rstrip().endswith('echo "##vso[task.setvariable variable=ROLLBACK_COMMITTED]true"')
    # The rollback deploys only what was committed.
    assert all_steps[ups[1]]["condition"] == "and(failed(), eq(variables['ROLLBACK_COMMITTED'], 'true'))"
    assert all_steps[ups[1]]["inputs"]["azureSubscription"] == f"mlops-estate-{stack}"
    assert texts[ups[1]].rstrip().endswith("exit 1")
    assert all(
        "condition" not in all_steps[i] or all_steps[i]["condition"] == "succeeded()"
        for i in range(record, rollback)
    )


def test_release_publishes_the_offline_prod_plan_before_the_approval() -> None:
    plan = job_named(expanded("release.yml", model="diabetes", version="7"), "plan_prod")
    assert plan["dependsOn"] == "release_qa"
    assert service_connections(plan) == set()
    assert "estate preview prod --against HEAD --json out/plan-prod-promotion.json" in scripts(plan)[-1]


# --- batch ----------------------------------------------------------------------------------


def test_batch_is_scheduled_per_batch_model() -> None:
    batch = expanded("batch.yml")
    assert batch["trigger"] == "none" and batch["pr"] == "none"
    assert batch["schedules"] == [
        {
            "cron": "0 2 * * *",
            "displayName": "Nightly batch scoring (02:00 UTC)",
            "branches": {"include": ["main"]},
            "always": "true",
            "batch": "true",
        }
    ]
    assert [job_id(job) for job in jobs(batch)] == ["score_churn_byom"]
    (job,) = jobs(batch)
    assert job["pool"] == "mlops-agents-prod"
    assert job["variables"] == {"MODEL": "churn_byom"}
    assert service_connections(job) == {"mlops-estate-prod-jobs"}
    assert (
        'python -m model_assets.invoke_batch \\\n  --model "$MODEL" \\\n  --stack "$STACK"'
        in scripts(job)[-1]
    )


# --- across files -----------------------------------------------------------------------------

ALL = [
    ("ci.yml", {}),
    ("infra-preview.yml", {}),
    ("infra-deploy.yml", {}),
    ("train.yml", {"model": "diabetes"}),
    ("release.yml", {"model": "diabetes", "version": "7"}),
    ("batch.yml", {}),
]


@pytest.mark.parametrize(("name", "params"), ALL, ids=[a[0] for a in ALL])
def test_pulumi_up_runs_only_in_deployment_jobs(name: str, params: dict[str, str]) -> None:
    for job in jobs(expanded(name, **params)):
        runs_up = any("pulumi up" in text for text in scripts(job))
        assert not runs_up or "environment" in job, (
            f"{name}: job {job_id(job)} runs pulumi up outside an environment"
        )


@pytest.mark.parametrize(("name", "params"), ALL, ids=[a[0] for a in ALL])
def test_service_connection_matches_the_pool_and_environment(name: str, params: dict[str, str]) -> None:
    for job in jobs(expanded(name, **params)):
        for connection in service_connections(job):
            stack = re.sub(r"-(preview|jobs|release)$", "", connection.removeprefix("mlops-estate-"))
            assert stack in STACKS, f"{name}: unknown service connection {connection}"
            assert job["pool"] == POOL_OF_STACK[stack]
            if "deployment" in job:
                assert job["environment"] == f"mlops-{stack}"


def test_every_deployment_job_targets_its_environment() -> None:
    found = {}
    for name, params in ALL:
        for job in jobs(expanded(name, **params)):
            if "deployment" in job:
                found[f"{name}:{job['deployment']}"] = job["environment"]
    assert found == {
        "infra-deploy.yml:pulumi_up_shared": "mlops-shared",
        "infra-deploy.yml:pulumi_up_dev": "mlops-dev",
        "infra-deploy.yml:pulumi_up_qa": "mlops-qa",
        "infra-deploy.yml:pulumi_up_prod": "mlops-prod",
        "release.yml:release_qa": "mlops-qa",
        "release.yml:release_prod": "mlops-prod",
    }


def test_relative_paths_in_scripts_exist() -> None:
    referenced = set()
    for name, params in ALL:
        for job in jobs(expanded(name, **params)):
            for text in scripts(job):
                referenced |= set(re.findall(r"pipelines/scripts/[\w.-]+", text))
    assert referenced == {
        "pipelines/scripts/azure-env.sh",
        "pipelines/scripts/pulumi-login.sh",
        "pipelines/scripts/stack-commit.sh",
        "pipelines/scripts/changed_stacks.py",
        "pipelines/scripts/stack_output.py",
        "pipelines/scripts/start_release.py",
        "pipelines/scripts/post_deploy.sh",
    }
    assert all((PIPELINES.parent / path).is_file() for path in referenced)


def test_deploy_starts_data_factory_triggers_and_ships_the_function_package() -> None:
    deploy = expanded("infra-deploy.yml")
    texts = [t for job in jobs(deploy) for t in scripts(job)]
    ups = [i for i, t in enumerate(texts) if "pulumi up --yes --diff --stack" in t]
    posts = [i for i, t in enumerate(texts) if "source pipelines/scripts/post_deploy.sh" in t]
    # Every pulumi up is followed by the post-deploy step.
    assert len(ups) == len(posts) > 0 and all(p == u + 1 for u, p in zip(ups, posts, strict=True))
    script = (PIPELINES / "scripts" / "post_deploy.sh").read_text()
    assert "az datafactory trigger start" in script
    assert "build_function_package.py" in script and "az storage blob upload --auth-mode login" in script


def test_function_package_layout(tmp_path) -> None:
    import zipfile

    builder = load_script("build_function_package")
    app = PIPELINES.parent / "components" / "retraining" / "function_app"
    site = tmp_path / "site"
    (site / "azure" / "functions").mkdir(parents=True)
    (site / "azure" / "functions" / "__init__.py").write_text("")
    out = tmp_path / "retrain.zip"
    names = builder.build(app, site, out)
    assert "function_app.py" in names and "host.json" in names and "retrain/engine.py" in names
    assert ".python_packages/lib/site-packages/azure/functions/__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".funcignore")]
    assert zipfile.ZipFile(out).namelist() == names
    first = out.read_bytes()
    builder.build(app, site, out)
    assert out.read_bytes() == first  # deterministic
