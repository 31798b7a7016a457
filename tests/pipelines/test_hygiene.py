"""Rules every pipeline and template file follows: no continueOnError, no secret, pinned task
versions, no template insertions, repository paths that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.pipelines.pipeline_schema import PIPELINES, load_yaml
from tests.pipelines.pipeline_walk import walk

YAML_FILES = sorted(PIPELINES.glob("*.yml")) + sorted((PIPELINES / "templates").glob("*.yml"))
SCRIPT_FILES = sorted((PIPELINES / "scripts").glob("*")) + [
    PIPELINES.parent / "infra" / "bootstrap" / "state-backend.sh"
]

# Literal credentials that must never appear; `$(System.AccessToken)` and `$(VAR)` macros are fine.
SECRET_PATTERNS = {
    "key/secret/password/token assigned a literal": re.compile(
        r"(?i)\b[\w-]*(password|passwd|secret|token|apikey|api_key|accountkey|access_key|client_secret)"
        r"[\w-]*\s*[:=]\s*['\"]?(?!\$\(|\$\{|\$[A-Za-z_]|[a-z][a-z0-9+.-]*://)[A-Za-z0-9+/=_\-.~]{8,}"
    ),
    "storage connection string": re.compile(
        r"(?i)AccountKey=|SharedAccessSignature=|\bsig=[A-Za-z0-9%]{10,}"
    ),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Azure DevOps PAT-like string": re.compile(r"\b[a-z2-7]{52}\b"),
    "GUID (subscription/tenant/client ids come from service connections)": re.compile(
        r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
    ),
    "bearer token literal": re.compile(r"(?i)bearer\s+[A-Za-z0-9\-_.]{20,}"),
}


PUBLIC_IDS: dict[str, str] = {
    "499b84ac-1321-427f-aa17-267ca6975798": "Azure DevOps' first-party application (the token resource)",
}
"""Well-known public identifiers that are no tenant's secret or configuration."""


def secret_findings(text: str) -> list[str]:
    """Return the names of the secret patterns ``text`` matches (well-known public ids aside)."""
    for public in PUBLIC_IDS:
        text = text.replace(public, "")
    return [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]


@pytest.mark.parametrize("path", YAML_FILES + SCRIPT_FILES, ids=lambda p: p.name)
def test_no_inline_secret(path: Path) -> None:
    assert secret_findings(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "leak",
    [
        "ARM_CLIENT_SECRET: 'Xy7~abcdefghijklmnop'",
        "password=hunter2hunter2",
        "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==",
        "-----BEGIN RSA PRIVATE KEY-----",
        "token: abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst",
        "subscription: 2b7d9c4e-5f3a-4e1b-8c6d-7a9e0f1b2c34",
        "Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi",
    ],
)
def test_secret_scan_catches_literals(leak: str) -> None:
    assert secret_findings(leak) != []


@pytest.mark.parametrize(
    "fine",
    [
        "SYSTEM_ACCESSTOKEN: $(System.AccessToken)",
        'export ARM_OIDC_TOKEN="$idToken"',
        "AZURE_FEDERATED_TOKEN_FILE: $(AZURE_FEDERATED_TOKEN_FILE)",
        'secrets_provider="azurekeyvault://kv.vault.azure.net/keys/pulumi-secrets"',
        'SMOKE_AUTH_HEADER="Bearer $(az account get-access-token --resource https://ml.azure.com)"',
    ],
)
def test_secret_scan_allows_references(fine: str) -> None:
    assert secret_findings(fine) == []


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_no_continue_on_error(path: Path) -> None:
    keys = [
        p for p, _ in walk(load_yaml(path)) if isinstance(p[-1], str) and p[-1].lower() == "continueonerror"
    ]
    assert keys == []
    assert "continueonerror" not in path.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_tasks_pin_their_major_version(path: Path) -> None:
    names = [value for p, value in walk(load_yaml(path)) if p[-1] == "task"]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*@[0-9]+", name) for name in names), names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_no_conditional_or_loop_insertions(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.findall(r"\$\{\{\s*(if|elseif|else|each)\b", text) == []


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_hosted_images_are_pinned(path: Path) -> None:
    assert "-latest" not in path.read_text(encoding="utf-8")


def test_every_step_that_signs_in_uses_workload_identity() -> None:
    for path in YAML_FILES:
        for p, value in walk(load_yaml(path)):
            if p[-1] == "task" and value == "AzureCLI@2":
                assert path.name in {"azure-cli.yml", "pulumi.yml", "release-git.yml"}, (
                    f"{path.name} signs in outside the templates"
                )
    for name in ("azure-cli.yml", "pulumi.yml"):
        template = load_yaml(PIPELINES / "templates" / name)
        (step,) = template["steps"]
        assert step["inputs"]["addSpnToEnvironment"] == "true"
        assert step["inputs"]["inlineScript"].startswith(
            "set -euo pipefail\nsource pipelines/scripts/azure-env.sh\n"
        )


def test_release_git_template_exposes_no_federated_token() -> None:
    """The release writer's sign-in only serves stack-commit.sh's token: no ARM_* or idToken."""
    (step,) = load_yaml(PIPELINES / "templates" / "release-git.yml")["steps"]
    assert step["task"] == "AzureCLI@2"
    assert step["inputs"]["addSpnToEnvironment"] == "false"
    assert step["inputs"]["allowNoSubscriptions"] == "true"
    assert "azure-env.sh" not in step["inputs"]["inlineScript"]
