"""The camelCase input paths the cost rules read, as the real SDK classes send them."""

from __future__ import annotations

import pytest

from infra.cost import estimate_cost


def test_sdk_input_shapes(sdk_resources):
    aks = sdk_resources["aks"]["inputs"]
    assert aks["sku"]["tier"] == "Standard"
    assert [
        (p["vmSize"], p.get("enableAutoScaling"), p.get("minCount"), p.get("maxCount"), p["count"])
        for p in aks["agentPoolProfiles"]
    ] == [("Standard_D4s_v3", None, None, None, 2), ("Standard_F4s_v2", True, 0, 3, 1)]
    blue = sdk_resources["blue"]["inputs"]
    # azure-native v3 sends `properties`, not `onlineDeploymentProperties`
    assert "onlineDeploymentProperties" not in blue
    assert (blue["properties"]["instanceType"], blue["sku"]["capacity"]) == ("Standard_F4s_v2", 2)
    # the SDK fills the other TargetUtilization defaults (minInstances 1, 70 %, PT1S)
    assert sdk_resources["green"]["inputs"]["properties"]["scaleSettings"] == {
        "scaleType": "TargetUtilization",
        "maxInstances": 4,
        "minInstances": 1,
        "targetUtilizationPercentage": 70,
        "pollingInterval": "PT1S",
    }
    cluster = sdk_resources["cpu-cluster"]["inputs"]["properties"]
    assert cluster["computeType"] == "AmlCompute"
    assert cluster["properties"]["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 4}
    assert sdk_resources["agents"]["inputs"]["sku"] == {"name": "Standard_D2s_v3", "capacity": 2}
    pool = sdk_resources["pool"]
    assert pool["type"] == "azuredevops:index/elasticPool:ElasticPool"
    assert pool["inputs"]["azureResourceId"] == sdk_resources["agents"]["id"]
    assert sdk_resources["appi"]["inputs"]["workspaceResourceId"] == sdk_resources["law"]["id"]


EXPECTED = {  # name: (status, idle, load) at the default assumptions, East US, 730 h
    "aks": ("priced", 353.32, 723.43),  # $73 tier + 2×D4s_v3; user pool 0→3×F4s_v2
    "gpu": ("priced", 280.32, 560.64),  # D8s_v3 1→2
    "blue": ("priced", 246.74, 246.74),  # 2×F4s_v2
    "green": ("priced", 246.74, 493.48),  # 2→4×F4s_v2 (TargetUtilization max)
    "k8s": ("free", 0.0, 0.0),
    "cpu-cluster": ("priced", 0.0, 15.36),  # 4 nodes × 40 h × $0.096
    "acr": ("priced", 50.69, 50.69),  # $50 per 30 days over 730 h
    "pe": ("priced", 7.30, 7.50),
    "zone": ("priced", 0.50, 0.50),
    "law": ("priced", 9.09, 90.95),  # 0.1 / 1.0 GB per day × 730/24 × $2.99
    "appi": ("free", 0.0, 0.0),
    "kv": ("priced", 0.03, 1.50),
    "st": ("priced", 1.30, 9.00),
    "dbw": ("priced", 0.0, 76.16),  # 100 × $0.30 + 20 × $0.55 + 120 h × $0.293
    "adf": ("priced", 0.0, 3.75),
    "ep1": ("priced", 157.72, 157.72),
    "y1": ("priced", 0.0, 1.80),  # 1M paid executions $0.20 + 100K paid GB-s $1.60
    "agents": ("priced", 70.08, 116.16),  # elastic: 1 idle agent; 3 more for 160 h
    "pool": ("free", 0.0, 0.0),
    "topic": ("priced", 0.0, 0.60),
}


def test_every_sdk_resource_prices_exactly(sdk_resources):
    report = estimate_cost({"stack": "test", "resources": list(sdk_resources.values())})
    got = {line["name"]: (line["status"], line["idle_usd"], line["load_usd"]) for line in report["resources"]}
    assert got == EXPECTED
    assert report["totals"]["idle_usd"] == pytest.approx(sum(v[1] for v in EXPECTED.values()), abs=0.03)
    assert report["totals"]["unpriced"] == 0
