"""The CrossGuard pack entry: ``pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json``.

Building ``PolicyPack`` starts the analyzer server and never returns, so it happens only when
this file runs as the program; importing it (or ``policy.rules``) builds nothing. The pack
default is mandatory; ``policy/config/<stack>.json`` sets each policy's enforcement level
(advisory in dev) and the ``environment`` that stage-dependent rules read.
"""

from __future__ import annotations

import sys
from pathlib import Path


def build_pack() -> None:
    """Build the policy pack (blocks forever serving the Pulumi engine)."""
    project_root = str(Path(__file__).resolve().parent.parent)
    if project_root not in sys.path:
        # The CLI runs the pack from inside policy/; the rules import as the `policy` package.
        sys.path.insert(0, project_root)

    from pulumi_policy import EnforcementLevel, PolicyPack

    from policy.rules import ALL_POLICIES

    PolicyPack(
        name="mlops-estate",
        policies=ALL_POLICIES,
        enforcement_level=EnforcementLevel.MANDATORY,
        description="Secure defaults, diagnostics, lifecycle, naming, pinning and tagging for the MLOps estate.",
        provider="azure",
        tags=["azure", "mlops", "security"],
    )


if __name__ == "__main__":
    build_pack()
