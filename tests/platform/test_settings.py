"""Platform settings: address plans, AKS ranges, registry writer and FQDN rules as config errors."""

from __future__ import annotations

from typing import Any

import pytest

from infra.engine import preview
from infra.errors import ConfigError

QA_NETWORK: dict[str, Any] = {
    "addressSpace": "10.20.0.0/16",
    "subnets": {
        "privateEndpoints": "10.20.0.0/24",
        "agents": "10.20.1.0/24",
        "functions": "10.20.2.0/26",
        "aks": "10.20.4.0/22",
    },
}


@pytest.mark.parametrize(
    ("stack", "overrides", "key", "text"),
    [
        (
            "prod",
            {"mlops-estate:workspace": {"publicNetworkAccess": True}},
            "mlops-estate:workspace.publicNetworkAccess",
            "prod workspaces are private; publicNetworkAccess must be false",
        ),
        (
            "qa",
            {"mlops-estate:network": {**QA_NETWORK, "privateEndpoints": False}},
            "mlops-estate:network.privateEndpoints",
            "qa requires private networking; privateEndpoints must be true",
        ),
        (
            "qa",
            {"mlops-estate:aks": {"podCidr": "10.20.128.0/17"}},
            "mlops-estate:aks.podCidr",
            "aks.podCidr 10.20.128.0/17 overlaps network.addressSpace 10.20.0.0/16",
        ),
        (
            "qa",
            {"mlops-estate:aks": {"serviceCidr": "10.244.0.0/24"}},
            "mlops-estate:aks",
            "podCidr 10.244.0.0/16 overlaps serviceCidr 10.244.0.0/24",
        ),
        (
            "qa",
            {
                "mlops-estate:network": {
                    **QA_NETWORK,
                    "subnets": {**QA_NETWORK["subnets"], "aks": "10.20.1.0/24"},
                }
            },
            "mlops-estate:network",
            "subnets.agents 10.20.1.0/24 overlaps subnets.aks 10.20.1.0/24",
        ),
        (
            "dev",
            {
                "mlops-estate:workspace": {
                    "isolationMode": "AllowInternetOutbound",
                    "outboundFqdns": ["pypi.org"],
                }
            },
            "mlops-estate:workspace",
            "outboundFqdns only apply with isolationMode AllowOnlyApprovedOutbound",
        ),
        (
            "prod",
            {"mlops-estate:workspace": {"outboundFqdns": ["https://pypi.org"]}},
            "mlops-estate:workspace",
            "outboundFqdns entry 'https://pypi.org' is not a host name",
        ),
        (
            "prod",
            {"mlops-estate:aks": {"inferenceHostname": "Scoring_Prod"}},
            "mlops-estate:aks.inferenceHostname",
            "should match pattern",
        ),
    ],
)
def test_bad_platform_settings_are_config_errors(stack, overrides, key, text):
    with pytest.raises(ConfigError) as err:
        preview(stack, overrides=overrides, policy=False)
    message = str(err.value)
    assert f"Pulumi.{stack}.yaml" in message
    assert key in message
    assert text in message
