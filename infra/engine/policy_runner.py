"""The offline policy run: every rule of the pack on a captured plan, without a policy server.

``evaluate`` is what ``estate preview`` calls. It turns plan entries (docs/architecture.md)
into the argument objects the Pulumi policy SDK passes to validations and calls each
policy's ``validate`` directly, as the CrossGuard analyzer would:

* resource policies see every resource's inputs (camelCase), options and provider;
* stack policies see every resource with its parent, dependencies and property dependencies.
  Plans carry no property dependencies, so a top-level input whose value (at any depth) is
  another resource's id counts as depending on that resource, which is what passing
  ``other.id`` into an input records in a real run;
* each policy gets ``{"environment": <stack environment>}`` as its config, like
  ``policy/config/<stack>.json`` gives it in a real run;
* ``retainOnDelete`` is passed on as an extra option attribute, which the real engine lacks.

The stack's enforcement level applies to every violation, except that a policy declared
advisory stays advisory; disabled policies do not run.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from infra.errors import ConfigError
from policy.rules import ALL_POLICIES
from policy.rules.common import ENVIRONMENTS, RETAIN_ON_DELETE_OPTION, iter_strings

ENFORCEMENT_LEVELS: tuple[str, ...] = ("mandatory", "advisory")
"""Stack enforcement levels ``evaluate`` accepts."""


@dataclass(frozen=True)
class Violation:
    """One policy violation, attributed to a resource URN (``None`` for the stack as a whole)."""

    policy: str
    message: str
    urn: str | None
    enforcement: str

    def to_json(self) -> dict[str, str | None]:
        """The violation as it appears in the plan's ``policy.violations``."""
        return {
            "policy": self.policy,
            "message": self.message,
            "urn": self.urn,
            "enforcement": self.enforcement,
        }


class PlanResourceOptions(PolicyResourceOptions):
    """Policy resource options plus ``retain_on_delete``, which plans record and the SDK omits."""

    def __init__(self, *, retain_on_delete: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        setattr(self, RETAIN_ON_DELETE_OPTION, retain_on_delete)


def evaluate(
    resources: list[dict[str, Any]],
    *,
    environment: str,
    enforcement: str,
    policies: Sequence[Policy] | None = None,
) -> list[Violation]:
    """Run every policy (default: the whole pack) on ``resources``; violations sorted by URN, policy, message."""
    if environment not in ENVIRONMENTS:
        raise ConfigError(
            f"unknown environment {environment!r}; allowed: {', '.join(ENVIRONMENTS)}", key="environment"
        )
    if enforcement not in ENFORCEMENT_LEVELS:
        raise ConfigError(
            f"unknown enforcement level {enforcement!r}; allowed: {', '.join(ENFORCEMENT_LEVELS)}",
            key="enforcement",
        )
    plan = [r for r in resources if r.get("type") != "pulumi:pulumi:Stack"]
    by_urn = {r["urn"]: r for r in plan}
    config = {"environment": environment}
    resource_args = [
        ResourceValidationArgs(
            entry["type"],
            unknown_checking_proxy(copy.deepcopy(entry.get("inputs") or {})),
            entry["urn"],
            entry["name"],
            _options(entry),
            _provider(entry.get("provider"), by_urn),
            config,
        )
        for entry in plan
    ]
    stack_args = StackValidationArgs(_stack_resources(plan, by_urn), config)
    violations: list[Violation] = []

    for policy in policies if policies is not None else ALL_POLICIES:
        level = _effective_level(policy, enforcement)
        if level is None:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for args in resource_args:
                # As in the CrossGuard analyzer, a resource violation belongs to the resource validated.
                _run(policy.validate, args, _reporter(violations, policy.name, level, fixed_urn=args.urn))
        elif isinstance(policy, StackValidationPolicy):
            _run(policy.validate, stack_args, _reporter(violations, policy.name, level, fixed_urn=None))

    return sorted(violations, key=lambda v: (v.urn or "", v.policy, v.message))


def _reporter(
    sink: list[Violation], policy: str, level: str, *, fixed_urn: str | None
) -> Callable[[str, str | None], None]:
    """A ``report_violation`` callback appending to ``sink`` (resource policies pin the URN)."""

    def report(message: str, urn: str | None = None) -> None:
        sink.append(Violation(policy, message, fixed_urn or urn or None, level))

    return report


def _effective_level(policy: Policy, stack_level: str) -> str | None:
    """The stack's level, except that advisory policies stay advisory; ``None`` when disabled."""
    if policy.enforcement_level == EnforcementLevel.DISABLED:
        return None
    if policy.enforcement_level == EnforcementLevel.ADVISORY:
        return "advisory"
    return stack_level


def _run(validate: Callable[[Any, Any], Any], args: Any, report: Callable[[str, str | None], None]) -> None:
    """Call a validation, awaiting it when async; unknown values and not-applicable end it quietly."""
    try:
        result = validate(args, report)
        if isawaitable(result):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(result)
            finally:
                loop.close()
    except (UnknownValueError, _NotApplicableError):
        return


def _options(entry: Mapping[str, Any]) -> PlanResourceOptions:
    timeouts = entry.get("customTimeouts") or {}
    return PlanResourceOptions(
        protect=bool(entry.get("protect", False)),
        ignore_changes=list(entry.get("ignoreChanges") or []),
        delete_before_replace=entry.get("deleteBeforeReplace"),
        aliases=[a for a in entry.get("aliases") or [] if isinstance(a, str)],
        custom_timeouts=PolicyCustomTimeouts(
            _seconds(timeouts.get("create")),
            _seconds(timeouts.get("update")),
            _seconds(timeouts.get("delete")),
        ),
        additional_secret_outputs=[],
        parent=entry.get("parent"),
        retain_on_delete=bool(entry.get("retainOnDelete", False)),
    )


def _seconds(value: Any) -> float:
    """A custom timeout as seconds: numbers pass through, Go-style ``"30m"``/``"2h"``/``"45s"`` are parsed."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value[:-1].replace(".", "", 1).isdigit() and value[-1] in "smh":
        return float(value[:-1]) * {"s": 1, "m": 60, "h": 3600}[value[-1]]
    return 0.0


def _provider(
    reference: str | None, by_urn: Mapping[str, Mapping[str, Any]]
) -> PolicyProviderResource | None:
    """The provider a resource names (``<urn>`` or ``<urn>::<id>``), as the SDK describes it."""
    if not reference:
        return None
    urn = reference if reference in by_urn else reference.rsplit("::", 1)[0]
    entry = by_urn.get(urn)
    if entry is not None:
        return PolicyProviderResource(entry["type"], dict(entry.get("inputs") or {}), urn, entry["name"])
    # A provider outside the plan (e.g. a default provider): its type and name come from the URN.
    name = urn.rsplit("::", 1)[-1]
    qualified_type = urn.rsplit("::", 2)[-2] if urn.count("::") >= 2 else ""
    return PolicyProviderResource(qualified_type.rsplit("$", 1)[-1], {}, urn, name)


def _stack_resources(
    plan: Sequence[Mapping[str, Any]], by_urn: Mapping[str, Mapping[str, Any]]
) -> list[PolicyResource]:
    """Every plan entry as a ``PolicyResource`` with parent, dependencies and property dependencies linked."""
    ids = {str(r["id"]).lower(): r["urn"] for r in plan if r.get("id")}
    built: dict[str, PolicyResource] = {}
    for entry in plan:
        props = {**(entry.get("outputs") or {}), **(entry.get("inputs") or {})}
        built[entry["urn"]] = PolicyResource(
            entry["type"],
            unknown_checking_proxy(copy.deepcopy(props)),
            entry["urn"],
            entry["name"],
            _options(entry),
            _provider(entry.get("provider"), by_urn),
            None,
            [],
            {},
        )
    for entry in plan:
        resource = built[entry["urn"]]
        parent = entry.get("parent")
        resource.parent = built.get(parent) if parent else None
        resource.dependencies = [built[u] for u in entry.get("dependencies") or [] if u in built]
        for key, targets in _property_dependencies(entry, ids).items():
            resource.property_dependencies[key] = [built[u] for u in targets]
    return list(built.values())


def _property_dependencies(entry: Mapping[str, Any], ids: Mapping[str, str]) -> dict[str, list[str]]:
    """Top-level input key → URNs of the resources whose id appears in that input."""
    found: dict[str, list[str]] = {}
    for key, value in (entry.get("inputs") or {}).items():
        urns = _dedupe(ids[s.lower()] for _, s in iter_strings(value) if s.lower() in ids)
        urns = [u for u in urns if u != entry["urn"]]
        if urns:
            found[key] = urns
    return found


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
