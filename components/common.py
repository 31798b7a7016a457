"""What every component shares: argument validation, lifecycle options, diagnostics defaults.

Components take a ``TypedDict`` of args (documented, Required/Optional with ``@default``),
validate them at construction with messages naming the input, and never read config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

import pulumi

from infra.errors import ConfigError

A = TypeVar("A")


class LifecycleArgs(TypedDict):
    """How a component's stateful children behave on delete."""

    protect: NotRequired[bool]
    """Optional. ``protect`` stateful children (refuse delete/replace). @default False"""
    retain_on_delete: NotRequired[bool]
    """Optional. Leave data-bearing children in Azure when they leave the stack. @default False"""


class ProgramConfigError(ConfigError, pulumi.RunError):
    """A configuration error raised while the program runs, including inside an ``apply`` (e.g. a
    pinned version the registry does not have). Being a ``pulumi.RunError``, the Pulumi language
    host prints it as one line without a traceback; being a ``ConfigError``, the offline engine
    exits 2 on it. An error raised inside an ``apply`` reaches the host from the SDK's wait for
    outstanding registrations, not through the program's own ``try``, so it must be both."""


def arg_error(component: str, arg: str, message: str) -> ConfigError:
    """An invalid component argument: ``<Component> args.<arg>: <message>``."""
    return ConfigError(message, key=f"{component} args.{arg}")


def require(component: str, args: Mapping[str, Any], *names: str) -> None:
    """Raise when any required arg is missing or empty."""
    for name in names:
        value = args.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise arg_error(component, name, "is required")


def check_unknown_args(component: str, args: Mapping[str, Any], allowed: type) -> None:
    """Reject args the component does not define (typos would otherwise be silently ignored)."""
    known = set(getattr(allowed, "__annotations__", {}))
    for base in getattr(allowed, "__orig_bases__", ()):
        known |= set(getattr(base, "__annotations__", {}))
    for name in args:
        if name not in known:
            raise arg_error(
                component, name, f"is not an argument of {component} (arguments: {', '.join(sorted(known))})"
            )


def stateful_options(
    parent: pulumi.Resource, lifecycle: LifecycleArgs | None, *, data_bearing: bool, **extra: Any
) -> pulumi.ResourceOptions:
    """Options for a stateful child: parent, protect, and retain-on-delete for data-bearing ones."""
    lifecycle = lifecycle or {}
    return pulumi.ResourceOptions(
        parent=parent,
        protect=bool(lifecycle.get("protect", False)),
        retain_on_delete=bool(lifecycle.get("retain_on_delete", False)) and data_bearing,
        **extra,
    )


@dataclass(frozen=True)
class ArgRule(Generic[A]):
    """One validation rule of a component's args: when ``broken(args)``, ``key`` is wrong.

    The shape of CDK's ``validate-queue-props.ts``: a component lists its rules as data and
    :func:`validate` walks them in order before the first child exists.
    """

    broken: Callable[[A], bool]
    """True when the args break the rule."""
    key: str
    """The argument at fault (``max_capacity``, ``training_cluster.name``)."""
    message: str | Callable[[A], str]
    """What is wrong and what is allowed (a function when it quotes the bad value)."""


def validate(component: str, args: A, rules: Sequence[ArgRule[A]]) -> None:
    """Raise ``<Component> args.<key>: <message>`` for the first rule ``args`` break."""
    for rule in rules:
        if rule.broken(args):
            message = rule.message(args) if callable(rule.message) else rule.message
            raise arg_error(component, rule.key, message)
