"""The rehearsal's parts: the local pipeline runner, the registry stand-in, the Azure edges,
the drift stand-in, the release start and the step report."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from infra.rehearse import drift, edges, loop
from infra.rehearse.function_host import APP_ROOT, FunctionHost
from infra.rehearse.pipeline import StepFailed, parent_inputs, render_command
from infra.rehearse.registry import LocalRegistry
from infra.rehearse.report import FAIL, PASS, SKIP, Report, Skip

PROJECT = Path(__file__).resolve().parents[2]


def test_commands_are_rendered_as_azure_ml_does() -> None:
    command = (
        "python evaluate.py --data ${{inputs.data}} $[[--champion ${{inputs.champion}}]] "
        "--thresholds '${{inputs.thresholds}}' --report ${{outputs.report}}"
    )
    out = {"report": Path("/r")}
    bound = render_command(command, {"data": "/d", "champion": "/c", "thresholds": '{"r2": 0.3}'}, out)
    assert bound == [
        "python",
        "evaluate.py",
        "--data",
        "/d",
        "--champion",
        "/c",
        "--thresholds",
        '{"r2": 0.3}',
        "--report",
        "/r",
    ]
    unbound = render_command(command, {"data": "/d", "thresholds": "{}"}, out)
    assert unbound == ["python", "evaluate.py", "--data", "/d", "--thresholds", "{}", "--report", "/r"]
    with pytest.raises(StepFailed, match="input 'data' is not bound"):
        render_command(command, {"thresholds": "{}"}, out)


def test_pipeline_inputs_resolve_paths_and_take_overrides(tmp_path: Path) -> None:
    pipeline = {"inputs": {"rules": {"type": "uri_folder", "path": "../rules"}, "flag": False, "name": "x"}}
    inputs = parent_inputs(pipeline, tmp_path / "azureml", {"name": "y"})
    assert inputs == {"rules": str((tmp_path / "rules").resolve()), "flag": "false", "name": "y"}


def test_registry_stand_in_assigns_the_next_version(tmp_path: Path) -> None:
    registry = LocalRegistry(tmp_path / "reg")
    source = tmp_path / "model"
    source.mkdir()
    (source / "model.joblib").write_bytes(b"m")
    for version in ("1", "2", "10"):
        registry.seed("m", version, source if version == "2" else None, "catalog")
    assert registry.versions("m") == ["1", "2", "10"]

    class Entity:  # the fields of azure.ai.ml's Model the stand-in reads
        name, path, tags, description = "m", str(source), {"git_commit": "abc"}, "better"

    registered = registry.models.create_or_update(Entity())
    assert registered.version == "11"
    assert (registry.artifact("m", "11") / "model.joblib").read_bytes() == b"m"
    assert registry.meta("m", "11")["tags"] == {"git_commit": "abc"}
    with pytest.raises(KeyError, match="m version 12 is not in the registry stand-in"):
        registry.artifact("m", "12")
    with pytest.raises(FileExistsError):
        registry.seed("m", "2", None, "again")


def test_blob_edge_keeps_the_real_state_store_honest() -> None:
    """The app's BlobStateStore over azure-storage-blob over the fake Blob service: ETags hold."""
    host = FunctionHost(loop.retrain_app_settings(loop.prod_settings()), PROJECT / "pipelines" / "train.yml")
    from retrain.errors import StateConflict
    from retrain.record import ModelState

    store = host.module.RUNTIME.engine.store
    assert store.load("diabetes") == (None, None)
    etag = store.save("diabetes", ModelState(model="diabetes"), None)
    state, loaded_etag = store.load("diabetes")
    assert state == ModelState(model="diabetes") and loaded_etag == etag
    with pytest.raises(StateConflict):
        store.save("diabetes", ModelState(model="diabetes"), None)  # If-None-Match: * on an existing blob
    with pytest.raises(StateConflict):
        store.save("diabetes", ModelState(model="diabetes"), '"0x8DD000000000999"')  # stale If-Match
    assert host.blob.calls[0] == "GET /retrain-state/models/diabetes.json"


def test_the_function_queues_one_run_then_honours_the_cooldown() -> None:
    host = FunctionHost(loop.retrain_app_settings(loop.prod_settings()), PROJECT / "pipelines" / "train.yml")
    from retrain import contract

    assert host.queue_function(contract.QUEUE_DRIFT_EVENT) == (
        "retrain_drift_event",
        "retrain-drift-event-poison",
    )
    assert host.queue_function(contract.QUEUE_NEW_DATA) == ("retrain_new_data", "retrain-new-data-poison")
    first = host.deliver_to_queue(contract.QUEUE_DRIFT_EVENT, edges.monitor_breach_event("diabetes", "drift"))
    assert first.error is None
    assert [run["templateParameters"]["model"] for run in host.devops.runs] == ["diabetes"]
    assert host.devops.runs[0]["templateParameters"]["stack"] == "dev"  # retraining runs where training runs
    event = edges.blob_created_event("stland", "landing-diabetes", "batch.csv", 10)
    assert host.deliver_to_queue(contract.QUEUE_NEW_DATA, event).error is None
    again = host.deliver_to_queue(contract.QUEUE_DRIFT_EVENT, edges.monitor_breach_event("diabetes", "drift"))
    assert again.error is None and len(host.devops.runs) == 1  # inside the cooldown
    assert contract.AZURE_DEVOPS_SCOPE in host.credential.scopes
    assert host.poisoned == {}


def test_a_message_that_is_no_event_lands_in_the_poison_queue() -> None:
    host = FunctionHost(loop.retrain_app_settings(loop.prod_settings()), PROJECT / "pipelines" / "train.yml")
    from retrain import contract

    answer = host.deliver_to_queue(contract.QUEUE_NEW_DATA, {"hello": "queue"})
    assert answer.error == "rejected: moved to retrain-new-data-poison"
    # The message is kept as Event Grid wrote it (base64 of the JSON), for inspection and replay.
    [kept] = host.poisoned["retrain-new-data-poison"]
    assert base64.b64decode(kept) == b'{"hello": "queue"}' and list(host.poisoned) == [
        "retrain-new-data-poison"
    ]
    assert host.devops.runs == []


def test_devops_edge_refuses_parameters_the_train_pipeline_does_not_declare(tmp_path: Path) -> None:
    pipeline = tmp_path / "train.yml"
    pipeline.write_text("parameters:\n  - name: model\n    type: string\n")
    answer = edges.DevOps(pipeline).post(
        "https://dev.azure.com/o/p/_apis/pipelines/1/runs?api-version=7.1",
        {"Authorization": "Bearer t"},
        json.dumps({"templateParameters": {"model": "m", "stack": "prod"}}).encode(),
        5,
    )
    assert answer.status == 400 and b"Unexpected parameter(s) ['stack']" in answer.body


def test_drift_stand_in_separates_noise_from_a_shift() -> None:
    reference: dict[str, Sequence[object]] = {"x": [float(i % 50) for i in range(400)], "c": ["a", "b"] * 200}
    same_x = [float((i * 7) % 50) for i in range(200)]
    same: dict[str, Sequence[object]] = {"x": same_x, "c": ["b", "a"] * 100}
    shifted: dict[str, Sequence[object]] = {"x": [v + 10 for v in same_x], "c": ["z"] * 200}
    assert not any(d.breached for d in drift.drift(reference, same))
    moved = {d.feature: d for d in drift.drift(reference, shifted)}
    assert moved["x"].metric == "normalized_wasserstein_distance" and moved["x"].value == pytest.approx(
        0.2041, abs=1e-3
    )
    assert moved["c"].metric == "jensen_shannon_distance" and moved["c"].value == 1.0


def test_release_start_carries_model_and_version(tmp_path: Path) -> None:
    start = loop.release_start("diabetes", "5", {"git_commit": "abc"}, "mlreg")
    assert (start["model"], start["version"]) == ("diabetes", "5")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "release.yml").write_text("parameters:\n  - name: model\n    type: string\n")
    with pytest.raises(RuntimeError, match=r"declares no parameter\(s\) \['version'\]"):
        loop.release_start("diabetes", "5", {}, "mlreg", tmp_path)


def test_a_failed_step_names_step_and_model_and_skips_the_rest(capsys) -> None:
    report = Report()
    with report.step("m", "first"):
        pass
    with pytest.raises(Skip):
        with report.step("m", "second"):
            raise ValueError("boom")
    with pytest.raises(Skip):
        with report.step("m", "third"):
            raise AssertionError("never runs")
    assert [r.status for r in report.results] == [PASS, FAIL, SKIP]
    assert report.results[1].detail == "step 'second' of model 'm' failed: ValueError: boom"
    assert report.summary(1.0) == "1 passed, 1 failed, 1 skipped in 1.0 s (failed: m: second)"
    assert "FAIL m" in capsys.readouterr().out


def test_retraining_settings_are_valid_for_the_app() -> None:
    import sys

    if str(APP_ROOT) not in sys.path:
        sys.path.insert(0, str(APP_ROOT))
    from retrain.settings import load_settings

    parsed = load_settings(loop.retrain_app_settings(loop.prod_settings()))
    assert sorted(parsed.models) == ["diabetes", "fraud_rules"]
    new_data = parsed.models["diabetes"].new_data
    assert new_data is not None and new_data.container == "landing-diabetes"


@pytest.mark.slow
def test_retraining_settings_match_the_prod_plan() -> None:
    """Cross-file contract: what the rehearsal gives the app is what prod's plan deploys."""
    from infra import engine

    plan = engine.preview("prod", project_dir=PROJECT, policy=False)
    settings = [
        {s["name"]: s["value"] for s in r["inputs"]["siteConfig"]["appSettings"]}
        for r in plan["resources"]
        if r.get("type") == "azure-native:web:WebApp"
        and any(
            s.get("name") == "RETRAIN_MODELS"
            for s in r["inputs"].get("siteConfig", {}).get("appSettings", [])
        )
    ]
    assert len(settings) == 1
    ours = loop.retrain_app_settings(loop.prod_settings())
    assert json.loads(ours["RETRAIN_MODELS"]) == json.loads(settings[0]["RETRAIN_MODELS"])
    assert ours["ENVIRONMENT"] == settings[0]["ENVIRONMENT"]


def test_cli_refuses_an_unknown_model(capsys) -> None:
    from infra.rehearse.cli import main

    assert main(["--model", "nope"]) == 2
    assert "--model: ['nope'] are not sample models" in capsys.readouterr().err


def test_cli_rehearses_the_batch_sample_and_writes_json(tmp_path: Path, capsys) -> None:
    from infra.rehearse.cli import main

    assert (
        main(
            ["--model", "churn_byom", "--workdir", str(tmp_path / "work"), "--json", str(tmp_path / "r.json")]
        )
        == 0
    )
    data = json.loads((tmp_path / "r.json").read_text())
    statuses = {step["step"]: step["status"] for step in data["steps"]}
    assert statuses["pipeline run 1"] == "PASS" and statuses["deploy + smoke test"] == "PASS"
    assert statuses["drift (stand-in for the monitor)"] == "PASS"
    assert statuses["drift breach -> queue -> Function"] == "SKIP"  # prod retrains only diabetes
    assert data["summary"].startswith("6 passed, 0 failed, 3 skipped")
    assert LocalRegistry(tmp_path / "work" / "registry").versions("churn_byom") == ["1", "2"]
    assert "[rehearse] 6 passed, 0 failed, 3 skipped" in capsys.readouterr().out
