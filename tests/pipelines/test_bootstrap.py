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
PREVIEWER = "cccccccc-0000-0000-0000-000000000003"
LOG_ANALYTICS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-x"
SUBSCRIPTION = "bbbbbbbb-0000-0000-0000-000000000002"
OPERATOR = "11111111-2222-3333-4444-555555555555"
ARGS = [
    "--subscription", SUBSCRIPTION,
    "--resource-group", "rg-mlops-state",
    "--location", "westeurope",
    "--storage-account", "stmlopsstate01",
    "--vault", "kv-mlops-state",
    "--deployer", f"prod={DEPLOYER}",
    "--reader", f"prod={PREVIEWER}",
    "--log-analytics", LOG_ANALYTICS,
]  # fmt: skip
CONTAINER = "/subscriptions/s/account/stmlopsstate01/blobServices/default/containers/pulumi-state"
BLOB = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"


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


def _paths(stack: str) -> str:
    p = f"@Resource[{BLOB}:path] StringStartsWith"
    return (
        f"{p} '.pulumi/stacks/mlops-estate/{stack}.json' OR {p} '.pulumi/history/mlops-estate/{stack}/' OR "
        f"{p} '.pulumi/backups/mlops-estate/{stack}/' OR {p} '.pulumi/journal/mlops-estate/{stack}/' OR "
        f"{p} '.pulumi/locks/organization/mlops-estate/{stack}/'"
    )


WRITE_PROD = (
    f"((!(ActionMatches{{'{BLOB}/read'}} AND NOT SubOperationMatches{{'Blob.List'}}) AND "
    f"!(ActionMatches{{'{BLOB}/write'}}) AND !(ActionMatches{{'{BLOB}/add/action'}}) AND "
    f"!(ActionMatches{{'{BLOB}/delete'}})) OR ({_paths('prod')}))"
)
META = f"@Resource[{BLOB}:path] StringEquals '.pulumi/meta.yaml'"
READ_SHARED = (
    f"((!(ActionMatches{{'{BLOB}/read'}} AND NOT SubOperationMatches{{'Blob.List'}})) OR "
    f"({META} OR {_paths('shared')}))"
)
READ_PROD_AND_SHARED = (
    f"((!(ActionMatches{{'{BLOB}/read'}} AND NOT SubOperationMatches{{'Blob.List'}})) OR "
    f"({META} OR {_paths('prod')} OR {_paths('shared')}))"
)


def test_first_run_creates_a_locked_down_backend(azure: Path) -> None:
    result = bootstrap(azure, *ARGS)
    assert result.returncode == 0, result.stderr
    made = changes(calls(azure))
    assert made[:5] == [
        "group create --name rg-mlops-state --location westeurope --tags purpose=pulumi-state --output none",
        "storage account create --name stmlopsstate01 --resource-group rg-mlops-state --location westeurope "
        "--kind StorageV2 --sku Standard_GRS --access-tier Hot --allow-shared-key-access false "
        "--allow-blob-public-access false --https-only true --min-tls-version TLS1_2 "
        "--default-to-oauth-authentication true --public-network-access Disabled --tags purpose=pulumi-state "
        "--output none",
        "storage account blob-service-properties update --account-name stmlopsstate01 --resource-group "
        "rg-mlops-state --enable-versioning true --enable-delete-retention true --delete-retention-days 30 "
        "--enable-container-delete-retention true --container-delete-retention-days 30 --output none",
        "storage container-rm create --storage-account stmlopsstate01 --resource-group rg-mlops-state "
        "--name pulumi-state --public-access off --output none",
        "keyvault create --name kv-mlops-state --resource-group rg-mlops-state --location westeurope "
        "--enable-rbac-authorization true --enable-purge-protection true --retention-days 30 "
        "--public-network-access Disabled --tags purpose=pulumi-state --output none",
    ]
    logs = [c for c in made if c.startswith("monitor diagnostic-settings create")]
    assert [c.split(" --resource ")[1].split(" ")[0] for c in logs] == [
        "/subscriptions/s/account/stmlopsstate01/blobServices/default",
        "/subscriptions/s/vault/kv-mlops-state",
    ]
    assert '"category":"StorageWrite","enabled":true' in logs[0] and LOG_ANALYTICS in logs[0]
    keys = [c.split(" --name ")[1].split(" ")[0] for c in made if c.startswith("keyvault key create")]
    assert keys == ["pulumi-secrets-shared", "pulumi-secrets-dev", "pulumi-secrets-qa", "pulumi-secrets-prod"]
    roles = [c for c in made if c.startswith("role assignment create")]
    assert roles == [
        f"role assignment create --assignee-object-id {OPERATOR} --assignee-principal-type User "
        "--role Key Vault Crypto Officer --scope /subscriptions/s/vault/kv-mlops-state --output none",
        f"role assignment create --assignee-object-id {OPERATOR} --assignee-principal-type User "
        f"--role Storage Blob Data Contributor --scope {CONTAINER} --output none",
        f"role assignment create --assignee-object-id {DEPLOYER} --assignee-principal-type ServicePrincipal "
        f"--role Storage Blob Data Contributor --scope {CONTAINER} --condition {WRITE_PROD} "
        "--condition-version 2.0 --output none",
        f"role assignment create --assignee-object-id {DEPLOYER} --assignee-principal-type ServicePrincipal "
        f"--role Storage Blob Data Reader --scope {CONTAINER} --condition {READ_SHARED} "
        "--condition-version 2.0 --output none",
        f"role assignment create --assignee-object-id {DEPLOYER} --assignee-principal-type ServicePrincipal "
        "--role Key Vault Crypto User --scope /subscriptions/s/vault/kv-mlops-state/keys/pulumi-secrets-prod "
        "--output none",
        f"role assignment create --assignee-object-id {PREVIEWER} --assignee-principal-type ServicePrincipal "
        f"--role Storage Blob Data Reader --scope {CONTAINER} --condition {READ_PROD_AND_SHARED} "
        "--condition-version 2.0 --output none",
        f"role assignment create --assignee-object-id {PREVIEWER} --assignee-principal-type ServicePrincipal "
        "--role Pulumi state key decrypt (kv-mlops-state) --scope "
        "/subscriptions/s/vault/kv-mlops-state/keys/pulumi-secrets-prod --output none",
    ]
    definition = next(c for c in made if c.startswith("role definition create"))
    assert (
        '"DataActions": ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/decrypt/action"]'
        in definition
    )
    # The deployer's write paths never name another stack; only the shared stack is read besides its own.
    assert "/dev" not in WRITE_PROD and "/qa" not in WRITE_PROD and "/shared" not in WRITE_PROD
    tail = result.stdout.split("State backend ready.")[1].splitlines()
    assert [line.strip() for line in tail if line.strip().startswith("pulumi ")] == [
        "pulumi login azblob://pulumi-state?storage_account=stmlopsstate01",
        *(
            f"pulumi stack init {stack} --secrets-provider "
            f"azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets-{stack}"
            for stack in ("shared", "dev", "qa", "prod")
        ),
    ]
    assert (
        "--variables PULUMI_BACKEND_URL='azblob://pulumi-state?storage_account=stmlopsstate01' "
        "PULUMI_SECRETS_PROVIDER='azurekeyvault://kv-mlops-state.vault.azure.net/keys/pulumi-secrets'"
    ) in result.stdout


def test_public_access_only_when_asked(azure: Path) -> None:
    result = bootstrap(azure, *ARGS, "--public-network-access", "Enabled")
    assert result.returncode == 0, result.stderr
    made = changes(calls(azure))
    assert sum("--public-network-access Enabled" in c for c in made) == 2


def test_second_run_creates_nothing(azure: Path) -> None:
    assert bootstrap(azure, *ARGS).returncode == 0
    calls(azure)
    result = bootstrap(azure, *ARGS)
    assert result.returncode == 0, result.stderr
    assert [call.split(" --")[0] for call in changes(calls(azure))] == [
        "storage account update",
        "storage account blob-service-properties update",
        "monitor diagnostic-settings create",
        "monitor diagnostic-settings create",
    ]
    assert result.stdout.count("already assigned") == 7


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
    assert sum(call.startswith("keyvault key create") for call in calls(azure)) == 6
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
        (("--deployer", "someone"), "--deployer is 'someone'; expected STACK=OBJECT_ID, e.g. prod=<GUID>"),
        (("--deployer", "test=x"), "--deployer is 'test=x'; the stack must be one of shared dev qa prod"),
        (("--reader", "dev=x"), "--reader is 'dev=x'; expected an object id (GUID) after 'dev='"),
        (("--log-analytics", "log-x"), "--log-analytics is 'log-x'; expected /subscriptions/"),
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
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: {message}")
    assert calls(azure) == []


def test_logs_are_explicit(azure: Path) -> None:
    both = bootstrap(azure, *ARGS, "--no-logs")
    assert (both.returncode, both.stderr.strip()) == (
        2,
        "error: --log-analytics and --no-logs exclude each other",
    )
    neither = bootstrap(azure, *ARGS[:-2])
    assert (neither.returncode, neither.stderr.strip()) == (
        2,
        "error: data-plane logs need --log-analytics WORKSPACE_ID (or say --no-logs)",
    )
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
