"""The pack's preview-identity rule and the suppressions file, on plan entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.engine.policy_runner import evaluate
from policy.rules import ALL_POLICIES
from policy.suppressions import FILE, SuppressionError, load, parse

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42f4-8798-11c2ad2ae3a2"
RULE = [p for p in ALL_POLICIES if p.name == "ado-preview-identity-read-only"]
PREFIX = "urn:pulumi:prod::mlops-estate::"


def _entry(
    type_: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "urn": f"{PREFIX}{type_}::{name}",
        "type": type_,
        "name": name,
        "parent": None,
        "custom": True,
        "provider": None,
        "id": f"id-{name}",
        "inputs": inputs,
        "outputs": outputs or {},
        "dependencies": [],
        "protect": False,
        "retainOnDelete": False,
        "ignoreChanges": [],
        "replaceOnChanges": [],
        "deleteBeforeReplace": False,
        "aliases": [],
        "customTimeouts": None,
        "deletedWith": None,
        "read": False,
    }


def _plan(role: str, connection: str = "mlops-estate-prod-preview") -> list[dict[str, Any]]:
    return [
        _entry(
            "azure-native:managedidentity:UserAssignedIdentity",
            "preview-identity",
            {"resourceName": "id-preview"},
            {"clientId": "c-1", "principalId": "p-1"},
        ),
        _entry(
            "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM",
            "preview-connection",
            {"serviceEndpointName": connection, "credentials": {"serviceprincipalid": "c-1"}},
        ),
        _entry(
            "azure-native:authorization:RoleAssignment",
            "preview-role",
            {
                "principalId": "p-1",
                "roleDefinitionId": f"/subscriptions/s/providers/x/roleDefinitions/{role}",
            },
        ),
    ]


def test_preview_identity_with_reader_passes() -> None:
    assert evaluate(_plan(READER), environment="prod", enforcement="mandatory", policies=RULE) == []


def test_preview_identity_with_contributor_fails() -> None:
    found = [
        v.message
        for v in evaluate(_plan(CONTRIBUTOR), environment="prod", enforcement="mandatory", policies=RULE)
    ]
    assert found == [
        f"azure-native:authorization:RoleAssignment 'preview-role': `roleDefinitionId` is \"{CONTRIBUTOR}\"; "
        "expected Reader (a preview identity never writes)"
    ]


def test_a_deployer_connection_may_hold_write_roles() -> None:
    plan = _plan(CONTRIBUTOR, connection="mlops-estate-prod")
    assert evaluate(plan, environment="prod", enforcement="mandatory", policies=RULE) == []


def test_the_shipped_suppressions_are_reasoned() -> None:
    entries = load(FILE)
    assert len(entries) == 28  # prod 16, qa 10, shared 2 (estate scan)
    assert all(len(e.reason) >= 20 and e.setting for e in entries)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("suppressions: {}", "expected a top-level 'suppressions:' list"),
        (
            "suppressions:\n  - {check: CKV_AZURE_1, resource: 'Microsoft.Storage/storageAccounts.*', setting: s, "
            "reason: a reason that is long enough}",
            "suppressions[0].resource: 'Microsoft.Storage/storageAccounts.*' is a pattern",
        ),
        (
            "suppressions:\n  - {check: CKV_AZURE_1, resource: r, setting: s, reason: because}",
            "suppressions[0].reason: 'because' is too short",
        ),
        (
            "suppressions:\n  - {check: CKV_AZURE_1, resource: r, reason: a reason that is long enough}",
            "suppressions[0].setting: is required",
        ),
        (
            "suppressions:\n  - {check: C, resource: r, setting: s, reason: a reason that is long enough}\n"
            "  - {check: C, resource: r, setting: t, reason: another reason that is long enough}",
            "suppressions[1]: C on r is listed twice",
        ),
        (
            "suppressions:\n  - {check: C, resource: r, setting: s, reason: a reason that is long enough, who: me}",
            "suppressions[0].who: unknown field",
        ),
    ],
)
def test_blanket_or_unreasoned_entries_are_refused(text: str, message: str) -> None:
    with pytest.raises(SuppressionError) as err:
        parse(text, "s.yaml")
    assert f"s.yaml: {message}" in str(err.value)


def test_the_pack_skips_a_suppressed_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policy import suppressions

    listed = parse(
        "suppressions:\n  - check: ado-preview-identity-read-only\n"
        "    resource: azure-native:authorization:RoleAssignment::preview-role\n"
        "    setting: roleDefinitionId = Contributor\n    reason: a reason that is long enough to count\n"
    )
    monkeypatch.setattr(suppressions, "load", lambda path=FILE: listed)
    assert evaluate(_plan(CONTRIBUTOR), environment="prod", enforcement="mandatory", policies=RULE) == []
