"""Assertions over a captured plan, in the style of AWS CDK's ``assertions.Template``.

    t = Template.from_stack("prod")
    t.resource_count_is("azure-native:keyvault:Vault", 1)
    t.has_resource_properties("azure-native:keyvault:Vault",
                              {"properties": {"enablePurgeProtection": True, "publicNetworkAccess": "Disabled"}})
    t.has_resource("azure-native:keyvault:Vault", {"protect": True})
    t.has_resource_properties("azure-native:storage:StorageAccount", {"isHnsEnabled": ABSENT})

Matching is deep and partial for dicts; lists match element by element unless wrapped in
``Match.array_with``. ``ABSENT`` asserts a key is not there. Failures say what was expected
and list the candidates' actual values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from infra.engine import preview, preview_function


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()
"""The key must not be present."""


class Match:
    """Matchers for values inside expected property trees."""

    def __init__(self, check: Callable[[Any], bool], description: str) -> None:
        self._check = check
        self._description = description

    def __call__(self, value: Any) -> bool:
        return self._check(value)

    def __repr__(self) -> str:
        return self._description

    @staticmethod
    def any_value() -> Match:
        """Any present, non-null value."""
        return Match(lambda v: v is not None, "Match.any_value()")

    @staticmethod
    def string_like(pattern: str) -> Match:
        """A string matching the regular expression (search)."""
        return Match(
            lambda v: isinstance(v, str) and re.search(pattern, v) is not None,
            f"Match.string_like({pattern!r})",
        )

    @staticmethod
    def array_with(items: list[Any]) -> Match:
        """A list containing items that match each of ``items`` (in any order)."""
        return Match(
            lambda v: isinstance(v, list) and all(any(matches(i, e) for e in v) for i in items),
            f"Match.array_with({items!r})",
        )

    @staticmethod
    def exact(value: Any) -> Match:
        """Exactly this value (no partial dict matching)."""
        return Match(lambda v: v == value, f"Match.exact({value!r})")


def matches(expected: Any, actual: Any) -> bool:
    """Deep partial match of ``actual`` against ``expected``."""
    if isinstance(expected, Match):
        return expected(actual)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        for key, value in expected.items():
            if value is ABSENT:
                if key in actual:
                    return False
            elif key not in actual or not matches(value, actual[key]):
                return False
        return True
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return expected == actual


class Template:
    """A plan with assertion helpers."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan

    @classmethod
    def from_stack(
        cls, stack: str, overrides: dict[str, Any] | None = None, *, policy: bool = False
    ) -> Template:
        """Preview a stack of this project offline."""
        return cls(preview(stack, overrides=overrides, policy=policy))

    @classmethod
    def from_function(cls, fn: Callable[[], Any]) -> Template:
        """Run ``fn`` (which builds a component) as a program and capture its plan."""
        return cls(preview_function(fn))

    # -- finding ----------------------------------------------------------------------------
    @property
    def resources(self) -> list[dict[str, Any]]:
        return self.plan["resources"]

    def find_resources(self, type_: str, props: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Resources of ``type_`` whose inputs match ``props`` (partially)."""
        return [
            r for r in self.resources if r["type"] == type_ and (props is None or matches(props, r["inputs"]))
        ]

    def resource(self, type_: str, name: str) -> dict[str, Any]:
        """The one resource of ``type_`` with logical name ``name``."""
        found = [r for r in self.resources if r["type"] == type_ and r["name"] == name]
        if len(found) != 1:
            names = sorted(r["name"] for r in self.resources if r["type"] == type_)
            raise AssertionError(f"expected one {type_} named {name!r}; found {len(found)} (names: {names})")
        return found[0]

    def by_urn(self, urn: str) -> dict[str, Any]:
        for resource in self.resources:
            if resource["urn"] == urn:
                return resource
        raise AssertionError(f"no resource with urn {urn}")

    # -- asserting --------------------------------------------------------------------------
    def resource_count_is(self, type_: str, count: int) -> None:
        found = self.find_resources(type_)
        assert len(found) == count, (
            f"expected {count} {type_}, found {len(found)}: {[r['name'] for r in found]}"
        )

    def has_resource_properties(self, type_: str, props: dict[str, Any]) -> dict[str, Any]:
        """At least one ``type_`` resource has inputs matching ``props``; returns the first."""
        found = self.find_resources(type_, props)
        if not found:
            candidates = [json.dumps(r["inputs"], sort_keys=True)[:600] for r in self.find_resources(type_)]
            raise AssertionError(
                f"no {type_} matches {props!r}\ncandidates ({len(candidates)}):\n  " + "\n  ".join(candidates)
            )
        return found[0]

    def all_resources_properties(self, type_: str, props: dict[str, Any]) -> None:
        """Every ``type_`` resource (at least one) has inputs matching ``props``."""
        every = self.find_resources(type_)
        assert every, f"no {type_} in the plan"
        bad = [r["name"] for r in every if not matches(props, r["inputs"])]
        assert not bad, f"{type_} not matching {props!r}: {bad}"

    def has_resource(self, type_: str, entry: dict[str, Any]) -> dict[str, Any]:
        """At least one ``type_`` resource whose plan entry (options, parent...) matches ``entry``."""
        found = [r for r in self.find_resources(type_) if matches(entry, r)]
        if not found:
            actual = [{k: r.get(k) for k in entry} for r in self.find_resources(type_)]
            raise AssertionError(f"no {type_} entry matches {entry!r}; actual: {actual}")
        return found[0]

    def has_output(self, key: str, value: Any = None) -> Any:
        assert key in self.plan["outputs"], (
            f"no stack output {key!r}; outputs: {sorted(self.plan['outputs'])}"
        )
        if value is not None:
            assert matches(value, self.plan["outputs"][key]), f"output {key} = {self.plan['outputs'][key]!r}"
        return self.plan["outputs"][key]

    def count_by_type(self) -> dict[str, int]:
        """``{type: count}`` over the whole plan (for exact per-stack counts)."""
        counts: dict[str, int] = {}
        for resource in self.resources:
            counts[resource["type"]] = counts.get(resource["type"], 0) + 1
        return dict(sorted(counts.items()))
