"""invoke_batch: which endpoint/slot/input is invoked, waiting, and errors; with a fake MLClient."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from model_assets import invoke_batch

STACK = """\
config:
  mlops-estate:models:
    churn_byom:
      kind: ml
      serving: batch
      deployments:
        blue: {version: "1", traffic: 0}
        green: {version: "2", traffic: 100}
    diabetes:
      kind: ml
      serving: online
      deployments:
        blue: {version: "3", traffic: 100}
"""


class FakeClient:
    def __init__(self, statuses: list[str] | None = None) -> None:
        self.invocations: list[dict] = []
        self.statuses = list(statuses or [])
        self.batch_endpoints = SimpleNamespace(invoke=self._invoke)
        self.jobs = SimpleNamespace(get=lambda name: SimpleNamespace(status=self.statuses.pop(0)))

    def _invoke(self, **kwargs):
        self.invocations.append(kwargs)
        return SimpleNamespace(name="batch-job-7")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.prod.yaml").write_text(STACK)
    return tmp_path


def run(project: Path, *extra: str, model: str = "churn_byom", statuses: list[str] | None = None):
    client = FakeClient(statuses)
    code = invoke_batch.main(
        [
            "--model",
            model,
            "--stack",
            "prod",
            "--subscription",
            "s",
            "--resource-group",
            "r",
            "--workspace",
            "w",
            "--endpoint",
            "churn-byom-prod-ab12",
            "--poll-seconds",
            "1",
            "--project-dir",
            str(project),
            *extra,
        ],
        client_factory=lambda *a: client,
        sleep=lambda s: None,
    )
    return code, client


def test_invokes_the_default_slot_on_the_default_input(project: Path, capsys) -> None:
    code, client = run(project)
    assert code == 0
    [call] = client.invocations
    assert call["endpoint_name"] == "churn-byom-prod-ab12"
    assert call["deployment_name"] == "green"
    assert call["inputs"]["input"].type == "uri_folder"
    assert (
        call["inputs"]["input"].path
        == "azureml://datastores/workspaceblobstore/paths/batch/churn_byom/input/"
    )
    assert "(churn_byom v2)" in capsys.readouterr().out


def test_explicit_slot_and_input(project: Path) -> None:
    code, client = run(project, "--deployment", "blue", "--input", "azureml://datastores/d/paths/x/")
    assert code == 0
    assert client.invocations[0]["deployment_name"] == "blue"
    assert client.invocations[0]["inputs"]["input"].path == "azureml://datastores/d/paths/x/"


@pytest.mark.parametrize(("statuses", "code"), [(["Running", "Completed"], 0), (["Failed"], 1)])
def test_wait(project: Path, statuses: list[str], code: int) -> None:
    assert run(project, "--wait", statuses=statuses)[0] == code


@pytest.mark.parametrize(
    ("extra", "model", "message"),
    [
        (
            (),
            "diabetes",
            "model 'diabetes' is served 'online' in stack 'prod'; only batch models are invoked",
        ),
        (("--deployment", "red"), "churn_byom", "deployment 'red' is not a slot of 'churn_byom'"),
        (("--input", "/local/folder"), "churn_byom", "input '/local/folder' is not a folder URI"),
        ((), "fraud_rules", "model 'fraud_rules' is not in stack 'prod'"),
    ],
)
def test_config_errors_exit_2_and_invoke_nothing(
    project: Path, capsys, extra: tuple, model: str, message: str
) -> None:
    code, client = run(project, *extra, model=model)
    assert code == 2
    assert client.invocations == []
    assert message in capsys.readouterr().err


def test_endpoint_that_cannot_be_derived_asks_for_the_flag(project: Path, capsys) -> None:
    code = invoke_batch.main(
        [
            "--model",
            "churn_byom",
            "--stack",
            "prod",
            "--subscription",
            "s",
            "--resource-group",
            "r",
            "--workspace",
            "w",
            "--project-dir",
            str(project),
        ],
        client_factory=lambda *a: pytest.fail("must not connect"),
    )
    assert code == 2
    assert "pass --endpoint" in capsys.readouterr().err


def test_names_derive_from_the_repository_stacks() -> None:
    from model_assets.submit_training import registry_name

    project = Path(invoke_batch.__file__).resolve().parents[1]
    assert invoke_batch.endpoint_name("prod", "diabetes", project).startswith("diabetes-prod-")
    assert registry_name(project)


def test_smoke_invokes_on_the_smoke_spec_sample(project: Path) -> None:
    import shutil

    repo = Path(invoke_batch.__file__).resolve().parents[1]
    shutil.copytree(repo / "model_assets" / "churn_byom" / "smoke", project / "model_assets/churn_byom/smoke")
    shutil.copytree(
        repo / "model_assets" / "churn_byom" / "sample", project / "model_assets/churn_byom/sample"
    )
    code, client = run(project, "--smoke", "--wait", statuses=["Completed"])
    assert code == 0
    [call] = client.invocations
    assert call["inputs"]["input"].path == str((project / "model_assets/churn_byom/sample").resolve())


def test_the_repository_batch_model_has_a_smoke_spec() -> None:
    repo = Path(invoke_batch.__file__).resolve().parents[1]
    assert invoke_batch.smoke_input("churn_byom", repo).endswith("model_assets/churn_byom/sample")


def test_smoke_without_a_spec_names_the_file(project: Path, capsys) -> None:
    code, client = run(project, "--smoke")
    assert code == 2 and client.invocations == []
    assert "smoke/batch.json" in capsys.readouterr().err
