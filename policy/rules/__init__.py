"""The estate's policies, importable without starting a policy server.

``ALL_POLICIES`` is the one registry: ``policy/__main__.py`` hands it to ``PolicyPack`` and
``infra.engine.policy_runner`` calls each policy's ``validate`` directly for the offline preview.
"""

from __future__ import annotations

from pulumi_policy import Policy

from policy.rules import (
    devops,
    diagnostics,
    encryption,
    identity,
    lifecycle,
    models,
    naming,
    network,
    security,
    tags,
)

ALL_POLICIES: list[Policy] = [
    *network.POLICIES,
    *identity.POLICIES,
    *encryption.POLICIES,
    *diagnostics.POLICIES,
    *lifecycle.POLICIES,
    *naming.POLICIES,
    *models.POLICIES,
    *tags.POLICIES,
    *devops.POLICIES,
    *security.POLICIES,
]
"""Every policy of the pack, grouped by area; names are unique."""

__all__ = ["ALL_POLICIES"]
