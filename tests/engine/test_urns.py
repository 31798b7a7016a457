"""URNs as the Pulumi engine forms them, and matching an older plan (old URN forms, aliases)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.engine.diff import changes
from infra.engine.urns import align, canonical_urns, new_urn

STACK = "urn:pulumi:qa::p::pulumi:pulumi:Stack::p-qa"


@pytest.mark.parametrize(
    ("parent", "type_", "expected"),
    [
        (None, "pulumi:pulumi:Stack", "urn:pulumi:qa::p::pulumi:pulumi:Stack::n"),
        (STACK, "my:mod:Comp", "urn:pulumi:qa::p::my:mod:Comp::n"),
        ("urn:pulumi:qa::p::my:mod:Comp::c", "az:net:Pe", "urn:pulumi:qa::p::my:mod:Comp$az:net:Pe::n"),
        (
            "urn:pulumi:qa::p::my:mod:Comp$my:mod:Inner::i",
            "az:net:Pe",
            "urn:pulumi:qa::p::my:mod:Comp$my:mod:Inner$az:net:Pe::n",
        ),
    ],
)
def test_new_urn_prefixes_the_parents_whole_chain_but_never_the_root_stack(
    parent: str | None, type_: str, expected: str
) -> None:
    assert new_urn("qa", "p", parent, type_, "n") == expected


def _r(urn: str, type_: str, name: str, parent: str | None, **extra: Any) -> dict[str, Any]:
    return {"urn": urn, "type": type_, "name": name, "parent": parent, "custom": True, "inputs": {}, **extra}


def _old_form_plan() -> dict[str, Any]:
    """A plan written by an engine that prefixed the root stack and only the parent's own type."""
    comp = "urn:pulumi:qa::p::pulumi:pulumi:Stack$my:mod:Comp::c"
    inner = "urn:pulumi:qa::p::my:mod:Comp$my:mod:Inner::i"
    return {
        "resources": [
            _r(STACK, "pulumi:pulumi:Stack", "p-qa", None, custom=False),
            _r(comp, "my:mod:Comp", "c", STACK, custom=False),
            _r(inner, "my:mod:Inner", "i", comp, custom=False),
            _r("urn:pulumi:qa::p::my:mod:Inner$az:net:Pe::pe", "az:net:Pe", "pe", inner, dependencies=[comp]),
        ]
    }


def test_an_old_form_plan_is_recomputed_from_types_names_and_parents() -> None:
    assert sorted(canonical_urns(_old_form_plan()).values()) == [
        "urn:pulumi:qa::p::my:mod:Comp$my:mod:Inner$az:net:Pe::pe",
        "urn:pulumi:qa::p::my:mod:Comp$my:mod:Inner::i",
        "urn:pulumi:qa::p::my:mod:Comp::c",
        STACK,
    ]
    aligned = align(_old_form_plan(), {"resources": []})
    pe = aligned["resources"][-1]
    assert pe["parent"] == "urn:pulumi:qa::p::my:mod:Comp$my:mod:Inner::i"
    assert pe["dependencies"] == ["urn:pulumi:qa::p::my:mod:Comp::c"]


def _moved(aliases: list[str]) -> dict[str, Any]:
    """The new plan: the endpoint moved from Comp into a Wrapper component inside Comp."""
    comp = "urn:pulumi:qa::p::my:mod:Comp::c"
    wrapper = "urn:pulumi:qa::p::my:mod:Comp$my:mod:Wrapper::w"
    return {
        "resources": [
            _r(STACK, "pulumi:pulumi:Stack", "p-qa", None, custom=False),
            _r(comp, "my:mod:Comp", "c", STACK, custom=False),
            _r(wrapper, "my:mod:Wrapper", "w", comp, custom=False),
            _r(
                "urn:pulumi:qa::p::my:mod:Comp$my:mod:Wrapper$az:net:Pe::pe",
                "az:net:Pe",
                "pe",
                wrapper,
                aliases=aliases,
            ),
        ]
    }


def _before_the_move() -> dict[str, Any]:
    comp = "urn:pulumi:qa::p::my:mod:Comp::c"
    return {
        "resources": [
            _r(STACK, "pulumi:pulumi:Stack", "p-qa", None, custom=False),
            _r(comp, "my:mod:Comp", "c", STACK, custom=False),
            _r("urn:pulumi:qa::p::my:mod:Comp$az:net:Pe::pe", "az:net:Pe", "pe", comp),
        ]
    }


def test_a_resource_moved_with_a_parent_alias_is_the_same_resource() -> None:
    moved = _moved(["name=|type=|parent=urn:pulumi:qa::p::my:mod:Comp::c"])
    assert [(c["action"], c["type"]) for c in changes(_before_the_move(), moved)] == [
        ("create", "my:mod:Wrapper")
    ]


def test_without_the_alias_the_move_is_a_delete_and_a_create() -> None:
    assert sorted((c["action"], c["type"]) for c in changes(_before_the_move(), _moved([]))) == [
        ("create", "az:net:Pe"),
        ("create", "my:mod:Wrapper"),
        ("delete", "az:net:Pe"),
    ]


def test_a_whole_urn_alias_matches_too() -> None:
    moved = _moved(["urn:pulumi:qa::p::my:mod:Comp$az:net:Pe::pe"])
    assert [c["action"] for c in changes(_before_the_move(), moved)] == ["create"]
