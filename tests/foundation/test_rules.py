"""Cross-field rules as data (infra/settings/rules.py) and the stack rule tables."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from infra.settings.rules import Rule, first_violation, when
from infra.settings.stack import COMMON_RULES, ENVIRONMENT_RULES, OPERATIONS_RULES


@dataclass
class Subject:
    size: int
    names: tuple[str, ...] = ()


RULES: tuple[Rule[Subject], ...] = (
    when("size", "size {size} is negative", lambda s: s.size < 0, lambda s: {"size": s.size}),
    Rule("names.{name}", "'{name}' is upper case", lambda s: [{"name": n} for n in s.names if n.isupper()]),
)


@pytest.mark.parametrize(
    ("subject", "path", "message"),
    [
        (Subject(-1, ("A",)), "size", "size -1 is negative"),
        (Subject(1, ("a", "B", "C")), "names.B", "'B' is upper case"),
    ],
)
def test_first_violation_in_table_order(subject, path, message):
    error = first_violation(RULES, subject)
    assert error is not None
    assert error.type == "cross_field"
    assert error.context is not None and error.context["path"] == path
    assert error.message() == message


def test_no_violation():
    assert first_violation(RULES, Subject(1, ("a",))) is None


@pytest.mark.parametrize("table", [COMMON_RULES, ENVIRONMENT_RULES, OPERATIONS_RULES])
def test_every_rule_names_a_key_and_says_what_is_allowed(table):
    assert table
    for rule in table:
        assert rule.key and not rule.key.startswith(("mlops-estate:", "."))
        assert len(rule.message) > 20, rule.key
