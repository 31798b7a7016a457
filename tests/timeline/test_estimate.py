"""First-deployment and update estimates on hand-built plans."""

from __future__ import annotations

import pytest

from infra.errors import ConfigError
from infra.timeline import estimate_create, estimate_update
from infra.timeline.durations import load_table, normalize_type

RG = "/subscriptions/0000/resourceGroups/rg-test"


def ids(report):
    return [entry["name"] for entry in report["critical_chain"]]


def test_chain_with_data_edges_and_startup(resource, plan, table):
    t = table({"t:a": (1, 10, 100), "t:b": (2, 20, 200)})
    a = resource("a", "t:a")
    b = resource("b", "t:b", deps=("a",), inputs={"aId": f"{RG}/things/a"})
    r = estimate_create(plan(a, b), parallel=4, table=t)
    assert r["graph_seconds"] == {"low": 3, "typical": 30, "high": 300}
    assert ids(r) == ["a", "b"]
    assert [e["via"] for e in r["critical_chain"]] == ["start", "data"]
    assert r["serializing_edges"] == []
    assert r["data_only"]["within_target"] is True


def test_default_table_startup_is_added(resource, plan):
    rg = resource("rg", "azure-native:resources:ResourceGroup")
    r = estimate_create(plan(rg), parallel=2)
    assert r["wall_seconds"] == {"low": 2 + 15, "typical": 5 + 30, "high": 30 + 60}


def test_no_data_edge_is_reported_with_its_saving(resource, plan, table):
    t = table({"t:slow": (60, 60, 60), "t:x": (10, 10, 10)})
    slow = resource("slow", "t:slow")
    quick = resource("quick", "t:x")
    # waits for slow but uses nothing of it
    dep = resource("dep", "t:x", deps=("slow", "quick"), inputs={"quickId": f"{RG}/things/quick"})
    r = estimate_create(plan(slow, quick, dep), parallel=4, table=t)
    assert r["graph_seconds"]["typical"] == 70
    assert r["serializing_edges"] == [
        {
            "from": "urn:slow",
            "to": "urn:dep",
            "from_name": "slow",
            "to_name": "dep",
            "from_type": "t:slow",
            "to_type": "t:x",
            "on_critical_chain": True,
            "saves_seconds": 10.0,  # 70 s → max(60, 10 + 10)
        }
    ]
    assert [e["via"] for e in r["critical_chain"]] == ["start", "no-data"]
    data = r["data_only"]
    assert (data["planned_seconds"], data["data_only_seconds"]) == (70, 60)
    assert data["data_only_chain"] == ["urn:slow"]
    assert data["excess"] == pytest.approx(0.1667, abs=1e-4)
    assert data["within_target"] is False


def test_component_dependency_expands_to_its_children_and_takes_no_time(resource, plan, table):
    t = table({"t:x": (5, 10, 20)})
    comp = resource("comp", "mlops:test:Group", custom=False)
    c1 = resource("c1", "t:x", parent="comp")
    c2 = resource("c2", "t:x", parent="comp", deps=("c1",), inputs={"id": f"{RG}/things/c1"})
    user = resource("user", "t:x", deps=("comp",), inputs={"ids": [f"{RG}/things/c1", f"{RG}/things/c2"]})
    r = estimate_create(plan(comp, c1, c2, user), parallel=4, table=t)
    assert r["resources"] == 3
    assert r["graph_seconds"]["typical"] == 30
    assert ids(r) == ["c1", "c2", "user"]


def test_providers_take_no_time_and_are_not_reported(resource, plan, table):
    t = table({"t:x": (5, 10, 20)})
    prov = resource("prov", "pulumi:providers:azure-native")
    a = resource("a", "t:x", deps=("prov",))
    r = estimate_create(plan(prov, a), parallel=1, table=t)
    assert r["resources"] == 1
    assert r["graph_seconds"]["typical"] == 10
    assert r["serializing_edges"] == []


def test_parallel_cap_binds_and_chain_says_slot(resource, plan, table):
    t = table({"t:x": (10, 10, 10)})
    p = plan(*(resource(n, "t:x") for n in "abc"))
    assert estimate_create(p, parallel=1, table=t)["graph_seconds"]["typical"] == 30
    r2 = estimate_create(p, parallel=2, table=t)
    assert r2["graph_seconds"]["typical"] == 20
    assert [e["via"] for e in r2["critical_chain"]] == ["start", "slot"]
    assert estimate_create(p, parallel=3, table=t)["graph_seconds"]["typical"] == 10


def test_subnets_of_one_vnet_are_serial(resource, plan):
    vnet = resource(
        "vnet",
        "azure-native:network:VirtualNetwork",
        outputs={"name": "vnet-a"},
        rid=f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-a",
    )
    subnets = [
        resource(
            f"snet{i}",
            "azure-native:network:Subnet",
            deps=("vnet",),
            inputs={"resourceGroupName": "rg-test", "virtualNetworkName": "vnet-a", "name": f"snet{i}"},
        )
        for i in range(3)
    ]
    other = resource(
        "other",
        "azure-native:network:Subnet",
        deps=("vnet",),
        inputs={"resourceGroupName": "rg-test", "virtualNetworkName": "vnet-b", "name": "o"},
    )
    r = estimate_create(plan(vnet, *subnets, other), parallel=16)
    assert [(e["from"], e["to"]) for e in r["azure_serial_edges"]] == [
        ("urn:snet0", "urn:snet1"),
        ("urn:snet1", "urn:snet2"),
    ]
    # VNet 10 s + three subnets of 10 s one after another.
    assert r["graph_seconds"]["typical"] == 40
    assert ids(r) == ["vnet", "snet0", "snet1", "snet2"]
    assert [e["via"] for e in r["critical_chain"]][2:] == ["azure-serial", "azure-serial"]
    # Azure-side serialization is physical: the data-only run keeps it.
    assert r["data_only"]["data_only_seconds"] == 40


def test_unknown_custom_type_is_an_error_naming_it(resource, plan):
    with pytest.raises(ConfigError, match="'azure-native:cdn:Profile' .resource urn:cdn. has no row"):
        estimate_create(plan(resource("cdn", "azure-native:cdn:Profile")), parallel=2)


def test_families_versions_and_table_rows():
    table = load_table()
    assert table.row_for("azuredevops:index/project:Project").create.typical == 40
    assert table.row_for("azuredevops:index/buildDefinition:BuildDefinition").create.as_dict() == {
        "low": 1,
        "typical": 5,
        "high": 10,
    }
    assert table.row_for("databricks:index/notebook:Notebook").create.high == 10
    assert normalize_type("azure-native:network/v20230401:Subnet") == "azure-native:network:Subnet"
    assert table.row_for("azure-native:network/v20230401:Subnet").create.typical == 10
    row = table.row_for("azure-native:machinelearningservices:OnlineDeployment")
    assert (row.create.typical, row.update.typical) == (720, 480)
    for key, each in table.types.items():
        assert each.source and each.date and each.confidence in {"H", "M", "L"}, key


def test_update_estimate_only_times_changed_resources(resource, plan):
    ws = resource("ws", "azure-native:machinelearningservices:Workspace")
    ep = resource(
        "ep",
        "azure-native:machinelearningservices:OnlineEndpoint",
        deps=("ws",),
        inputs={"w": f"{RG}/things/ws"},
    )
    dep = resource(
        "dep",
        "azure-native:machinelearningservices:OnlineDeployment",
        deps=("ep",),
        inputs={"e": f"{RG}/things/ep"},
    )
    changes = [
        {
            "urn": "urn:dep",
            "type": "azure-native:machinelearningservices:OnlineDeployment",
            "action": "update",
            "keys": ["properties"],
        }
    ]
    r = estimate_update(plan(ws, ep, dep, changes=changes), parallel=4, include_startup=False)
    assert r["mode"] == "update"
    assert r["graph_seconds"] == {"low": 240, "typical": 480, "high": 900}
    assert ids(r) == ["dep"]
    assert r["changes"] == {"create": 0, "update": 1, "replace": 0, "delete": 0}
    assert r["changed_resources"] == 1


def test_replace_is_delete_plus_create_and_deletes_run_last_in_levels(resource, plan):
    kv = resource("kv", "azure-native:keyvault:Vault")
    old_rg = resource("oldrg", "azure-native:resources:ResourceGroup")
    old_st = resource("oldst", "azure-native:storage:StorageAccount", deps=("oldrg",))
    old_plan = plan(kv, old_rg, old_st)
    changes = [
        {"urn": "urn:kv", "type": "azure-native:keyvault:Vault", "action": "replace", "keys": ["sku"]},
        {"urn": "urn:oldst", "type": "azure-native:storage:StorageAccount", "action": "delete", "keys": []},
        {"urn": "urn:oldrg", "type": "azure-native:resources:ResourceGroup", "action": "delete", "keys": []},
    ]
    r = estimate_update(plan(kv), changes, old_plan=old_plan, parallel=4, include_startup=False)
    assert r["graph_seconds"]["typical"] == 90 + 90
    # storage first (40 s), then its resource group (5 s)
    assert r["delete_levels"] == 2
    assert r["delete_phase_seconds"] == {"low": 22, "typical": 45, "high": 150}
    assert r["wall_seconds"]["typical"] == 180 + 45


def test_update_change_for_unknown_urn_is_an_error(resource, plan):
    bad = [{"urn": "urn:ghost", "type": "t", "action": "update", "keys": []}]
    with pytest.raises(ConfigError, match="urn:ghost, which is not in the plan"):
        estimate_update(plan(), bad, parallel=1)
    with pytest.raises(ConfigError, match="action in create, update, replace, delete"):
        estimate_update(plan(), [{"urn": "u", "action": "move"}], parallel=1)


def test_parallel_must_be_positive(resource, plan):
    with pytest.raises(ConfigError, match="--parallel: must be a whole number of at least 1, got 0"):
        estimate_create(plan(), parallel=0)


def test_stack_references_take_no_time(resource, plan, table):
    t = table({"t:x": (5, 10, 20)})
    ref = resource("shared", "pulumi:pulumi:StackReference")
    a = resource("a", "t:x", deps=("shared",))
    r = estimate_create(plan(ref, a), parallel=1, table=t)
    assert (r["resources"], r["graph_seconds"]["typical"]) == (1, 10)


def test_writes_to_one_app_service_site_are_serial(resource, plan):
    site_inputs = {"resourceGroupName": "rg-test", "name": "func-a"}
    site = resource("site", "azure-native:web:WebApp", inputs=site_inputs, outputs={"name": "func-a"})
    ftp = resource("ftp", "azure-native:web:WebAppFtpAllowed", deps=("site",), inputs=dict(site_inputs))
    scm = resource("scm", "azure-native:web:WebAppScmAllowed", deps=("site",), inputs=dict(site_inputs))
    other = resource(
        "other",
        "azure-native:web:WebAppScmAllowed",
        deps=("site",),
        inputs={"resourceGroupName": "rg-test", "name": "func-b"},
    )
    r = estimate_create(plan(site, ftp, scm, other), parallel=8, include_startup=False)
    # site → ftp is already a (data) dependency; ftp → scm is Azure-side only.
    assert [(e["from_name"], e["to_name"], e["reason"]) for e in r["azure_serial_edges"]] == [
        ("ftp", "scm", "writes to one App Service site conflict")
    ]
    assert r["graph_seconds"]["typical"] == 90 + 5 + 5


def test_dangling_dependency_is_an_error(resource, plan, table):
    t = table({"t:x": (1, 1, 1)})
    with pytest.raises(
        ConfigError, match=r"plan.resources\[0\].dependencies: resource urn:a depends on 'urn:gone'"
    ):
        estimate_create(plan(resource("a", "t:x", deps=("gone",))), parallel=1, table=t)
