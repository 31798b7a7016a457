"""infra/bootstrap/state-backend.sh against a stand-in Azure CLI: what it creates, that a second
run creates nothing, soft-deleted vault recovery, propagation retries and argument checks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.pipelines.pipeline_schema import REPO

SCRIPT = REPO / "infra" / "bootstrap" / "state-backend.sh"
FAKE_AZ = Path(__file__).with_name("fake_az.sh")
DEPLOYER = "aaaaaaaa-0000-0000-0000-000000000001"
SUBSCRIPTION = "bbbbbbbb-0000-0000-0000-000000000002"
OPERATOR = "11111111-2222-3333-4444-555555555555"
ARGS = [
    "--subscription", SUBSCRIPTION,
    "--resource-group", "rg-mlops-state",
    "--location", "westeurope",
    "--storage-account", "stmlopsstate01",
    "--vault", "kv-mlops-state",
    "--deployer", DEPLOYER,
]  # fmt: skip


@pytest.fixture
def azure(tmp_path: Path) -> Path:
    """A state directory for the fake az, with `az` on PATH pointing at it."""
    state = tmp_path / "azure"
    state.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.symlink_to(FAKE_AZ)
    return state


def bootstrap(azure: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the bootstrap script with the fake az first on PATH."""
    env = {
        "PATH": f"{azure.parent / 'bin'}:{os.environ['PATH']}",
        "FAKE_AZ_STATE": str(azure),
        "BOOTSTRAP_RETRY_SECONDS": "0",
        "BOOTSTRAP_RETRIES": "4",
    }
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False)


def calls(azure: Path) -> list[str]:
    """Return the az calls made so far and forget them."""
    log = azure / "calls.log"
    made = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return made


def changes(made: list[str]) -> list[str]:
    """Return the calls that create or change something."""
    verbs = (" create ", " update ", " recover ")
    return [call for call in made if any(verb in f" {call} " for verb in verbs)]


def test_first_run_creates_a_locked_down_backend(azure: Path) -> None:
    result = bootstrap(azure, *ARGS)
    assert result.returncode == 0, result.stderr
    assert changes(calls(azure)) == [
        "group create --name rg-mlops-state --location westeurope --tags purpose=pulumi-state --output none",
        "storage account create --name stmlopsstate01 --resource-group rg-mlops-state --location westeurope "
        "--kind StorageV2 --sku Standard_GRS --access-tier Hot --allow-shared-key-access false "
        "--allow-blob-public-access false --https-only true --min-tls-version TLS1_2 "
        "--default-to-oauth-authentication true --public-network-access Enabled --tags purpose=pulumi-state "
        "--output none",
        "storage account blob-service-properties update --account-name stmlopsstate01 --resource-group "
        "rg-mlops-state --enable-versioning true --enable-delete-retention true --delete-retention-days 30 "
        "--enable-container-delete-retention true --container-delete-retention-days 30 --output none",
        "storage container-rm create --storage-account stmlopsstate01 --resource-group rg-mlops-state "
        "--name pulumi-state --public-access off --output none",
        "keyvault create --name kv-mlops-state --resource-group rg-mlops-state --location westeurope "
        "--enable-rbac-authorization true --enable-purge-protection true --retention-days 30 "
        "--public-network-access Enabled --tags purpose=pulumi-state --output none",
        f"role assignment create --assignee-object-id {OPERATOR} --assignee-principal-type User "
        "--role Key Vault Crypto Officer --scope /subscriptions/s/vault/kv-mlops-state --output none",
        f"role assignment create --assignee-object-id {OPERATOR} --assignee-principal-type User "
        "--role Storage Blob Data Contributor --scope /subscriptions/s/account/stmlopsstate01 --output none",
        "keyvault key create --vault-name kv-mlops-state --name pulumi-secrets --kty RSA --size 3072 "
        "--ops encrypt decrypt wrapKey unwrapKey --output none",
        f"role assignment create --assignee-object-id {DEPLOYER} --assignee-principal-type ServicePrincipal "
        "--role Storage Blob Data Contributor --scope /subscriptions/s/account/stmlopsstate01 --output none",
        f"role assignment create --assignee-object-id {DEPLOYER} --assignee-principal-type ServicePrincipal "
        "--role Key Vault Crypto User --scope /subscriptions/s/vault/kv-mlops-state/keys/pulumi-secrets "
        "--output none",
    ]
    tail = result.stdout.split("State backend ready.")[1].splitlines()
    assert [line.strip() for line in tail if line.strip().startswith("pulumi ")] == [
        "pulumi login azblob://pulumi-state?storage_account=stmlopsstate01",
        "pulumi stack init shared --secrets-provider azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets",
        "pulumi stack init dev --secrets-provider azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets",
        "pulumi stack init qa --secrets-provider azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets",
        "pulumi stack init prod --secrets-provider azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets",
    ]
    assert (
        "--variables PULUMI_BACKEND_URL='azblob://pulumi-state?storage_account=stmlopsstate01' "
        "PULUMI_SECRETS_PROVIDER='azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets'"
    ) in result.stdout


def test_second_run_creates_nothing(azure: Path) -> None:
    assert bootstrap(azure, *ARGS).returncode == 0
    calls(azure)
    result = bootstrap(azure, *ARGS)
    assert result.returncode == 0, result.stderr
    assert [call.split(" --")[0] for call in changes(calls(azure))] == [
        "storage account update",
        "storage account blob-service-properties update",
    ]
    assert result.stdout.count("already assigned") == 4


def test_soft_deleted_vault_is_recovered(azure: Path) -> None:
    (azure / "m_deleted_kv_mlops_state").write_text("")
    result = bootstrap(azure, *ARGS)
    assert result.returncode == 0, result.stderr
    made = changes(calls(azure))
    assert "keyvault recover --name kv-mlops-state --output none" in made
    assert not any(call.startswith("keyvault create") for call in made)


def test_key_creation_waits_for_role_propagation(azure: Path) -> None:
    (azure / "key-failures").write_text("2")
    result = bootstrap(azure, *ARGS)
    assert result.returncode == 0, result.stderr
    assert sum(call.startswith("keyvault key create") for call in calls(azure)) == 3
    assert "waiting 0s for role assignments to propagate (attempt 2/4)" in result.stdout


def test_key_creation_gives_up(azure: Path) -> None:
    (azure / "key-failures").write_text("10")
    result = bootstrap(azure, *ARGS)
    assert result.returncode == 1
    assert "still failing after 4 attempts" in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--subscription", "prod"), "--subscription is 'prod'; expected a subscription id (GUID)"),
        (
            ("--storage-account", "St-Mlops"),
            "--storage-account is 'St-Mlops'; expected 3-24 lower-case letters and digits",
        ),
        (
            ("--vault", "1vault"),
            "--vault is '1vault'; expected 3-24 letters, digits and single hyphens, starting with a letter",
        ),
        (("--deployer", "someone"), "--deployer is 'someone'; expected an object id (GUID)"),
        (
            ("--public-network-access", "Off"),
            "--public-network-access is 'Off'; allowed: Enabled, Disabled",
        ),
        (("--retention-days", "365"), "--retention-days is '365'; expected a whole number from 7 to 90"),
        (("--frobnicate", "x"), "unknown argument '--frobnicate'"),
    ],
)
def test_bad_arguments_stop_before_azure(azure: Path, change: tuple[str, str], message: str) -> None:
    args = list(ARGS)
    if change[0] in args:
        args[args.index(change[0]) + 1] = change[1]
    else:
        args += list(change)
    result = bootstrap(azure, *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: {message}"
    assert calls(azure) == []


def test_missing_argument_is_named(azure: Path) -> None:
    result = bootstrap(azure, *ARGS[:-2], "--vault")
    assert (result.returncode, result.stderr.strip()) == (2, "error: --vault needs a value")


def test_script_parses() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck_is_clean() -> None:
    result = subprocess.run(
        ["shellcheck", str(SCRIPT), str(FAKE_AZ)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
