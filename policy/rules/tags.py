"""Tags: every taggable azure-native resource carries the estate's cost and ownership tags."""

from __future__ import annotations

import json
from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from policy.rules.common import MISSING, Finding, get_path, is_mapping, resource_rule
from policy.rules.taggable_types import TAGGABLE_TYPES

REQUIRED_TAGS: tuple[str, ...] = ("environment", "workload", "owner", "costCenter", "managedBy")
"""Tags every taggable resource must carry, with non-empty values."""


def _required_tags(args: ResourceValidationArgs, env: str) -> Iterator[Finding]:
    tags = get_path(args.props, "tags")
    if not is_mapping(tags):
        yield Finding("tags", tags, "a map with " + ", ".join(REQUIRED_TAGS))
        return
    for key in REQUIRED_TAGS:
        value = tags[key] if key in tags else MISSING
        if not isinstance(value, str) or not value.strip():
            yield Finding(f"tags.{key}", value, "a non-empty string")
        elif key == "environment" and value != env:
            yield Finding(f"tags.{key}", value, f"{json.dumps(env)} (the stack environment)")


POLICIES = [
    resource_rule(
        "required-tags",
        "Taggable Azure resources carry environment, workload, owner, costCenter and managedBy tags.",
        sorted(TAGGABLE_TYPES),
        _required_tags,
        remediation_steps="Apply the estate's common tags from settings to every resource.",
    ),
]
"""The tagging rules, in report order."""
