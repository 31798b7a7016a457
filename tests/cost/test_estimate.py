"""Price lookups, totals, idle vs load, unpriced types, assumptions and deltas on small plans."""

from __future__ import annotations

import pytest

from infra.cost import cost_delta, estimate_cost, load_assumptions
from infra.cost.tables import load_prices, merge_assumptions
from infra.errors import ConfigError


def res(name, type_, inputs=None, *, custom=True, rid=None):
    return {
        "urn": f"urn:{name}",
        "type": type_,
        "name": name,
        "parent": None,
        "custom": custom,
        "provider": None,
        "id": rid or f"/subscriptions/0/resourceGroups/rg/x/{name}",
        "inputs": inputs or {},
        "outputs": {},
        "dependencies": [],
    }


def plan(*resources, stack="test"):
    return {"schema": "mlops-estate/plan@1", "stack": stack, "resources": list(resources), "outputs": {}}


def deployment(name="blue", instance="Standard_F4s_v2", capacity=1):
    return res(
        name,
        "azure-native:machinelearningservices:OnlineDeployment",
        {
            "properties": {"endpointComputeType": "Managed", "instanceType": instance},
            "sku": {"name": "Default", "capacity": capacity},
        },
    )


def lines(report):
    return {
        line["name"]: (line["status"], line["idle_usd"], line["load_usd"]) for line in report["resources"]
    }


def test_small_plan_totals_idle_and_load():
    aks = res(
        "aks",
        "azure-native:containerservice:ManagedCluster",
        {
            "sku": {"tier": "Free"},
            "agentPoolProfiles": [
                {
                    "name": "sys",
                    "vmSize": "Standard_D2s_v3",
                    "enableAutoScaling": True,
                    "minCount": 1,
                    "maxCount": 3,
                    "count": 1,
                }
            ],
        },
    )
    zone = res("zone", "azure-native:privatedns:PrivateZone")
    rg = res("rg", "azure-native:resources:ResourceGroup")
    comp = res("comp", "mlops:network:Hub", custom=False)
    prov = res("prov", "pulumi:providers:azure-native")
    report = estimate_cost(plan(aks, zone, rg, comp, prov))
    # Free tier: nodes only. idle 1 × $0.096 × 730 = $70.08; load 3 × = $210.24
    assert lines(report) == {
        "aks": ("priced", 70.08, 210.24),
        "zone": ("priced", 0.5, 0.5),
        "rg": ("free", 0.0, 0.0),
    }
    assert report["totals"] == {"idle_usd": 70.58, "load_usd": 210.74, "priced": 2, "free": 1, "unpriced": 0}
    assert [s["key"] for s in report["sources"]] == ["private_dns.zone", "vm.Standard_D2s_v3"]
    assert report["resources"][2]["note"] == "no charge (Infracost FreeResources)"


def test_aks_load_at_count_assumption():
    aks = res(
        "aks",
        "azure-native:containerservice:ManagedCluster",
        {
            "agentPoolProfiles": [
                {
                    "vmSize": "Standard_D2s_v3",
                    "enableAutoScaling": True,
                    "minCount": 1,
                    "maxCount": 3,
                    "count": 2,
                }
            ]
        },
    )
    assumptions = merge_assumptions({"aks": {"load_nodes": "count"}}, file="a.yaml")
    assert lines(estimate_cost(plan(aks), assumptions=assumptions))["aks"] == ("priced", 70.08, 140.16)


def test_unpriced_types_are_listed_never_zero():
    report = estimate_cost(
        plan(
            res("cdn", "azure-native:cdn:Profile"),
            res("acr", "azure-native:containerregistry:Registry", {"sku": {"name": "Standard"}}),
            deployment("gpu", instance="Standard_ND96asr_v4"),
            res("aksp", "azure-native:containerservice:ManagedCluster", {"sku": {"tier": "Premium"}}),
            res("flex", "azure-native:web:AppServicePlan", {"sku": {"name": "FC1"}}),
            deployment("ok"),
        )
    )
    assert report["totals"]["unpriced"] == 5
    assert report["totals"]["idle_usd"] == 123.37  # only "ok": 1 × F4s_v2 × 730
    assert {u["urn"]: u["reason"] for u in report["unpriced"]} == {
        "urn:cdn": "no price rule for this type",
        "urn:acr": "ACR SKU 'Standard': only Basic and Premium prices are confirmed",
        "urn:gpu": "VM size Standard_ND96asr_v4 (properties.instanceType) has no price in prices.yaml",
        "urn:aksp": "AKS tier 'Premium': only Free and Standard are priced (Premium not confirmed)",
        "urn:flex": "App Service plan SKU 'FC1': only Y1 (Consumption) and EP1 are priced "
        "(Flex Consumption meters are not in the reference table)",
    }
    assert lines(report)["cdn"] == ("unpriced", None, None)


def test_vmss_without_elastic_pool_runs_its_capacity():
    vmss = res(
        "agents",
        "azure-native:compute:VirtualMachineScaleSet",
        {"sku": {"name": "Standard_D4s_v3", "capacity": 3}},
    )
    assert lines(estimate_cost(plan(vmss)))["agents"] == ("priced", 420.48, 420.48)


def test_compute_cluster_with_min_nodes_and_assumed_hours():
    cluster = res(
        "cc",
        "azure-native:machinelearningservices:Compute",
        {
            "properties": {
                "computeType": "AmlCompute",
                "properties": {
                    "vmSize": "Standard_D4s_v3",
                    "scaleSettings": {"minNodeCount": 1, "maxNodeCount": 5},
                },
            }
        },
    )
    assumptions = merge_assumptions({"aml_compute": {"busy_hours_per_month": 100}}, file="a.yaml")
    # idle 1 × 0.192 × 730 = 140.16; load + 4 × 100 h × 0.192 = 76.80
    assert lines(estimate_cost(plan(cluster), assumptions=assumptions))["cc"] == ("priced", 140.16, 216.96)


def test_classic_app_insights_and_storage_lrs():
    appi = res("appi", "azure-native:applicationinsights:Component", {"kind": "web"})
    st = res(
        "st", "azure-native:storage:StorageAccount", {"kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
    )
    cool = res(
        "cool",
        "azure-native:storage:StorageAccount",
        {"kind": "StorageV2", "accessTier": "Cool", "sku": {"name": "Standard_LRS"}},
    )
    got = lines(estimate_cost(plan(appi, st, cool)))
    assert got["appi"] == ("priced", 1.15, 11.5)  # 0.5 / 5 GB × $2.30
    assert got["st"] == ("priced", 1.04, 8.74)  # 50 GB × 0.0208; + $5.50 writes + $2.20 reads
    assert got["cool"][0] == "unpriced"


def test_promotion_to_bigger_instance_type_delta():
    old = plan(deployment("blue", "Standard_F4s_v2", 2), res("rg", "azure-native:resources:ResourceGroup"))
    new = plan(deployment("blue", "Standard_D8s_v3", 2), res("rg", "azure-native:resources:ResourceGroup"))
    delta = cost_delta(old, new)
    # 2 × (0.384 − 0.169) × 730 = $313.90
    assert delta["delta"] == {"idle_usd": 313.9, "load_usd": 313.9}
    assert delta["before"]["idle_usd"] == 246.74 and delta["after"]["idle_usd"] == 560.64
    assert delta["resources"] == [
        {
            "urn": "urn:blue",
            "type": "azure-native:machinelearningservices:OnlineDeployment",
            "name": "blue",
            "change": "changed",
            "before": {"status": "priced", "idle_usd": 246.74, "load_usd": 246.74},
            "after": {"status": "priced", "idle_usd": 560.64, "load_usd": 560.64},
            "delta_idle_usd": 313.9,
            "delta_load_usd": 313.9,
        }
    ]


def test_delta_added_and_removed_resources():
    old = plan(res("zone", "azure-native:privatedns:PrivateZone"))
    new = plan(deployment("green"))
    delta = cost_delta(old, new)
    assert [(r["name"], r["change"], r["delta_idle_usd"]) for r in delta["resources"]] == [
        ("green", "added", 123.37),
        ("zone", "removed", -0.5),
    ]
    assert delta["delta"]["idle_usd"] == 122.87


def test_assumptions_file_overrides_and_errors(tmp_path):
    good = tmp_path / "a.yaml"
    good.write_text("log_analytics:\n  gb_per_day_load: 10\n")
    assumptions = load_assumptions(good)
    assert assumptions["log_analytics"] == {"gb_per_day_idle": 0.1, "gb_per_day_load": 10}
    law = res("law", "azure-native:operationalinsights:Workspace", {"sku": {"name": "PerGB2018"}})
    assert lines(estimate_cost(plan(law), assumptions=assumptions))["law"] == ("priced", 9.09, 909.46)

    cases = {
        "nope:\n  x: 1\n": "unknown section 'nope'; allowed: ",
        "storage:\n  gb: 1\n": "storage.gb: unknown key 'gb'; allowed: gb_stored, read_operations_per_month_load",
        "storage:\n  gb_stored: -1\n": "storage.gb_stored: expected a non-negative number, got -1",
        "aks:\n  load_nodes: all\n": "aks.load_nodes: got 'all'; allowed: max, count",
        "- 1\n": "expected a mapping of sections, got list",
        "a: [\n": "not valid YAML",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(ConfigError) as info:
            load_assumptions(bad)
        assert str(info.value).startswith(f"{bad}: ")
        assert message in str(info.value)
    with pytest.raises(ConfigError, match="missing.yaml: file not found"):
        load_assumptions(tmp_path / "missing.yaml")


def test_price_table_rows_have_sources_and_dates():
    prices = load_prices()
    assert prices.region == "eastus" and prices.currency == "USD"
    for key, price in prices.prices.items():
        assert price.source and price.effective[:4].isdigit() and price.confidence in {"H", "M", "L"}, key
    assert (prices.free_reason("azuredevops:index/project:Project") or "").startswith("Azure DevOps objects")
    assert prices.free_reason("azure-native:cdn:Profile") is None


def test_log_analytics_daily_cap_limits_ingestion():
    capped = res(
        "law",
        "azure-native:operationalinsights:Workspace",
        {"sku": {"name": "PerGB2018"}, "workspaceCapping": {"dailyQuotaGb": 0.5}},
    )
    uncapped = res(
        "open",
        "azure-native:operationalinsights:Workspace",
        {"sku": {"name": "PerGB2018"}, "workspaceCapping": {"dailyQuotaGb": -1}},
    )
    got = lines(estimate_cost(plan(capped, uncapped)))
    # load 1.0 GB/day capped at 0.5: 0.5 × 730/24 × $2.99 = $45.47
    assert got == {"law": ("priced", 9.09, 45.47), "open": ("priced", 9.09, 90.95)}
