"""Every runtime environment is fully pinned (direct and transitive) and hash-checked, and the
environment `pulumi install` builds is the one `make setup` builds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.engine import PROJECT_ROOT

LOCKS = {
    "project": PROJECT_ROOT / "requirements.lock",
    "function app": PROJECT_ROOT / "components" / "retraining" / "function_app" / "requirements.txt",
    "policy pack": PROJECT_ROOT / "policy" / "requirements.txt",
    "serving": PROJECT_ROOT / "model_assets" / "serve-requirements.txt",
    "scanner": PROJECT_ROOT / "requirements-scan.lock",
}
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9,._-]+\])?==([^\s\\]+)")


def _entries(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name → (version, sha256 hashes) of a hashed requirements file."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = REQUIREMENT.match(line)
        if match:
            current = match.group(1).lower().replace("_", "-").replace(".", "-")
            assert current not in entries, f"{path.name}: {current} twice"
            entries[current] = (match.group(2), [])
            continue
        hashed = re.fullmatch(r"\s+--hash=sha256:([0-9a-f]{64})\s*\\?", line)
        assert hashed and current, f"{path.name}: unexpected line {line!r}"
        entries[current][1].append(hashed.group(1))
    return entries


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_every_requirement_is_pinned_and_hashed(name: str) -> None:
    entries = _entries(LOCKS[name])
    assert entries
    assert not [package for package, (_, hashes) in entries.items() if not hashes]


def test_function_app_and_policy_pack_use_the_projects_versions() -> None:
    project = _entries(LOCKS["project"])
    for name in ("function app", "policy pack"):
        for package, (version, hashes) in _entries(LOCKS[name]).items():
            assert package in project, f"{name}: {package} is not in requirements.lock"
            assert project[package][0] == version, f"{name}: {package} {version} vs {project[package][0]}"
            assert set(hashes) <= set(project[package][1]), f"{name}: {package} hashes differ"


def test_function_app_pins_its_direct_and_transitive_dependencies() -> None:
    entries = _entries(LOCKS["function app"])
    assert {"azure-functions", "azure-identity", "azure-storage-blob", "azure-core"} <= set(entries)
    assert len(entries) == 19  # 4 direct + 15 transitive


def test_pyproject_pins_match_the_lock() -> None:
    import tomllib

    project = _entries(LOCKS["project"])
    document = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    pins = [*document["project"]["dependencies"], *document["project"]["optional-dependencies"]["dev"]]
    for pin in pins:
        package, version = pin.split("==")
        assert project[package.lower().replace("_", "-").replace(".", "-")][0] == version, pin


def test_pulumi_install_builds_the_make_setup_environment() -> None:
    """`pulumi install` (toolchain pip) installs requirements.txt beside Pulumi.yaml: the lock."""
    lines = [
        line
        for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
        if line and line[0] != "#"
    ]
    assert lines == ["-r requirements.lock"]
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "pip install -q --disable-pip-version-check --require-hashes -r requirements.lock" in makefile
    assert "pip install -q --disable-pip-version-check --require-hashes -r requirements-scan.lock" in makefile
    assert "main:" not in (PROJECT_ROOT / "Pulumi.yaml").read_text()
    assert (PROJECT_ROOT / "__main__.py").is_file()


def test_prod_batch_jobs_run_a_pinned_commit() -> None:
    from infra.engine.project import load_project, load_stack_config
    from infra.errors import ConfigError
    from infra.settings import EnvironmentStackSettings, load_settings

    project = load_project(PROJECT_ROOT)
    config = load_stack_config(project, "prod")
    settings = load_settings(
        config.values, project=project.name, stack="prod", file=config.file.name
    ).settings
    assert isinstance(settings, EnvironmentStackSettings)
    assert settings.databricks.repository_commit is not None
    assert re.fullmatch(r"[0-9a-f]{40}", settings.databricks.repository_commit)
    databricks = {
        "enabled": True,
        "repositoryUrl": "https://dev.azure.com/contoso/mlops-estate/_git/mlops-estate",
    }
    config = load_stack_config(project, "prod", {"mlops-estate:databricks": databricks})
    with pytest.raises(ConfigError) as err:
        load_settings(config.values, project=project.name, stack="prod", file=config.file.name)
    assert (
        "Pulumi.prod.yaml: mlops-estate:databricks.repositoryCommit: prod batch jobs run a pinned commit"
        in str(err.value)
    )
