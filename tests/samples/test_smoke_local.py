"""smoke_local's parts: the serving venv stamp, model discovery, pins, server start/stop (loopback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from model_assets import smoke_local


def test_online_models_include_both_online_samples_and_no_batch_model() -> None:
    models = smoke_local.online_models()
    assert {"diabetes", "fraud_rules"} <= set(models)
    assert "churn_byom" not in models and models == sorted(models)


def test_serve_requirements_are_complete_pins_matching_the_serving_environments() -> None:
    lines = [
        line
        for line in smoke_local.REQUIREMENTS.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    pins = dict(line.split("==") for line in lines)
    assert len(pins) == len(lines)  # every line is name==version
    assert pins["azureml-inference-server-http"] == "1.5.1"
    for model in smoke_local.online_models():
        env = YAML(typ="safe").load(
            (smoke_local.MODELS_DIR / model / "environment" / "serve.yml").read_text()
        )
        for requirement in next(d["pip"] for d in env["dependencies"] if isinstance(d, dict)):
            name, version = requirement.split("==")
            assert pins.get(name) == version, f"{model}: {requirement} vs serve-requirements.txt"


def test_venv_is_reused_while_the_stamp_matches(tmp_path: Path, monkeypatch) -> None:
    requirements = tmp_path / "req.txt"
    requirements.write_text("azureml-inference-server-http==1.5.1\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / ".installed").write_text(smoke_local.requirements_hash(requirements) + "\n")
    calls: list[list[str]] = []
    monkeypatch.setattr(smoke_local.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    assert smoke_local.ensure_serve_venv(venv, requirements) == venv / "bin" / "python"
    assert calls == []

    requirements.write_text("azureml-inference-server-http==1.5.1\nPyYAML==6.0.3\n")  # changed: reinstall
    smoke_local.ensure_serve_venv(venv, requirements)
    assert calls == [
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(requirements),
        ]
    ]
    assert (venv / ".installed").read_text().strip() == smoke_local.requirements_hash(requirements)


def test_wait_ready_and_stop_a_real_loopback_server(tmp_path: Path) -> None:
    port = smoke_local.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        smoke_local.wait_ready(process, port, timeout=30)
        assert process.poll() is None
    finally:
        smoke_local.stop(process)
    assert process.returncode is not None


def test_wait_ready_reports_a_server_that_died() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"], start_new_session=True)
    process.wait()
    with pytest.raises(RuntimeError, match="exited with status 3 before it was ready"):
        smoke_local.wait_ready(process, smoke_local.free_port(), timeout=5)


def test_unknown_model_is_a_usage_error(capsys) -> None:
    assert smoke_local.main(["--model", "churn_byom"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --model: ['churn_byom'] cannot be served locally; choose from [")
    assert "'diabetes'" in err


def test_launcher_binds_the_server_to_loopback() -> None:
    assert "amlserver.DEFAULT_HOST = '127.0.0.1'" in smoke_local.LAUNCHER
    assert smoke_local.LAUNCHER.rstrip().endswith("amlserver.run()")
