"""The program runs in its own process, as the language host runs it, and dynamic providers run
for real: the exec contract, errors across the process boundary, provider calls per resource."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from infra.cli import main
from infra.engine import (
    DynamicProviderError,
    ProgramConfigError,
    ProgramFailedError,
    preview,
    provider_calls,
)
from infra.engine.runner import DEFAULT_EXEC, Launch, interpreter
from tests.support.project import copy_project

ENDPOINT = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ep"
)


def _project_with_program(tmp_path: Path, program: str) -> Path:
    """A copy of the project whose entry ``__main__.py`` is ``program`` (stack files untouched)."""
    project = copy_project(tmp_path / "p")
    (project / "__main__.py").unlink()
    (project / "__main__.py").write_text(program)
    return project


def test_exec_script_gets_the_language_hosts_arguments_env_and_directory(tmp_path, monkeypatch):
    project = _project_with_program(tmp_path, "")
    record = tmp_path / "exec.json"
    script = tmp_path / "recording_exec.py"
    script.write_text(
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'cwd': os.getcwd(), 'exe': sys.executable,\n"
        "  'config': json.loads(os.environ['PULUMI_CONFIG']),\n"
        "  'secrets': json.loads(os.environ['PULUMI_CONFIG_SECRET_KEYS'])},\n"
        f"  open({str(record)!r}, 'w'))\n"
    )
    monkeypatch.chdir(project)
    plan = preview("shared", policy=False, cache=False, launch=Launch(exec_script=script, parallel=3))
    assert plan["resources"] == []  # the script registered nothing: what it was given is the point
    seen = json.loads(record.read_text())
    argv = seen["argv"]
    flags = [a for a in argv if a.startswith("--")]
    assert flags == [
        "--monitor", "--engine", "--project", "--root_directory", "--stack", "--pwd",
        "--dry_run", "--parallel", "--organization",
    ]  # fmt: skip
    values = dict(zip(argv[:-1:2], argv[1::2], strict=True))
    assert values["--project"] == "mlops-estate"
    assert values["--stack"] == "shared"
    assert values["--dry_run"] == "true"
    assert values["--parallel"] == "3"
    assert values["--pwd"] == values["--root_directory"] == str(project.resolve())
    assert values["--monitor"] == values["--engine"]
    assert argv[-1] == "."  # the entry point: the project directory's __main__.py
    assert seen["cwd"] == str(project.resolve())
    assert Path(seen["exe"]) == Path(sys.executable)  # a copy has no .venv: the fallback
    assert seen["config"]["mlops-estate:environment"] == "shared"
    assert all(isinstance(v, str) for v in seen["config"].values())
    assert seen["secrets"] == []


def test_interpreter_is_the_projects_virtualenv_else_this_one(tmp_path):
    from infra.engine import PROJECT_ROOT
    from infra.engine.project import load_project

    root = load_project(PROJECT_ROOT)
    if (PROJECT_ROOT / ".venv" / "bin" / "python").is_file():
        assert interpreter(root) == PROJECT_ROOT / ".venv" / "bin" / "python"
    copy = load_project(copy_project(tmp_path / "p"))
    assert interpreter(copy) == Path(sys.executable)


def test_run_error_crosses_the_process_boundary_as_one_line_exit_2(tmp_path, monkeypatch, capsys):
    project = _project_with_program(
        tmp_path,
        "import pulumi\n"
        "raise pulumi.RunError(\"Pulumi.shared.yaml: mlops-estate:workload: 'x y' is not allowed\")\n",
    )
    monkeypatch.chdir(project)
    with pytest.raises(ProgramConfigError) as err:
        preview("shared", policy=False, cache=False)
    assert str(err.value) == "Pulumi.shared.yaml: mlops-estate:workload: 'x y' is not allowed"
    capsys.readouterr()
    assert main(["preview", "shared", "--quiet"]) == 2
    stderr = capsys.readouterr().err
    assert stderr == "error: Pulumi.shared.yaml: mlops-estate:workload: 'x y' is not allowed\n"


def test_an_unexpected_exception_is_a_program_failure_naming_where(tmp_path, monkeypatch):
    project = _project_with_program(tmp_path, "def build():\n    raise ValueError('boom')\n\nbuild()\n")
    monkeypatch.chdir(project)
    monkeypatch.delenv("ESTATE_DEBUG", raising=False)
    with pytest.raises(ProgramFailedError) as err:
        preview("shared", policy=False, cache=False)
    assert str(err.value).startswith("the program failed: ValueError: boom\n  at File ")
    assert '__main__.py", line 2, in build' in str(err.value)


_DYNAMIC_PROGRAM = """
import sys
from pathlib import Path

import pulumi
from pulumi.dynamic import Resource

sys.path.append(str(Path(__file__).parent / "program_only"))  # importable here, not in the provider
import ghost_provider

class Ghost(Resource):
    pass


Ghost(ghost_provider.GhostProvider(), "ghost-traffic", {{
    "estateKind": "endpointTraffic", "endpointId": "{endpoint}", "traffic": {{}},
}})
"""


def test_a_provider_that_cannot_import_fails_the_preview_naming_the_resource(tmp_path, monkeypatch, capsys):
    project = _project_with_program(tmp_path, _DYNAMIC_PROGRAM.format(endpoint=ENDPOINT))
    (project / "program_only").mkdir()
    (project / "program_only" / "ghost_provider.py").write_text(
        "from pulumi.dynamic import CreateResult, ResourceProvider\n\n"
        "class GhostProvider(ResourceProvider):\n"
        "    def create(self, props):\n"
        "        return CreateResult('id', props)\n"
    )
    monkeypatch.chdir(project)
    with pytest.raises(DynamicProviderError) as err:
        preview("shared", policy=False, cache=False)
    assert str(err.value) == (
        "dynamic resource 'ghost-traffic': its provider failed to check it: "
        "ModuleNotFoundError: No module named 'ghost_provider'"
    )
    capsys.readouterr()
    assert main(["preview", "shared", "--quiet", "--no-policy"]) == 3
    assert capsys.readouterr().err.startswith("error: shared: dynamic resource 'ghost-traffic': ")


def test_a_launcher_that_cannot_start_the_provider_fails_the_preview(tmp_path, monkeypatch):
    project = _project_with_program(tmp_path, _DYNAMIC_PROGRAM.format(endpoint=ENDPOINT))
    (project / "program_only").mkdir()
    (project / "program_only" / "ghost_provider.py").write_text(
        "from pulumi.dynamic import ResourceProvider\n\nclass GhostProvider(ResourceProvider):\n    pass\n"
    )
    launcher = tmp_path / "launcher"
    launcher.write_text("#!/bin/sh\necho 'no virtualenv here' >&2\nexit 1\n")
    launcher.chmod(0o755)
    monkeypatch.chdir(project)
    with pytest.raises(DynamicProviderError) as err:
        preview("shared", policy=False, cache=False, launch=Launch(provider_launcher=launcher))
    assert str(err.value) == (
        "dynamic resource 'ghost-traffic': the provider did not start (exit status 1): no virtualenv here"
    )


def test_every_dynamic_resource_is_checked_once_by_one_provider_process():
    preview("dev", policy=False)  # the calls are those of the run that made this plan
    calls = provider_calls("dev")
    assert calls is not None
    assert (calls.starts, calls.configure) == (1, 1)
    names = sorted(urn.rsplit("::", 1)[1] for urn in calls.resources)
    assert names == [
        "model-churn_byom-code", "model-churn_byom-traffic", "model-diabetes-code",
        "model-diabetes-traffic", "model-fraud_rules-code", "model-fraud_rules-traffic",
    ]  # fmt: skip
    assert {(c.check, c.diff) for c in calls.resources.values()} == {(1, 0)}


def test_against_a_plan_every_dynamic_resource_is_diffed_against_its_old_state():
    old = preview("dev", policy=False)
    traffic = next(r for r in old["resources"] if r["name"] == "model-diabetes-traffic")
    traffic["inputs"]["traffic"] = {"blue": 50, "green": 50}  # the old split differs
    preview("dev", policy=False, against_plan=old)
    calls = provider_calls("dev")
    assert calls is not None
    assert (calls.starts, calls.configure) == (1, 1)
    by_name = {urn.rsplit("::", 1)[1]: c for urn, c in calls.resources.items()}
    assert {(c.check, c.diff) for c in by_name.values()} == {(1, 1)}
    assert by_name["model-diabetes-traffic"].changes == "some"
    assert {n: c.changes for n, c in by_name.items() if n != "model-diabetes-traffic"} == {
        "model-churn_byom-code": "none",
        "model-churn_byom-traffic": "none",
        "model-diabetes-code": "none",
        "model-fraud_rules-code": "none",
        "model-fraud_rules-traffic": "none",
    }


def test_the_default_exec_script_imports_nothing_from_the_project():
    source = DEFAULT_EXEC.read_text()
    for package in ("infra", "stacks", "components", "model_assets"):
        assert f"import {package}" not in source and f"from {package}" not in source
    assert os.access(Path(DEFAULT_EXEC).parent / "provider-launcher", os.X_OK)


def test_bench_floor_registers_through_the_exec_script_over_grpc():
    from infra.bench.probe import floor_probe

    result = floor_probe(["pulumi_azure_native.storage"], 3)
    assert result["resources"] == 4  # the stack and three bare resource groups, each a RegisterResource RPC
    assert result["modules"] == ["pulumi_azure_native.storage"]


_APPLY_ERROR_PROGRAM = """
import pulumi
import pulumi_azure_native.resources as resources

from {module} import {cls} as Raised


def pinned(version):
    raise Raised("version 9 of model 'diabetes' is not in the registry", file="Pulumi.shared.yaml",
                 key="mlops-estate:models.diabetes")


name = pulumi.Output.from_input("9").apply(pinned)
resources.ResourceGroup("rg", resource_group_name=name, location="westeurope")
pulumi.export("name", name)
"""


@pytest.mark.parametrize(
    ("module", "cls"),
    [
        ("components.common", "ProgramConfigError"),  # also a RunError: one line from the exec script
        ("infra.errors", "ConfigError"),  # not a RunError: logged with a traceback, reported as one line
    ],
)
def test_a_config_error_raised_inside_an_apply_is_one_line_exit_2(tmp_path, monkeypatch, capsys, module, cls):
    project = _project_with_program(tmp_path, _APPLY_ERROR_PROGRAM.format(module=module, cls=cls))
    monkeypatch.chdir(project)
    expected = "Pulumi.shared.yaml: mlops-estate:models.diabetes: version 9 of model 'diabetes' is not in the registry"
    with pytest.raises(ProgramConfigError) as err:
        preview("shared", policy=False, cache=False)
    assert str(err.value) == expected
    capsys.readouterr()
    assert main(["preview", "shared", "--quiet"]) == 2
    assert capsys.readouterr().err == f"error: {expected}\n"


def test_a_traceback_is_a_config_error_only_when_its_exception_is_one():
    from infra.engine.runner import _config_error_in_traceback

    traceback = (
        "Program failed with an unhandled exception:\n"
        "Traceback (most recent call last):\n"
        '  File "__main__.py", line 3, in <module>\n'
    )
    assert _config_error_in_traceback(traceback + "infra.errors.ConfigError: Pulumi.qa.yaml: k: bad\n") == (
        "Pulumi.qa.yaml: k: bad"
    )
    assert _config_error_in_traceback(traceback + "ValueError: ConfigError: bad\n") is None
    assert _config_error_in_traceback(traceback + "KeyError: 'x'\n") is None
    assert _config_error_in_traceback("infra.errors.ConfigError: no traceback above\n") is None
