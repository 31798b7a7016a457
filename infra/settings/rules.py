"""Cross-field rules as data: each rule is a key, a message and what breaks it.

The shape of CDK's ``validate-queue-props.ts``: a table of (condition, key, message) that one
function walks in order, so the rules read as a list and each is testable on its own. A rule
yields the context of every violation it finds (usually none or one); the key and the
message are templates filled from that context. The first violation is raised as a
``cross_field`` error at ``mlops-estate:<key>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic_core import PydanticCustomError

S = TypeVar("S")
Context = dict[str, object]


@dataclass(frozen=True)
class Rule(Generic[S]):
    """One cross-field rule over a settings object ``S``."""

    key: str
    """Key path of the offending setting (``network.privateEndpoints``); may hold ``{names}``."""
    message: str
    """What is wrong and what is allowed; ``{names}`` are filled from the violation's context."""
    violations: Callable[[S], Iterable[Context]]
    """The context of each violation in ``S`` (empty when the rule holds)."""


def when(
    key: str, message: str, broken: Callable[[S], bool], context: Callable[[S], Context] | None = None
) -> Rule[S]:
    """A rule broken when ``broken(settings)`` is true (``context`` fills the message)."""

    def violations(settings: S) -> list[Context]:
        if not broken(settings):
            return []
        return [context(settings) if context is not None else {}]

    return Rule(key, message, violations)


def blame(path: str, message: str, **ctx: object) -> PydanticCustomError:
    """A cross-field error reported at ``mlops-estate:<path>``."""
    return PydanticCustomError("cross_field", message, {"path": path, **ctx})


def first_violation(rules: Sequence[Rule[S]], settings: S) -> PydanticCustomError | None:
    """The error of the first violated rule, in table order (``None`` when all hold)."""
    for rule in rules:
        for ctx in rule.violations(settings):
            return blame(rule.key.format(**ctx), rule.message, **ctx)
    return None


def check(rules: Sequence[Rule[S]], settings: S) -> None:
    """Raise the first violation of ``rules`` (pydantic turns it into a validation error)."""
    error = first_violation(rules, settings)
    if error is not None:
        raise error
