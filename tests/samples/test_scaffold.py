"""The scaffolder: rendered folders, stack stubs (round-trip), all-or-nothing errors, the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from ruamel.yaml import YAML

from infra import scaffold
from infra.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore")  # azure-ai-ml's own marshmallow deprecations

COMBOS = [("ml", "online"), ("ml", "batch"), ("rule-based", "online"), ("rule-based", "batch")]
STACK = """\
# {stack}: hand-written comment that must survive
config:
  mlops-estate:environment: {stack}
  mlops-estate:location: westeurope  # trailing comment
  mlops-estate:models:
    diabetes:
      kind: ml
      serving: online
      deployments:
        blue: {{version: "3", traffic: 100}}
  mlops-estate:tags:
    owner: team@contoso.com
"""


def make_project(root: Path) -> Path:
    for stack in scaffold.STACKS:
        (root / f"Pulumi.{stack}.yaml").write_text(STACK.format(stack=stack))
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """One project with a model of every kind × serving."""
    root = make_project(tmp_path_factory.mktemp("project"))
    for kind, serving in COMBOS:
        scaffold.create_model(f"new_{kind.replace('-', '_')}_{serving}", kind, serving, root)
    return root


@pytest.mark.parametrize(("kind", "serving"), COMBOS)
def test_renders_every_template_file_without_placeholders(rendered: Path, kind: str, serving: str) -> None:
    model_dir = rendered / "model_assets" / f"new_{kind.replace('-', '_')}_{serving}"
    files = sorted(p.relative_to(model_dir).as_posix() for p in model_dir.rglob("*") if p.is_file())
    assert files == sorted(scaffold.template_files(kind, serving))
    for name in files:
        text = (model_dir / name).read_text()
        assert "@@" not in text, name
    expected = {
        "README.md",
        "build_artifact.py",
        "src/score.py",
        "azureml/pipeline.yml",
        "azureml/endpoint.yml",
        "environment/conda.yml",
        "environment/serve.yml",
        "tests/conftest.py",
    }
    expected.add("azureml/deployment.yml" if serving == "online" else "azureml/batch-deployment.yml")
    expected.add("smoke/smoke.json" if serving == "online" else "sample/input.csv")
    expected.add("src/train.py" if kind == "ml" else "rules/rules.yaml")
    assert expected <= set(files)
    assert f"--kind {kind} --serving {serving}" in (model_dir / "README.md").read_text()


@pytest.mark.parametrize(("kind", "serving"), COMBOS)
def test_rendered_specs_load_with_azure_ai_ml(rendered: Path, kind: str, serving: str) -> None:
    from azure.ai.ml import (
        load_batch_deployment,
        load_batch_endpoint,
        load_job,
        load_online_deployment,
        load_online_endpoint,
    )

    name = f"new_{kind.replace('-', '_')}_{serving}"
    azureml = rendered / "model_assets" / name / "azureml"
    job = load_job(azureml / "pipeline.yml")
    assert job._validate().passed
    assert job.inputs.model_name._data == name
    if serving == "online":
        endpoint, deployment = (
            load_online_endpoint(azureml / "endpoint.yml"),
            load_online_deployment(azureml / "deployment.yml"),
        )
    else:
        endpoint, deployment = (
            load_batch_endpoint(azureml / "endpoint.yml"),
            load_batch_deployment(azureml / "batch-deployment.yml"),
        )
    assert endpoint.name == name.replace("_", "-") == deployment.endpoint_name
    assert deployment.model is None


def test_stack_files_get_a_stub_and_keep_everything_else(rendered: Path) -> None:
    for stack in scaffold.STACKS:
        text = (rendered / f"Pulumi.{stack}.yaml").read_text()
        original = STACK.format(stack=stack)
        head, tail = original.split("  mlops-estate:tags:\n")
        assert text.startswith(head)  # comments, order and quoting untouched
        assert text.endswith("  mlops-estate:tags:\n" + tail)
        models = YAML(typ="safe").load(text)["config"]["mlops-estate:models"]
        assert list(models) == [
            "diabetes",
            "new_ml_online",
            "new_ml_batch",
            "new_rule_based_online",
            "new_rule_based_batch",
        ]
        assert models["new_ml_online"] == {
            "kind": "ml",
            "serving": "online",
            "target": "managed",
            "deployments": {"blue": {"version": "1", "traffic": 100}},
        }
        assert models["new_rule_based_batch"] == {
            "kind": "rule-based",
            "serving": "batch",
            "deployments": {"blue": {"version": "1", "traffic": 100}},
        }
        assert (
            "    new_ml_batch:\n      kind: ml\n      serving: batch\n      deployments:\n"
            '        blue: {version: "1", traffic: 100}\n' in text
        )
        assert "# new_ml_batch: scaffolded by `estate new-model`" in text


@pytest.mark.slow
def test_rendered_models_own_tests_pass(rendered: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(rendered / "model_assets"),
            "-q",
            "--import-mode=importlib",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:warnings",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=rendered,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


@pytest.mark.parametrize(
    ("args", "key", "message"),
    [
        (("Bad-Name", "ml", "online"), "NAME", "model name 'Bad-Name' is invalid"),
        (("x", "ml", "online"), "NAME", "model name 'x' is invalid"),
        (("fine_name", "deep", "online"), "--kind", "kind 'deep' is not allowed; use one of ml, rule-based"),
        (
            ("fine_name", "ml", "stream"),
            "--serving",
            "serving 'stream' is not allowed; use one of online, batch",
        ),
    ],
)
def test_bad_options_write_nothing(tmp_path: Path, args: tuple, key: str, message: str) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError) as info:
        scaffold.create_model(*args, tmp_path)
    assert info.value.key == key and message in str(info.value)
    assert snapshot(tmp_path) == before


def test_existing_folder_is_refused(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / "model_assets" / "taken").mkdir(parents=True)
    (tmp_path / "model_assets" / "taken" / "keep.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match="already exists"):
        scaffold.create_model("taken", "ml", "online", tmp_path)
    assert snapshot(tmp_path) == before


def test_model_already_in_one_stack_writes_nothing(tmp_path: Path) -> None:
    make_project(tmp_path)
    with pytest.raises(ConfigError) as info:
        scaffold.create_model("diabetes", "ml", "online", tmp_path)
    assert info.value.key == "config.mlops-estate:models.diabetes"
    assert not (tmp_path / "model_assets").exists()


def test_missing_stack_file_writes_nothing(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / "Pulumi.prod.yaml").unlink()
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match="stack file not found") as info:
        scaffold.create_model("fresh", "rule-based", "batch", tmp_path)
    assert info.value.file == str(tmp_path / "Pulumi.prod.yaml")
    assert snapshot(tmp_path) == before


def test_failed_write_rolls_everything_back(tmp_path: Path, monkeypatch) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    real = scaffold._write_atomically
    calls: list[Path] = []

    def flaky(path: Path, text: str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, text)

    monkeypatch.setattr(scaffold, "_write_atomically", flaky)
    with pytest.raises(OSError, match="disk full"):
        scaffold.create_model("fresh", "ml", "batch", tmp_path)
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("model_assets")} == before
    assert list((tmp_path / "model_assets").iterdir()) == []


def test_stack_without_models_section_gets_one(tmp_path: Path) -> None:
    for stack in scaffold.STACKS:
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(f"config:\n  mlops-estate:environment: {stack}\n")
    scaffold.create_model("first_model", "rule-based", "online", tmp_path)
    data = YAML(typ="safe").load((tmp_path / "Pulumi.dev.yaml").read_text())
    assert data["config"]["mlops-estate:models"]["first_model"]["kind"] == "rule-based"


def test_unknown_placeholder_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \['@@OWNER@@'\]"):
        scaffold.render_text("owner: @@OWNER@@", scaffold.tokens("m1", "ml", "online"))


def test_cli_creates_the_model_and_exits_2_on_errors(tmp_path: Path, monkeypatch, capsys) -> None:
    import infra.cli
    from infra.cli import new_model

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    new_model.register(app)
    monkeypatch.setattr(infra.cli, "app", app)
    make_project(tmp_path)
    argv = ["new-model", "cli_model", "--kind", "ml", "--serving", "online", "--project-dir", str(tmp_path)]
    assert infra.cli.main(argv) == 0
    out = capsys.readouterr().out
    assert f"created {tmp_path / 'model_assets' / 'cli_model'}" in out
    assert (tmp_path / "model_assets" / "cli_model" / "src" / "score.py").is_file()
    assert infra.cli.main(argv) == 2
    assert "already exists" in capsys.readouterr().err
    assert (
        infra.cli.main(
            ["new-model", "other", "--kind", "ai", "--serving", "online", "--project-dir", str(tmp_path)]
        )
        == 2
    )
    assert "error: --kind: kind 'ai' is not allowed" in capsys.readouterr().err
