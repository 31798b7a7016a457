"""submit_training: the job sent, champion binding, waiting, and errors; with a fake MLClient."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from model_assets import submit_training

pytestmark = pytest.mark.filterwarnings("ignore")  # azure-ai-ml's own marshmallow deprecations

STACK = """\
config:
  mlops-estate:environment: prod
  mlops-estate:models:
    diabetes:
      kind: ml
      serving: online
      deployments:
        blue: {version: "3", traffic: 90}
        green: {version: "4", traffic: 10}
    fraud_rules:
      kind: rule-based
      serving: online
      deployments:
        blue: {version: "2", traffic: 100}
"""


DEV = """\
config:
  mlops-estate:environment: dev
  mlops-estate:workspace:
    registryWriter: true
  mlops-estate:models:
    diabetes:
      kind: ml
      serving: online
      deployments:
        blue: {version: "7", traffic: 100}
    fraud_rules:
      kind: rule-based
      serving: online
      deployments:
        blue: {version: "9", traffic: 100}
"""


class FakeJobs:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = list(statuses)
        self.submitted: list[tuple] = []
        self.polled: list[str] = []

    def create_or_update(self, job, experiment_name=None):
        self.submitted.append((job, experiment_name))
        return SimpleNamespace(name="job-42", studio_url="https://ml.azure.com/runs/job-42")

    def get(self, name: str):
        self.polled.append(name)
        return SimpleNamespace(status=self.statuses.pop(0))


class FakeClient:
    def __init__(self, statuses: list[str] | None = None) -> None:
        self.jobs = FakeJobs(statuses or [])
        self.created_with: tuple | None = None


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.prod.yaml").write_text(STACK)
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV)
    return tmp_path


def run(project: Path, *extra: str, model: str = "diabetes", statuses: list[str] | None = None):
    client = FakeClient(statuses)
    factory_calls: list[tuple] = []

    def factory(subscription: str, resource_group: str, workspace: str) -> FakeClient:
        factory_calls.append((subscription, resource_group, workspace))
        return client

    code = submit_training.main(
        [
            "--model",
            model,
            "--stack",
            "dev",
            "--subscription",
            "sub-1",
            "--resource-group",
            "rg-1",
            "--workspace",
            "ws-1",
            "--registry",
            "mlopsreg",
            "--git-commit",
            "c0ffee",
            "--build-id",
            "20261122.3",
            "--poll-seconds",
            "1",
            "--project-dir",
            str(project),
            *extra,
        ],
        client_factory=factory,
        sleep=lambda s: None,
    )
    return code, client, factory_calls


def test_submits_with_the_champion_bound(project: Path, capsys) -> None:
    code, client, factory_calls = run(project)
    assert code == 0
    assert factory_calls == [("sub-1", "rg-1", "ws-1")]
    [(job, experiment)] = client.jobs.submitted
    assert experiment == "diabetes"
    assert list(job.jobs) == ["prep", "train", "evaluate", "register"]
    evaluate = job.jobs["evaluate"].inputs
    assert evaluate.champion_model._data.path == "azureml://registries/mlopsreg/models/diabetes/versions/3"
    assert evaluate.champion_model._data.type == "custom_model"
    assert evaluate.champion_version._data == "3"
    assert (job.inputs.git_commit._data, job.inputs.build_id._data, job.inputs.registry_name._data) == (
        "c0ffee",
        "20261122.3",
        "mlopsreg",
    )
    assert job.tags["champion_version"] == "3" and job.tags["stack"] == "dev"
    assert job.tags["champion_stack"] == "prod"
    assert client.jobs.polled == []
    assert (
        "submitted diabetes training job job-42 in dev (champion v3 in prod, registry mlopsreg"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (["Queued", "Running", "Completed"], 0),
        (["Running", "Failed"], 1),
        (["Canceled"], 1),
    ],
)
def test_wait_polls_to_a_terminal_state(project: Path, statuses: list[str], code: int) -> None:
    result, client, _ = run(project, "--wait", statuses=statuses)
    assert result == code
    assert client.jobs.polled == ["job-42"] * len(statuses)


def test_wait_gives_up_after_the_timeout() -> None:
    client = FakeClient(["Running"] * 10)
    now = iter(range(0, 1000, 60))
    status = submit_training.wait_for_job(
        client,
        "j",
        poll_seconds=60,
        timeout_seconds=180,
        sleep=lambda s: None,
        clock=lambda: float(next(now)),
    )
    assert status == "Running"
    assert len(client.jobs.polled) == 3


def test_rule_based_pipeline_gets_no_champion_input(project: Path) -> None:
    code, client, _ = run(project, model="fraud_rules")
    assert code == 0
    [(job, _)] = client.jobs.submitted
    assert list(job.jobs) == ["evaluate", "register"]
    assert "champion_model" not in job.jobs["evaluate"].inputs
    assert job.tags["champion_version"] == "none" and job.tags["kind"] == "rule-based"


@pytest.mark.parametrize(
    ("argv_model", "stack_text", "message"),
    [
        ("churn_byom", STACK, "model 'churn_byom' is not in stack 'dev'"),
        ("nosuchmodel", STACK, "model 'nosuchmodel' has no pipeline"),
        ("Diabetes", STACK, "model name 'Diabetes' is not valid"),
        ("diabetes", None, "stack 'prod' does not exist"),
    ],
)
def test_config_errors_exit_2_and_submit_nothing(
    tmp_path: Path, capsys, argv_model: str, stack_text: str | None, message: str
) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(DEV)
    if stack_text:
        (tmp_path / "Pulumi.prod.yaml").write_text(stack_text)
    code, client, factory_calls = run(tmp_path, model=argv_model)
    assert code == 2
    assert factory_calls == [] and client.jobs.submitted == []
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_registry_that_cannot_be_derived_asks_for_the_flag(tmp_path: Path, capsys) -> None:
    (tmp_path / "Pulumi.prod.yaml").write_text(STACK)
    code = submit_training.main(
        [
            "--model",
            "diabetes",
            "--stack",
            "prod",
            "--subscription",
            "s",
            "--resource-group",
            "r",
            "--workspace",
            "w",
            "--project-dir",
            str(tmp_path),
        ],
        client_factory=lambda *a: pytest.fail("must not connect"),
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot derive the registry name from stack 'shared'" in err and "pass --registry" in err


def test_git_commit_prefers_the_build_variable(tmp_path: Path) -> None:
    assert submit_training.git_commit({"BUILD_SOURCEVERSION": "abc123"}) == "abc123"
    assert submit_training.git_commit({}, project_dir=tmp_path) == "unknown"  # not a git checkout


def test_the_champion_is_what_prod_pins_not_the_training_stack(project: Path) -> None:
    # dev pins diabetes 7; the candidate trained in dev must beat prod's champion (3).
    code, client, _ = run(project)
    [(job, _experiment)] = client.jobs.submitted
    assert code == 0 and job.jobs["evaluate"].inputs.champion_version._data == "3"


def test_a_stack_that_only_reads_the_registry_cannot_train(project: Path, capsys) -> None:
    code, client, _ = run(project, "--stack", "prod")
    assert code == 2 and client.jobs.submitted == []
    err = capsys.readouterr().err
    assert "stack 'prod' cannot train" in err and "registryWriter" in err


def test_pipeline_inputs_switch_rule_registration_on(project: Path) -> None:
    code, client, _ = run(project, "--input", "register_rules=true", model="fraud_rules")
    [(job, _experiment)] = client.jobs.submitted
    assert code == 0 and job.inputs.register_rules._data == "true"


def test_an_unknown_pipeline_input_is_refused(project: Path, capsys) -> None:
    code, client, _ = run(project, "--input", "nope=1")
    assert code == 2 and client.jobs.submitted == []
    assert "has no input 'nope'" in capsys.readouterr().err


def test_registration_artifact_carries_the_registered_version(project: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "out" / "registration.json"

    def download(name, download_path, output_name):
        assert (name, output_name) == ("job-42", "registration")
        folder = Path(download_path) / "named-outputs" / "registration"
        folder.mkdir(parents=True)
        (folder / "registration.json").write_text(
            json.dumps({"model": "diabetes", "registered": True, "version": "5", "reason": "better"})
        )

    client = FakeClient(["Completed"])
    client.jobs.download = download  # type: ignore[attr-defined]
    code = submit_training.main(
        [
            "--model",
            "diabetes",
            "--stack",
            "dev",
            "--subscription",
            "s",
            "--resource-group",
            "r",
            "--workspace",
            "w",
            "--registry",
            "reg",
            "--git-commit",
            "c",
            "--build-id",
            "1",
            "--poll-seconds",
            "1",
            "--project-dir",
            str(project),
            "--wait",
            "--registration-out",
            str(out),
        ],
        client_factory=lambda *a: client,
        sleep=lambda s: None,
    )
    assert code == 0
    assert json.loads(out.read_text())["version"] == "5" and json.loads(out.read_text())["job"] == "job-42"
