"""The fraud rules engine: load and validate ``rules.yaml``, check a transaction, score it.

A rule fires when every condition of its ``when`` holds; a transaction's score is the sum of
the fired rules' weights, capped at 1, and it is flagged when the score reaches the rule
set's ``threshold``. Pure Python plus PyYAML, shared by the scoring script and the
evaluation step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

OPERATORS = {
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
    "eq": lambda value, bound: value == bound,
    "ne": lambda value, bound: value != bound,
    "in": lambda value, bound: value in bound,
}
FIELD_TYPES = ("number", "integer", "boolean", "category")


class RulesError(ValueError):
    """``rules.yaml`` is malformed (names the key and what is allowed)."""


class InvalidTransaction(ValueError):
    """A transaction does not match the rule set's schema (one message per problem)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    """One rule: every condition must hold for it to fire."""

    id: str
    description: str
    weight: float
    when: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class RuleSet:
    """A versioned set of rules with its request schema and decision threshold."""

    name: str
    version: str
    threshold: float
    schema: dict[str, dict[str, Any]]
    rules: list[Rule]


def load_rules(path: Path) -> RuleSet:
    """Read and validate a rules file; RulesError names the key that is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: cannot read rules: {exc}") from None
    if not isinstance(data, dict):
        raise RulesError(f"{path}: must be a mapping with name, version, threshold, schema and rules")
    for key in ("name", "version", "threshold", "schema", "rules"):
        if key not in data:
            raise RulesError(f"{path}: {key}: required key is missing")
    threshold = data["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise RulesError(f"{path}: threshold: {threshold!r} must be a number in (0, 1]")
    schema = data["schema"]
    if not isinstance(schema, dict) or not schema:
        raise RulesError(f"{path}: schema: must map field names to {{type: ...}}")
    for field, spec in schema.items():
        if not isinstance(spec, dict) or spec.get("type") not in FIELD_TYPES:
            raise RulesError(f"{path}: schema.{field}.type: must be one of {', '.join(FIELD_TYPES)}")
        if spec["type"] == "category" and not isinstance(spec.get("values"), list):
            raise RulesError(f"{path}: schema.{field}.values: a category needs a list of values")
    rules: list[Rule] = []
    seen: set[str] = set()
    if not isinstance(data["rules"], list) or not data["rules"]:
        raise RulesError(f"{path}: rules: must be a non-empty list")
    for index, raw in enumerate(data["rules"]):
        where = f"{path}: rules[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise RulesError(f"{where}: must be a mapping with an id")
        if raw["id"] in seen:
            raise RulesError(f"{where}.id: {raw['id']!r} is used twice")
        seen.add(raw["id"])
        weight = raw.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
            raise RulesError(f"{where}.weight: {weight!r} must be a number in (0, 1]")
        when = raw.get("when")
        if not isinstance(when, dict) or not when:
            raise RulesError(f"{where}.when: must map fields to {{operator: value}}")
        for field, condition in when.items():
            if field not in schema:
                raise RulesError(f"{where}.when.{field}: not a schema field ({', '.join(schema)})")
            if not isinstance(condition, dict) or not condition or set(condition) - set(OPERATORS):
                raise RulesError(f"{where}.when.{field}: operators must be among {', '.join(OPERATORS)}")
        rules.append(
            Rule(id=raw["id"], description=str(raw.get("description", "")), weight=float(weight), when=when)
        )
    return RuleSet(
        name=str(data["name"]),
        version=str(data["version"]),
        threshold=float(threshold),
        schema=schema,
        rules=rules,
    )


def from_text(raw: dict[str, str], schema: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Type the text values of a CSV row by the schema; values that do not parse stay text,
    so :func:`check_transaction` names them."""
    row: dict[str, Any] = {}
    for field, text in raw.items():
        kind = schema.get(field, {}).get("type")
        try:
            if kind == "boolean":
                row[field] = {"true": True, "false": False}.get(text.strip().lower(), text)
            elif kind == "integer":
                row[field] = int(text)
            elif kind == "number":
                row[field] = float(text)
            else:
                row[field] = text
        except (AttributeError, ValueError):
            row[field] = text
    return row


def check_transaction(row: Any, schema: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Validate one transaction against the schema; returns it, or raises InvalidTransaction."""
    if not isinstance(row, dict):
        raise InvalidTransaction(["must be an object keyed by field name"])
    problems = [f"missing {field!r}" for field in schema if field not in row]
    problems += [f"unknown {field!r}" for field in sorted(set(row) - set(schema))]
    for field, spec in schema.items():
        if field not in row:
            continue
        value = row[field]
        kind = spec["type"]
        if kind == "boolean":
            if not isinstance(value, bool):
                problems.append(f"{field}: {value!r} is not true/false")
            continue
        if kind == "category":
            if value not in spec["values"]:
                problems.append(f"{field}: {value!r} is not one of {spec['values']}")
            continue
        numeric = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
        if not numeric or (kind == "integer" and float(value) != int(value)):
            problems.append(
                f"{field}: {value!r} is not {'an integer' if kind == 'integer' else 'a finite number'}"
            )
        elif not spec.get("min", -math.inf) <= value <= spec.get("max", math.inf):
            problems.append(f"{field}: {value!r} is outside [{spec.get('min')}, {spec.get('max')}]")
    if problems:
        raise InvalidTransaction(problems)
    return row


def fired(rule: Rule, row: dict[str, Any]) -> bool:
    """Whether every condition of ``rule`` holds for ``row``."""
    return all(
        OPERATORS[op](row[field], bound)
        for field, condition in rule.when.items()
        for op, bound in condition.items()
    )


def score(rules: RuleSet, row: dict[str, Any]) -> dict[str, Any]:
    """``{"fraud": bool, "score": float, "rules": [ids fired]}`` for a valid transaction."""
    hits = [rule for rule in rules.rules if fired(rule, row)]
    total = round(min(1.0, float(sum(rule.weight for rule in hits))), 4)
    return {"fraud": total >= rules.threshold, "score": total, "rules": [rule.id for rule in hits]}
