"""Bad inputs each give one clear message and exit 2 (an internal error exits 70), on copies of
the real project. All of these are refused before the program runs, so they are fast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.cli import main
from infra.errors import EXIT_CONFIG, EXIT_INTERNAL


def _run(project: Path, monkeypatch: Any, capsys: Any, *argv: str) -> tuple[int, str, str]:
    monkeypatch.chdir(project)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _error_lines(err: str) -> list[str]:
    """Everything on stderr: a refusal is exactly one line (no project line, no traceback)."""
    return err.splitlines()


def test_outside_a_project_every_command_refuses(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    for argv in (
        ["preview", "dev"],
        ["promote", "qa", "diabetes", "4"],
        ["cost", "dev"],
        ["timeline", "dev"],
    ):
        code, out, err = _run(tmp_path, monkeypatch, capsys, *argv)
        assert code == EXIT_CONFIG, argv
        assert _error_lines(err) == [
            f"error: project: no Pulumi.yaml in {tmp_path.resolve()} or any folder above it; run estate "
            "inside the project (the folder that holds Pulumi.yaml, or one below it)"
        ]


def test_the_project_is_found_upward_and_named(project: Path, monkeypatch: Any, capsys: Any) -> None:
    below = project / "notes" / "drafts"
    below.mkdir(parents=True)
    code, _, err = _run(below, monkeypatch, capsys, "cost", "qa", "--assumptions", "missing.yaml")
    assert code == EXIT_CONFIG
    assert err.splitlines()[0] == f"project: {project.resolve()}"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: p.write_bytes(b"config:\n  mlops-estate:environment: qa\xff\n"),
            "error: Pulumi.bad.yaml: is not UTF-8 text (byte 0xff at line 2); save it as UTF-8",
        ),
        (
            lambda p: p.mkdir(),
            "error: Pulumi.bad.yaml: is a directory, not a stack file (a YAML file)",
        ),
        (
            lambda p: p.write_text(""),
            "error: Pulumi.bad.yaml: the stack file is empty; it needs a 'config:' mapping with the "
            "mlops-estate settings (copy another stack's file and give it its own names)",
        ),
    ],
    ids=["non-utf8", "directory", "empty"],
)
def test_broken_stack_files(project: Path, monkeypatch: Any, capsys: Any, make: Any, message: str) -> None:
    make(project / "Pulumi.bad.yaml")
    code, _, err = _run(project, monkeypatch, capsys, "preview", "bad")
    assert (code, _error_lines(err)) == (EXIT_CONFIG, [message])


def test_a_copied_stack_file_without_its_own_names(project: Path, monkeypatch: Any, capsys: Any) -> None:
    (project / "Pulumi.qa2.yaml").write_text((project / "Pulumi.qa.yaml").read_text())
    code, _, err = _run(project, monkeypatch, capsys, "preview", "qa2")
    assert code == EXIT_CONFIG
    assert _error_lines(err) == [
        "error: Pulumi.qa2.yaml: gives the same names as Pulumi.qa.yaml (resource group "
        "'rg-mlops-qa-weu'): both stacks would deploy the same resources; give this stack its own names "
        "by changing mlops-estate:workload, mlops-estate:location or mlops-estate:subscriptionId"
    ]


def test_a_malformed_catalog_is_blamed_on_the_catalog(project: Path, monkeypatch: Any, capsys: Any) -> None:
    (project / "model_assets" / "registry-catalog.yaml").write_text('models:\n  diabetes: ["1", "2"\n')
    code, _, err = _run(project, monkeypatch, capsys, "preview", "dev")
    assert code == EXIT_CONFIG
    assert _error_lines(err) == [
        "error: model_assets/registry-catalog.yaml: not valid YAML at line 3 (ParserError)"
    ]


def test_an_unknown_model_folder_is_named_before_the_program_runs(
    project: Path, monkeypatch: Any, capsys: Any
) -> None:
    stack = project / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("\n    diabetes:\n", "\n    diabetez:\n", 1))
    code, _, err = _run(project, monkeypatch, capsys, "preview", "dev")
    assert code == EXIT_CONFIG
    assert _error_lines(err) == [
        "error: Pulumi.dev.yaml: mlops-estate:models.diabetez: no model folder model_assets/diabetez/ "
        "with Azure ML specs (azureml/); known models: churn_byom, diabetes, fraud_rules "
        "(estate new-model NAME creates one)"
    ]


def test_an_unknown_vm_size_is_refused_with_its_source(project: Path, monkeypatch: Any, capsys: Any) -> None:
    stack = project / "Pulumi.dev.yaml"
    text = stack.read_text()
    stack.write_text(text.replace("instanceType: Standard_DS2_v2", "instanceType: Standard_FOO9", 1))
    code, _, err = _run(project, monkeypatch, capsys, "preview", "dev")
    assert code == EXIT_CONFIG
    [line] = _error_lines(err)
    assert line.startswith(
        "error: Pulumi.dev.yaml: mlops-estate:models.diabetes: deployments.blue.instanceType "
    )
    assert "'Standard_FOO9' is not a VM size managed online endpoints accept" in line
    assert "retrieved 2026-12-03" in line and "per-region availability cannot be checked offline" in line


def test_an_internal_error_exits_70_and_says_where_to_report(
    project: Path, monkeypatch: Any, capsys: Any
) -> None:
    import infra.engine

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(infra.engine, "validate", broken)
    code, _, err = _run(project, monkeypatch, capsys, "cost", "dev")
    assert code == EXIT_INTERNAL
    [line] = _error_lines(err)
    assert line.startswith("internal error: RuntimeError: boom at test_bad_inputs.py:")
    assert "this is a bug in mlops-estate, please report it to" in line


def test_expect_no_changes_needs_a_ref(project: Path, monkeypatch: Any, capsys: Any) -> None:
    code, _, err = _run(project, monkeypatch, capsys, "preview", "dev", "--expect-no-changes")
    assert (code, _error_lines(err)) == (
        EXIT_CONFIG,
        ["error: --expect-no-changes: needs --against REF (the commit to compare with)"],
    )


def test_json_dash_means_stdout_on_every_command(project: Path, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("preview", "promote", "cost", "timeline"):
        code, out, _ = _run(project, monkeypatch, capsys, name, "--help")
        assert code == 0
        text = " ".join(out.replace("│", " ").split())
        assert "--json" in text and "Write the JSON report to this file ('-' for stdout" in text, name


def test_new_model_works_from_a_subfolder(project: Path, monkeypatch: Any, capsys: Any) -> None:
    below = project / "notes"
    below.mkdir()
    code, out, err = _run(
        below, monkeypatch, capsys, "new-model", "credit", "--kind", "ml", "--serving", "online"
    )
    assert code == 0, err
    assert (project / "model_assets" / "credit" / "azureml").is_dir()
    assert "credit:" in (project / "Pulumi.dev.yaml").read_text()
    assert not (below / "model_assets").exists()


def test_a_budget_nobody_hears_is_refused(project: Path, monkeypatch: Any, capsys: Any) -> None:
    stack = project / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("    contactEmails: [platform-team@contoso.com]\n", ""))
    code, _, err = _run(project, monkeypatch, capsys, "preview", "dev")
    assert code == EXIT_CONFIG
    [line] = _error_lines(err)
    assert line.startswith(
        "error: Pulumi.dev.yaml: mlops-estate:budget.contactEmails: a budget alerts someone"
    )
