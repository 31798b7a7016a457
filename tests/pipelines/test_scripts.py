"""The helper scripts the pipelines run: stack detection, stack outputs, Azure sign-in
environment, Pulumi login and committing promotions back to git."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import stat
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from infra.errors import ConfigError
from tests.pipelines.pipeline_schema import PIPELINES

SCRIPTS = PIPELINES / "scripts"
SHELL_SCRIPTS = sorted(SCRIPTS.glob("*.sh"))


def load_script(name: str) -> ModuleType:
    """Import a pipelines/scripts/*.py file by path."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


changed_stacks = load_script("changed_stacks")
stack_output = load_script("stack_output")


def fake_command(directory: Path, name: str, body: str) -> None:
    """Write an executable stand-in for an external CLI (az, pulumi, curl) into ``directory``."""
    path = directory / name
    path.write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run_bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with bash in ``cwd`` with exactly ``env`` (plus a minimal PATH)."""
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


# --- changed_stacks.py ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "stacks"),
    [
        (["Pulumi.dev.yaml"], ("dev",)),
        (["Pulumi.prod.yaml", "Pulumi.qa.yaml", "docs/delivery.md"], ("qa", "prod")),
        (["docs/architecture.md", "tests/pipelines/test_schema.py", "pipelines/ci.yml", "Makefile"], ()),
        (["Pulumi.dev.yaml", "stacks/environment.py"], ("shared", "dev", "qa", "prod")),
        (["Pulumi.yaml"], ("shared", "dev", "qa", "prod")),
        (["requirements.lock"], ("shared", "dev", "qa", "prod")),
        (["model_assets/diabetes/azureml/endpoint.yml"], ("shared", "dev", "qa", "prod")),
        (["docs/Pulumi.dev.yaml"], ()),
        (["", "  "], ()),
    ],
)
def test_stacks_for_paths(paths: list[str], stacks: tuple[str, ...]) -> None:
    assert changed_stacks.stacks_for_paths(paths) == stacks


def test_unknown_stack_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        changed_stacks.stacks_for_paths(["Pulumi.staging.yaml"])
    assert str(caught.value) == (
        "Pulumi.staging.yaml: stack file for unknown stack 'staging'; allowed stacks: shared, dev, qa, prod"
    )


def test_azure_devops_outputs() -> None:
    assert changed_stacks.azure_devops_outputs(["qa", "shared"]) == [
        "##vso[task.setvariable variable=PREVIEW_SHARED;isOutput=true]true",
        "##vso[task.setvariable variable=PREVIEW_DEV;isOutput=true]false",
        "##vso[task.setvariable variable=PREVIEW_QA;isOutput=true]true",
        "##vso[task.setvariable variable=PREVIEW_PROD;isOutput=true]false",
    ]


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity and return stdout."""
    result = subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_changed_stacks_main_diffs_against_the_merge_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {a: 1}\n")
    git(tmp_path, "commit", "-q", "-am", "change dev")
    assert changed_stacks.main(["--base", "main", "--repo", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "stacks to preview: dev",
        "##vso[task.setvariable variable=PREVIEW_SHARED;isOutput=true]false",
        "##vso[task.setvariable variable=PREVIEW_DEV;isOutput=true]true",
        "##vso[task.setvariable variable=PREVIEW_QA;isOutput=true]false",
        "##vso[task.setvariable variable=PREVIEW_PROD;isOutput=true]false",
    ]


def test_changed_stacks_main_reports_a_bad_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    assert changed_stacks.main(["--base", "origin/nope", "--repo", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: --base: git diff against 'origin/nope' failed: ")


# --- stack_output.py ----------------------------------------------------------------------------

OUTPUTS = {"endpoints": {"diabetes": {"scoringUri": "https://x/score", "version": 3}}, "empty": ""}


def test_lookup_returns_text() -> None:
    assert stack_output.lookup(OUTPUTS, "endpoints.diabetes.scoringUri") == "https://x/score"
    assert stack_output.lookup(OUTPUTS, "endpoints.diabetes.version") == "3"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "endpoints.fraud_rules.scoringUri",
            "endpoints.fraud_rules.scoringUri: no output 'fraud_rules' under endpoints; available: diabetes",
        ),
        (
            "amlWorkspace.name",
            "amlWorkspace.name: no output 'amlWorkspace' under (root); available: empty, endpoints",
        ),
        ("endpoints.diabetes", "endpoints.diabetes: is a mapping or a list, not a single value"),
        ("empty", "empty: is empty"),
        (
            "endpoints.diabetes.version.major",
            "endpoints.diabetes.version.major: no output 'major' under endpoints.diabetes.version; available: (not a mapping)",
        ),
    ],
)
def test_lookup_errors_name_the_path(path: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        stack_output.lookup(OUTPUTS, path)
    assert str(caught.value) == message


def test_stack_output_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        stack_output.main(
            ["endpoints.diabetes.version"], io.StringIO('{"endpoints": {"diabetes": {"version": "4"}}}')
        )
        == 0
    )
    assert capsys.readouterr().out == "4\n"
    assert stack_output.main(["a"], io.StringIO("not json")) == 2
    assert capsys.readouterr().err.startswith("error: stdin: stack outputs on stdin are not JSON: ")
    assert stack_output.main(["a"], io.StringIO("[1]")) == 2
    assert capsys.readouterr().err == "error: stdin: stack outputs on stdin are not a JSON object\n"


# --- azure-env.sh -------------------------------------------------------------------------------


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A directory of fake CLIs placed first on PATH."""
    directory = tmp_path / "bin"
    directory.mkdir()
    return directory


def base_env(bin_dir: Path, tmp_path: Path) -> dict[str, str]:
    """A minimal environment: fake CLIs first on PATH, a private HOME and agent temp directory."""
    agent_tmp = tmp_path / "agent-tmp"
    agent_tmp.mkdir(exist_ok=True)
    return {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "AGENT_TEMPDIRECTORY": str(agent_tmp),
    }


SPN = {"servicePrincipalId": "client-1", "tenantId": "tenant-1", "idToken": "federated.jwt.value"}


def test_azure_env_exports_arm_and_workload_identity(bin_dir: Path, tmp_path: Path) -> None:
    fake_command(bin_dir, "az", 'echo "sub-1"')
    env = {**base_env(bin_dir, tmp_path), **SPN}
    script = (
        f"set -euo pipefail; source {SCRIPTS / 'azure-env.sh'}; "
        "for v in ARM_CLIENT_ID ARM_TENANT_ID ARM_SUBSCRIPTION_ID ARM_OIDC_TOKEN ARM_USE_OIDC "
        'AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_SUBSCRIPTION_ID; do echo "$v=${!v}"; done; '
        'cat "$AZURE_FEDERATED_TOKEN_FILE"; echo; stat -c %a "$AZURE_FEDERATED_TOKEN_FILE"'
    )
    result = run_bash(script, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ARM_CLIENT_ID=client-1",
        "ARM_TENANT_ID=tenant-1",
        "ARM_SUBSCRIPTION_ID=sub-1",
        "ARM_OIDC_TOKEN=federated.jwt.value",
        "ARM_USE_OIDC=true",
        "AZURE_CLIENT_ID=client-1",
        "AZURE_TENANT_ID=tenant-1",
        "AZURE_SUBSCRIPTION_ID=sub-1",
        "federated.jwt.value",
        "600",
    ]
    assert not (tmp_path / "agent-tmp" / "azure-federated-token").exists()


def test_azure_env_keeps_the_token_for_later_steps(bin_dir: Path, tmp_path: Path) -> None:
    fake_command(bin_dir, "az", 'echo "sub-1"')
    env = {**base_env(bin_dir, tmp_path), **SPN, "AZURE_ENV_KEEP_TOKEN": "1"}
    result = run_bash(f"set -euo pipefail; source {SCRIPTS / 'azure-env.sh'}", env, tmp_path)
    token_file = tmp_path / "agent-tmp" / "azure-federated-token"
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "##vso[task.setvariable variable=AZURE_CLIENT_ID]client-1",
        "##vso[task.setvariable variable=AZURE_TENANT_ID]tenant-1",
        "##vso[task.setvariable variable=AZURE_SUBSCRIPTION_ID]sub-1",
        f"##vso[task.setvariable variable=AZURE_FEDERATED_TOKEN_FILE]{token_file}",
    ]
    assert token_file.read_text() == "federated.jwt.value"


def test_azure_env_needs_a_federated_service_connection(bin_dir: Path, tmp_path: Path) -> None:
    fake_command(bin_dir, "az", 'echo "sub-1"')
    env = {**base_env(bin_dir, tmp_path), "servicePrincipalId": "client-1", "tenantId": "tenant-1"}
    result = run_bash(f"set -euo pipefail; source {SCRIPTS / 'azure-env.sh'}", env, tmp_path)
    assert result.returncode != 0
    assert "idToken is not set; the service connection must use workload identity federation" in result.stderr


# --- pulumi-login.sh ----------------------------------------------------------------------------

BACKEND = {
    "PULUMI_VERSION": "3.272.0",
    "PULUMI_BACKEND_URL": "azblob://state?storage_account=stmlopsstate01",
    "PULUMI_SECRETS_PROVIDER": "azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets",
}


def pulumi_login(
    bin_dir: Path, tmp_path: Path, installed: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Source pulumi-login.sh with fake pulumi and curl that log their arguments."""
    log = tmp_path / "calls.log"
    fake_command(
        bin_dir,
        "pulumi",
        f'if [ "$1" = version ]; then echo "{installed}"; else echo "pulumi $*" >> {log}; fi',
    )
    fake_command(bin_dir, "curl", f'echo "curl $*" >> {log}; echo \'echo "install $*" >> {log}\'')
    env = {**base_env(bin_dir, tmp_path), **BACKEND, **extra}
    return run_bash(f"set -euo pipefail; source {SCRIPTS / 'pulumi-login.sh'}", env, tmp_path)


def calls(tmp_path: Path) -> list[str]:
    """Return the logged fake-CLI calls."""
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_pulumi_login_selects_the_stack_with_the_key_vault_provider(bin_dir: Path, tmp_path: Path) -> None:
    result = pulumi_login(bin_dir, tmp_path, "v3.272.0", STACK="qa")
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path) == [
        "pulumi login azblob://state?storage_account=stmlopsstate01",
        "pulumi stack select qa --create --secrets-provider "
        "azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets-qa",
    ]


def _fake_release(bin_dir: Path, tmp_path: Path, *, tamper: bool) -> None:
    """A fake curl serving a release tarball (holding a fake ``pulumi``) and the release's
    checksums file; with ``tamper`` the tarball served differs from the one the file lists."""
    import hashlib
    import io
    import tarfile

    def tarball(script: str) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            data = script.encode()
            info = tarfile.TarInfo("pulumi/pulumi")
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    log = tmp_path / "calls.log"
    good = tarball(f'#!/usr/bin/env bash\necho "pulumi $*" >> {log}\n')
    served = tarball("#!/usr/bin/env bash\necho tampered\n") if tamper else good
    archive = "pulumi-v3.272.0-linux-x64.tar.gz"
    (tmp_path / "served.tar.gz").write_bytes(served)
    (tmp_path / "checksums.txt").write_text(
        f"{hashlib.sha256(b'other').hexdigest()}  pulumi-v3.272.0-darwin-arm64.tar.gz\n"
        f"{hashlib.sha256(good).hexdigest()}  {archive}\n"
    )
    fake_command(
        bin_dir,
        "curl",
        f'echo "curl ${{@: -1}}" >> {log}; out=""; while [ $# -gt 1 ]; do [ "$1" = -o ] && out="$2"; shift; done; '
        f'case "$1" in *.tar.gz) cp {tmp_path}/served.tar.gz "$out";; *) cp {tmp_path}/checksums.txt "$out";; esac',
    )


RELEASE = "https://github.com/pulumi/pulumi/releases/download/v3.272.0"


def test_pulumi_login_installs_the_pinned_cli_verified_against_the_release_checksums(
    bin_dir: Path, tmp_path: Path
) -> None:
    _fake_release(bin_dir, tmp_path, tamper=False)
    env = {**base_env(bin_dir, tmp_path), **BACKEND, "HOME": str(tmp_path / "home")}
    result = run_bash(f"set -euo pipefail; source {SCRIPTS / 'pulumi-login.sh'}", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path) == [
        f"curl {RELEASE}/pulumi-v3.272.0-linux-x64.tar.gz",
        f"curl {RELEASE}/pulumi-3.272.0-checksums.txt",
        "pulumi login azblob://state?storage_account=stmlopsstate01",
    ]
    assert (tmp_path / "home" / ".pulumi" / "bin" / "pulumi").is_file()


def test_pulumi_login_refuses_a_cli_archive_that_does_not_match_the_release_checksums(
    bin_dir: Path, tmp_path: Path
) -> None:
    _fake_release(bin_dir, tmp_path, tamper=True)
    env = {**base_env(bin_dir, tmp_path), **BACKEND, "HOME": str(tmp_path / "home")}
    result = run_bash(f"set -euo pipefail; source {SCRIPTS / 'pulumi-login.sh'}", env, tmp_path)
    assert result.returncode == 3
    assert "does not match the release's published SHA-256" in result.stderr
    assert not (tmp_path / "home" / ".pulumi" / "bin" / "pulumi").exists()
    assert not any(c.startswith("pulumi ") for c in calls(tmp_path))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"PULUMI_BACKEND_URL": "file://~/state"},
            "PULUMI_BACKEND_URL is 'file://~/state'; expected azblob://<container>?storage_account=<account>",
        ),
        (
            {"PULUMI_SECRETS_PROVIDER": "passphrase"},
            "PULUMI_SECRETS_PROVIDER is 'passphrase'; expected azurekeyvault://<vault>.vault.azure.net/keys/<key>",
        ),
        ({"STACK": "staging"}, "STACK is 'staging'; allowed: shared, dev, qa, prod"),
    ],
)
def test_pulumi_login_rejects_bad_settings(
    bin_dir: Path, tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    result = pulumi_login(bin_dir, tmp_path, "v3.272.0", **extra)
    assert result.returncode == 2
    assert result.stderr.strip() == f"pulumi-login.sh: {message}"
    assert calls(tmp_path) == []


# --- stack-commit.sh ----------------------------------------------------------------------------


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A bare 'origin' with one commit on main holding Pulumi.qa.yaml."""
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q")
    (seed / "Pulumi.qa.yaml").write_text("config:\n  version: '3'\n")
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "seed")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    return bare


def clone(origin: Path, where: Path) -> Path:
    """Clone ``origin`` detached at its main commit, as a pipeline checkout is."""
    git(where.parent, "clone", "-q", str(origin), str(where))
    git(where, "checkout", "-q", "--detach")
    return where


AZURE_DEVOPS_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"
FAKE_TOKEN = "eyJ0eXAiOiJKV1Qi.fake-release-writer-token"


def fake_tools(where: Path, *, az_works: bool = True) -> Path:
    """A bin folder with an ``az`` that prints a token (the Azure edge) and a ``git`` that logs the
    Authorization header it was handed and its arguments, then runs the real git."""
    bin_dir = where / "fakebin"
    if bin_dir.exists():
        return bin_dir
    bin_dir.mkdir()
    real_git = shutil.which("git")
    az = bin_dir / "az"
    az.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> "{where}/az.log"\n'
        + (f"echo {FAKE_TOKEN}\n" if az_works else "echo 'ERROR: Please run az login' >&2; exit 1\n")
    )
    fake_git = bin_dir / "git"
    fake_git.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "${{GIT_CONFIG_VALUE_0:-no-header}} :: $*" >> "{where}/git.log"\n'
        f'exec "{real_git}" "$@"\n'
    )
    az.chmod(0o755)
    fake_git.chmod(0o755)
    return bin_dir


def commit_script(repo: Path, *args: str, az_works: bool = True) -> subprocess.CompletedProcess[str]:
    """Run stack-commit.sh in ``repo`` with the fake ``az`` and logging ``git`` first on PATH."""
    bin_dir = fake_tools(repo.parent, az_works=az_works)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(repo.parent), "BUILD_BUILDID": "4711"}
    return subprocess.run(
        [str(SCRIPTS / "stack-commit.sh"), *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_stack_commit_pushes_the_promotion_with_skip_ci(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "work")
    assert commit_script(repo, "sync", "refs/heads/main").returncode == 0
    (repo / "Pulumi.qa.yaml").write_text("config:\n  version: '4'\n")
    result = commit_script(repo, "commit", "qa", "release: promote diabetes 4 in qa")
    assert result.returncode == 0, result.stderr
    assert git(origin, "log", "-1", "--format=%s%n%b%an", "main").splitlines() == [
        "release: promote diabetes 4 in qa [skip ci]",
        "Release-Run: 4711",
        "mlops-estate release",
    ]
    assert git(origin, "show", "main:Pulumi.qa.yaml") == "config:\n  version: '4'\n"


def test_stack_commit_includes_the_registry_catalog_recorded_by_promote(origin: Path, tmp_path: Path) -> None:
    seed = clone(origin, tmp_path / "catalog-seed")
    (seed / "model_assets").mkdir()
    (seed / "model_assets" / "registry-catalog.yaml").write_text("diabetes: ['3']\n")
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "catalog")
    git(seed, "push", "-q", "origin", "HEAD:refs/heads/main")
    repo = clone(origin, tmp_path / "work")
    assert commit_script(repo, "sync", "refs/heads/main").returncode == 0
    (repo / "Pulumi.qa.yaml").write_text("config:\n  version: '4'\n")
    (repo / "model_assets" / "registry-catalog.yaml").write_text("diabetes: ['3', '4']\n")
    result = commit_script(repo, "commit", "qa", "release: promote diabetes 4 in qa")
    assert result.returncode == 0, result.stderr
    assert git(origin, "show", "--name-only", "--format=", "main").split() == [
        "Pulumi.qa.yaml",
        "model_assets/registry-catalog.yaml",
    ]


def test_stack_commit_without_change_commits_nothing(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "work")
    commit_script(repo, "sync", "main")
    before = git(origin, "rev-parse", "main")
    result = commit_script(repo, "commit", "qa", "release: nothing")
    assert result.returncode == 0
    assert result.stdout == "Pulumi.qa.yaml unchanged; nothing to commit\n"
    assert git(origin, "rev-parse", "main") == before


def test_stack_commit_rebases_after_losing_a_race(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "work")
    commit_script(repo, "sync", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other))
    (other / "README.md").write_text("someone else\n")
    git(other, "add", "README.md")
    git(other, "commit", "-q", "-m", "meanwhile")
    git(other, "push", "-q", "origin", "main")
    (repo / "Pulumi.qa.yaml").write_text("config:\n  version: '5'\n")
    result = commit_script(repo, "commit", "qa", "release: promote diabetes 5 in qa")
    assert result.returncode == 0, result.stderr
    assert "push attempt 1 lost a race; rebasing on origin/main" in result.stderr
    assert git(origin, "log", "--format=%s", "main").splitlines() == [
        "release: promote diabetes 5 in qa [skip ci]",
        "meanwhile",
        "seed",
    ]


def test_stack_commit_authenticates_only_fetch_and_push_with_the_signed_in_identity(
    origin: Path, tmp_path: Path
) -> None:
    repo = clone(origin, tmp_path / "work")
    assert commit_script(repo, "sync", "main").returncode == 0
    (repo / "Pulumi.qa.yaml").write_text("config:\n  version: '4'\n")
    result = commit_script(repo, "commit", "qa", "release: promote diabetes 4 in qa")
    assert result.returncode == 0, result.stderr
    # One token per invocation, minted for Azure DevOps by the signed-in (release writer) identity.
    assert (tmp_path / "az.log").read_text().splitlines() == [
        f"account get-access-token --resource {AZURE_DEVOPS_RESOURCE} --query accessToken --output tsv"
    ] * 2
    calls = (tmp_path / "git.log").read_text().splitlines()
    with_header = [
        c.split(" :: ", 1)[1] for c in calls if c.startswith(f"AUTHORIZATION: bearer {FAKE_TOKEN} :: ")
    ]
    assert with_header == ["fetch --quiet origin main", "push --quiet origin HEAD:refs/heads/main"]
    assert all(c.startswith("no-header :: ") for c in calls if FAKE_TOKEN not in c.split(" :: ")[0])
    # Never persisted and never on a command line.
    assert FAKE_TOKEN not in (repo / ".git" / "config").read_text()
    assert not [c for c in calls if FAKE_TOKEN in c.split(" :: ", 1)[1]]


def test_stack_commit_without_a_token_refuses_before_committing(origin: Path, tmp_path: Path) -> None:
    repo = clone(origin, tmp_path / "work")
    git(repo, "checkout", "-q", "-B", "main", "origin/main")
    (repo / ".git" / "estate-release-branch").write_text("main\n")
    (repo / "Pulumi.qa.yaml").write_text("config:\n  version: '4'\n")
    before = git(repo, "rev-parse", "HEAD")
    result = commit_script(repo, "commit", "qa", "release: promote diabetes 4 in qa", az_works=False)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "stack-commit.sh: no Azure DevOps token: run inside AzureCLI@2 on the release writer "
        "connection (or set STACK_COMMIT_TOKEN)"
    )
    assert git(repo, "rev-parse", "HEAD") == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("commit", "staging", "m"),
            2,
            "stack-commit.sh: STACK is 'staging'; allowed: shared, dev, qa, prod",
        ),
        (("commit", "qa", "m"), 2, "stack-commit.sh: run 'stack-commit.sh sync BRANCH' first"),
        (("push",), 2, "usage: stack-commit.sh sync BRANCH | commit STACK MESSAGE"),
    ],
)
def test_stack_commit_usage_errors(
    origin: Path, tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    repo = clone(origin, tmp_path / "work")
    result = commit_script(repo, *args)
    assert (result.returncode, result.stderr.strip()) == (code, message)


# --- static checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_parse(path: Path) -> None:
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck_is_clean() -> None:
    result = subprocess.run(
        ["shellcheck", "-x", *map(str, SHELL_SCRIPTS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


# --- start_release ------------------------------------------------------------------------


def _start_release():
    import importlib.util

    from tests.pipelines.pipeline_schema import PIPELINES

    spec = importlib.util.spec_from_file_location("start_release", PIPELINES / "scripts" / "start_release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_start_release_queues_the_registered_version(tmp_path, monkeypatch, capsys) -> None:
    import json

    script = _start_release()
    record = tmp_path / "registration.json"
    record.write_text(json.dumps({"model": "diabetes", "registered": True, "version": "5"}))
    calls = []

    def send(method, url, body, bearer):
        calls.append((method, url, body))
        if method == "GET":
            return {"value": [{"id": 11, "name": "train"}, {"id": 12, "name": "release"}]}
        return {"id": 99}

    monkeypatch.setenv("SYSTEM_ACCESSTOKEN", "x")
    code = script.main(
        ["--registration", str(record), "--organization", "https://dev.azure.com/contoso/", "--project", "p"],
        send=send,
    )
    assert code == 0
    assert calls[1] == (
        "POST",
        "https://dev.azure.com/contoso/p/_apis/pipelines/12/runs?api-version=7.1",
        {
            "resources": {"repositories": {"self": {"refName": "refs/heads/main"}}},
            "templateParameters": {"model": "diabetes", "version": "5"},
        },
    )


def test_start_release_does_nothing_when_nothing_was_registered(tmp_path, capsys) -> None:
    import json

    script = _start_release()
    record = tmp_path / "registration.json"
    record.write_text(json.dumps({"model": "diabetes", "registered": False, "reason": "worse"}))
    code = script.main(
        ["--registration", str(record), "--organization", "o", "--project", "p"],
        send=lambda *a: (_ for _ in ()).throw(AssertionError("no call")),
    )
    assert code == 0 and "no release" in capsys.readouterr().out


def test_start_release_names_a_malformed_record(tmp_path, capsys) -> None:
    script = _start_release()
    record = tmp_path / "registration.json"
    record.write_text("{}")
    assert script.main(["--registration", str(record), "--organization", "o", "--project", "p"]) == 2
    assert "needs the keys 'model' and 'registered'" in capsys.readouterr().err
