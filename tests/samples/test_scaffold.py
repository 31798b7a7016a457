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
    root.mkdir(parents=True, exist_ok=True)
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
    from azure.ai.ml.entities import Deployment, Endpoint, PipelineJob

    name = f"new_{kind.replace('-', '_')}_{serving}"
    azureml = rendered / "model_assets" / name / "azureml"
    job = load_job(azureml / "pipeline.yml")
    assert isinstance(job, PipelineJob)
    assert job._validate().passed
    assert job.inputs["model_name"]._data == name
    endpoint: Endpoint
    deployment: Deployment
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
            "deployments": {"blue": {"traffic": 100}},
        }
        assert models["new_rule_based_batch"] == {
            "kind": "rule-based",
            "serving": "batch",
            "deployments": {"blue": {"traffic": 100}},
        }
        assert (
            "    new_ml_batch:\n      kind: ml\n      serving: batch\n      deployments:\n"
            "        blue: {traffic: 100}\n" in text
        )
        assert "# new_ml_batch: scaffolded by `estate new-model`; declared, not yet registered" in text


def test_new_models_go_to_dev_only(rendered: Path) -> None:
    assert scaffold.STACKS == ("dev",)
    for stack in ("qa", "prod"):
        path = rendered / f"Pulumi.{stack}.yaml"
        assert not path.exists() or "new_ml_online" not in path.read_text()


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
def test_bad_options_write_nothing(
    tmp_path: Path, args: tuple[str, str, str], key: str, message: str
) -> None:
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
    (tmp_path / "Pulumi.dev.yaml").unlink()
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match="stack file not found") as info:
        scaffold.create_model("fresh", "rule-based", "batch", tmp_path)
    assert info.value.file == str(tmp_path / "Pulumi.dev.yaml")
    assert snapshot(tmp_path) == before


def test_failed_write_rolls_everything_back(tmp_path: Path, monkeypatch) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    real = scaffold._write_atomically
    calls: list[Path] = []

    def flaky(path: Path, text: str) -> None:
        calls.append(path)
        if len(calls) == 1:
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


# --- estate onboard: a pre-trained model file to a model folder declared in dev (day 0) -----------

SCORE = """import json, os, joblib, numpy
def init():
    global model
    model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/reg.pkl"))
def run(raw_data):
    return model.predict(numpy.array(json.loads(raw_data)["data"])).tolist()
"""
ENVIRONMENT = """name: model-env
channels: [conda-forge]
dependencies:
  - python=3.12
  - pip:
    - azureml-inference-server-http==1.4.1
    - joblib
"""


@pytest.fixture
def pretrained(tmp_path: Path) -> Path:
    """A pickled scikit-learn regression, its scoring script, environment and sample request."""
    import joblib
    import numpy
    from sklearn.linear_model import LinearRegression

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    x = numpy.arange(20, dtype=float).reshape(10, 2)
    joblib.dump(LinearRegression().fit(x, x.sum(axis=1)), inputs / "reg.pkl")
    (inputs / "score.py").write_text(SCORE)
    (inputs / "conda.yaml").write_text(ENVIRONMENT)
    (inputs / "sample.json").write_text('{"data": [[1, 2], [3, 4]]}')
    return inputs


def test_onboard_writes_the_model_folder_and_declares_it_in_dev(tmp_path: Path, pretrained: Path) -> None:
    root = make_project(tmp_path / "project")
    result = scaffold.onboard_model(
        "reg_model",
        pretrained / "reg.pkl",
        root,
        scoring_script=pretrained / "score.py",
        environment=pretrained / "conda.yaml",
        sample_request=pretrained / "sample.json",
    )
    model_dir = root / "model_assets" / "reg_model"
    assert result.scaffolded.files == [
        "README.md",
        "azureml/deployment.yml",
        "azureml/endpoint.yml",
        "azureml/model.yml",
        "build_artifact.py",
        "environment/serve.yml",
        "model/reg.pkl",
        "smoke/request.json",
        "smoke/smoke.json",
        "src/score.py",
        "tests/test_onboarded.py",
    ]
    assert (model_dir / "model" / "reg.pkl").read_bytes() == (pretrained / "reg.pkl").read_bytes()
    assert (model_dir / "src" / "score.py").read_text() == SCORE
    assert (model_dir / "environment" / "serve.yml").read_text() == ENVIRONMENT
    models = YAML(typ="safe").load((root / "Pulumi.dev.yaml").read_text())["config"]["mlops-estate:models"]
    assert models["reg_model"] == {
        "kind": "ml",
        "serving": "online",
        "target": "managed",
        "deployments": {"blue": {"traffic": 100}},
    }
    for text in (p.read_text() for p in model_dir.rglob("*") if p.suffix in (".yml", ".py", ".md")):
        assert "@@" not in text


def test_onboarded_models_own_tests_pass(tmp_path: Path, pretrained: Path) -> None:
    root = make_project(tmp_path / "project")
    scaffold.onboard_model("reg_model", pretrained / "reg.pkl", root)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(root / "model_assets" / "reg_model"),
            "-q",
            "-p",
            "no:warnings",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"model_file": "missing.pkl"}, "--model-file", "is not a file"),
        ({"model_file": "score.py"}, "--model-file", "'score.py' is not a model file this command onboards"),
        ({"environment": "bad-env.yaml"}, "dependencies.pip", "lacks azureml-inference-server-http"),
        ({"sample_request": "score.py"}, "--sample-request", "the sample request is not JSON"),
    ],
)
def test_onboard_bad_input_writes_nothing(
    tmp_path: Path, pretrained: Path, change: dict[str, str], key: str, message: str
) -> None:
    root = make_project(tmp_path / "project")
    (pretrained / "bad-env.yaml").write_text("dependencies:\n  - python=3.11\n  - pip: [joblib]\n")
    before = snapshot(root)
    kwargs = {"model_file": "reg.pkl", **change}
    model_file = pretrained / kwargs.pop("model_file")
    with pytest.raises(ConfigError) as info:
        scaffold.onboard_model(
            "reg_model", model_file, root, **{k: pretrained / v for k, v in kwargs.items()}
        )
    assert info.value.key == key and message in str(info.value)
    assert snapshot(root) == before


def test_onboard_cli_prints_the_cost_and_exits_2_on_errors(
    tmp_path: Path, pretrained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import infra.cli

    root = make_project(tmp_path / "project")
    argv = ["onboard", "reg_model", "--model-file", str(pretrained / "reg.pkl"), "--project-dir", str(root)]
    assert infra.cli.main(argv) == 0
    out = capsys.readouterr().out
    assert (
        "cost in dev: $0.00/month now (endpoint only); $213.89/month once version 1 serves (1 × Standard_DS3_v2)"
        in out
    )
    assert infra.cli.main(argv) == 2
    assert "already exists" in capsys.readouterr().err
