"""smoke_local's parts: the serving venv stamp, model discovery, pins, server start/stop (loopback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from infra.errors import ConfigError
from model_assets import smoke_local


def test_online_models_include_both_online_samples_and_no_batch_model() -> None:
    models = smoke_local.online_models()
    assert {"diabetes", "fraud_rules"} <= set(models)
    assert "churn_byom" not in models and models == sorted(models)


def test_serve_requirements_are_complete_pins_matching_the_serving_environments() -> None:
    hashed = smoke_local.hashed_pins()
    assert all(hashes for _, _, hashes in hashed.values())  # every pin carries its hash
    pins = {name: version for name, version, _ in hashed.values()}
    assert len(pins) == len(hashed)
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
            "--require-hashes",
            "--no-deps",
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


@pytest.mark.parametrize("model", ["diabetes", "fraud_rules"])
def test_each_model_is_served_from_its_own_environment_spec(model: str) -> None:
    spec = smoke_local.environment_spec(model)
    assert spec == smoke_local.MODELS_DIR / model / "environment" / "serve.yml"  # what deployment.yml names
    text = spec.read_text(encoding="utf-8")
    requirements = smoke_local.model_requirements(model)
    assert requirements == smoke_local.pip_requirements(spec)
    assert all(f"- {r}" in text for r in requirements)
    assert any(r.startswith("azureml-inference-server-http==") for r in requirements)


def test_the_two_samples_get_different_serving_venvs(tmp_path: Path, monkeypatch) -> None:
    made: list[tuple[Path, Path, Path | None]] = []

    def fake(
        venv: Path, requirements: Path, *, constraints: Path | None = None, digest: str | None = None
    ) -> Path:
        made.append((venv, requirements, constraints))
        return venv / "bin" / "python"

    monkeypatch.setattr(smoke_local, "ensure_serve_venv", fake)
    pythons = {m: smoke_local.serve_python(m, tmp_path) for m in ("diabetes", "fraud_rules")}
    assert pythons["diabetes"] != pythons["fraud_rules"]
    assert all(v.name.startswith(".venv-serve-") and c == smoke_local.REQUIREMENTS for v, _, c in made)
    installed = made[1][1].read_text(encoding="utf-8").split()
    assert installed == smoke_local.model_requirements("fraud_rules")
    assert "PyYAML==6.0.3" in installed and not any(r.startswith("scikit-learn") for r in installed)


def test_a_spec_without_the_inference_server_gets_it_added(tmp_path: Path) -> None:
    (tmp_path / "m" / "environment").mkdir(parents=True)
    (tmp_path / "m" / "environment" / "serve.yml").write_text(
        "name: m\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip:\n      - numpy==2.4.6\n"
    )
    assert smoke_local.model_requirements("m", tmp_path) == ["numpy==2.4.6", "azureml-inference-server-http"]


@pytest.mark.parametrize(
    "content", ["name: m\ndependencies:\n  - python=3.11\n", "dependencies: [\n", "name: m\n"]
)
def test_a_spec_without_a_pip_part_names_the_file(tmp_path: Path, content: str) -> None:
    (tmp_path / "m" / "environment").mkdir(parents=True)
    spec = tmp_path / "m" / "environment" / "serve.yml"
    spec.write_text(content)
    with pytest.raises(ConfigError) as caught:
        smoke_local.model_requirements("m", tmp_path)
    assert str(spec) in str(caught.value)


HASH_A, HASH_B = "a" * 64, "b" * 64


def test_a_model_venv_installs_exactly_the_resolved_set_with_hashes(tmp_path: Path, monkeypatch) -> None:
    constraints = tmp_path / "pins.txt"
    constraints.write_text(
        f"# pins\nFlask==3.1.3 \\\n    --hash=sha256:{HASH_A}\nnumpy==2.4.6 \\\n    --hash=sha256:{HASH_B}\n"
        f"scipy==1.17.1 \\\n    --hash=sha256:{HASH_B}\n"
    )
    requirements = tmp_path / "req.txt"
    requirements.write_text("numpy==2.4.6\nflask\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    calls: list[list[str]] = []

    def run(cmd: list[str], **_kw: object) -> None:
        calls.append(cmd)
        if "--dry-run" in cmd:  # pip's resolution report (the Azure-free edge of pip)
            report = {
                "install": [
                    {"metadata": {"name": "numpy", "version": "2.4.6"}},
                    {"metadata": {"name": "flask", "version": "3.1.3"}},
                ]
            }
            Path(cmd[cmd.index("--report") + 1]).write_text(json.dumps(report))

    monkeypatch.setattr(smoke_local.subprocess, "run", run)
    smoke_local.ensure_serve_venv(venv, requirements, constraints=constraints, digest="d")
    resolve, install = calls
    assert resolve[resolve.index("-c") + 1] == str(venv / "constraints.txt")
    assert (venv / "constraints.txt").read_text() == "Flask==3.1.3\nnumpy==2.4.6\nscipy==1.17.1\n"
    assert install[install.index("-r") - 2 : install.index("-r")] == ["--require-hashes", "--no-deps"]
    assert (venv / "hashed-requirements.txt").read_text() == (
        f"Flask==3.1.3 --hash=sha256:{HASH_A}\nnumpy==2.4.6 --hash=sha256:{HASH_B}\n"
    )


def test_a_resolved_package_without_a_hashed_pin_is_refused() -> None:
    pins = {"numpy": ("numpy", "2.4.6", [HASH_B])}
    with pytest.raises(ConfigError, match=r"flask==3.1.3 is resolved for a serving venv but not pinned"):
        smoke_local.hashed_requirements([("flask", "3.1.3")], pins)
    with pytest.raises(ConfigError, match=r"\(pinned: 2.4.6\)"):
        smoke_local.hashed_requirements([("numpy", "2.5.0")], pins)
