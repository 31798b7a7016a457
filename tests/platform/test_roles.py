"""Role catalogue: built-in GUIDs, a reason for each, and nothing privileged."""

from __future__ import annotations

import re

import pytest

from components import roles
from policy.rules.identity import PRIVILEGED_ROLES

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_every_role_has_a_guid_and_a_reason():
    assert len(roles.ALL_ROLES) == 19
    assert len({r.guid for r in roles.ALL_ROLES}) == len(roles.ALL_ROLES)
    for role in roles.ALL_ROLES:
        assert GUID.match(role.guid), role.name
        assert len(role.why) > 40, role.name


def test_no_privileged_role_and_never_contributor():
    names = {r.name for r in roles.ALL_ROLES}
    assert not names & {"Owner", "Contributor", "User Access Administrator"}
    assert not {r.guid for r in roles.ALL_ROLES} & set(PRIVILEGED_ROLES)
    assert "b24988ac-6180-42a0-ab88-20f7382dd24c" not in {
        r.guid for r in roles.ALL_ROLES
    }  # the real Contributor id


def test_published_ids_of_the_roles_that_matter():
    assert roles.AZUREML_REGISTRY_USER.guid == "1823dd4f-9b8c-4ab6-ab4e-7397a3684615"
    assert roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid == "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    assert roles.ACR_PULL.guid == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    assert roles.AZUREML_DATA_SCIENTIST.guid == "f6c7c914-8db3-469d-8ca1-694a8f32e121"


def test_registry_reader_is_read_only():
    assert roles.REGISTRY_READER_ACTIONS == (
        "Microsoft.MachineLearningServices/registries/read",
        "Microsoft.MachineLearningServices/registries/assets/read",
    )


@pytest.mark.parametrize(
    ("parts", "namespace", "expected"),
    [
        (
            ("mlw-dev", "ws-blob", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"),
            roles.ESTATE_NAMESPACE,
            "53e63a1e-8611-54f9-b17b-ac4b3909fdd2",
        ),
        (("deployer", "sub", "id-dev"), roles.DELIVERY_NAMESPACE, "a56c395d-1059-5bed-acd3-02c1a8181426"),
        (("func-dev", "host-blob-owner"), roles.RETRAINING_NAMESPACE, "15a9254b-a52e-540d-bf64-c6d977f7c232"),
        (
            ("mlops-estate", "ep-dev", "registry-reader"),
            roles.URL_NAMESPACE,
            "256142d1-7287-5925-a08f-d23fd4fbd240",
        ),
    ],
)
def test_assignment_names_are_frozen(parts, namespace, expected):
    """Existing assignments keep their names (a new name would replace them in Azure)."""
    assert roles.assignment_name(*parts, namespace=namespace) == expected


def test_new_assignments_use_the_estate_namespace():
    assert roles.assignment_name("a", "b") == roles.assignment_name(
        "a", "b", namespace=roles.ESTATE_NAMESPACE
    )


def test_by_name_covers_every_role():
    assert set(roles.BY_NAME) == {r.name for r in roles.ALL_ROLES}
    assert roles.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR.guid in roles.PRIVILEGED_ROLE_GUIDS
