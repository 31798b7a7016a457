"""BuildAgents: the agent scale set as Azure DevOps elastic pools require it, the pool, its queue."""

from __future__ import annotations

import base64
from typing import cast

import pytest

from components.build_agents import BuildAgents, BuildAgentsArgs, render_cloud_init
from infra.errors import ConfigError
from tests.support.template import ABSENT, Template

VMSS = "azure-native:compute:VirtualMachineScaleSet"
UAI = "azure-native:managedidentity:UserAssignedIdentity"
POOL = "azuredevops:index/elasticPool:ElasticPool"
QUEUE = "azuredevops:index/queue:Queue"
AUTH = "azuredevops:index/pipelineAuthorization:PipelineAuthorization"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJq7mBqfS8cD6q1x5a7mLQ3HvKpP0w9Zr2yTn4uVb1Ce ops"
TAGS = {
    "environment": "prod",
    "workload": "mlops",
    "owner": "o@x.com",
    "costCenter": "CC-1",
    "managedBy": "pulumi",
}
SUBNET = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/snet-agents"
)


def build(**extra):
    def program():
        import pulumi_azuredevops as azuredevops

        provider = azuredevops.Provider("ado", org_service_url="https://dev.azure.com/contoso")
        args = {
            "resource_group_name": "rg-x",
            "location": "westeurope",
            "scale_set_name": "vmss-agents",
            "identity_name": "id-agents",
            "subnet_id": SUBNET,
            "ssh_public_key": KEY,
            "pool_name": "mlops-agents-qa",
            "project_id": "p-1",
            "service_endpoint_id": "se-1",
            "devops_provider": provider,
            **extra,
        }
        # Tests feed untyped (also invalid) args on purpose: the component validates them.
        BuildAgents("agents", cast(BuildAgentsArgs, args))

    return Template.from_function(program)


def test_defaults():
    t = build()
    counts = t.count_by_type()
    assert {k: v for k, v in counts.items() if not k.startswith("pulumi:")} == {
        "mlops:delivery:BuildAgents": 1,
        VMSS: 1,
        UAI: 1,
        POOL: 1,
        QUEUE: 1,
    }
    identity = t.resource(UAI, "agents-identity")
    vmss = t.has_resource_properties(
        VMSS,
        {
            "vmScaleSetName": "vmss-agents",
            "orchestrationMode": "Uniform",
            "overprovision": False,
            "singlePlacementGroup": False,
            "upgradePolicy": {"mode": "Manual"},
            "sku": {"name": "Standard_D4ds_v5", "capacity": 0},
            "identity": {"type": "UserAssigned", "userAssignedIdentities": [identity["id"]]},
            "virtualMachineProfile": {
                "osProfile": {
                    "adminUsername": "azureagent",
                    "adminPassword": ABSENT,
                    "linuxConfiguration": {
                        "disablePasswordAuthentication": True,
                        "ssh": {
                            "publicKeys": [{"path": "/home/azureagent/.ssh/authorized_keys", "keyData": KEY}]
                        },
                    },
                },
                "storageProfile": {
                    "imageReference": {
                        "publisher": "Canonical",
                        "offer": "0001-com-ubuntu-server-jammy",
                        "sku": "22_04-lts-gen2",
                        "version": "latest",
                    },
                    "osDisk": {"diskSizeGB": 128, "managedDisk": {"storageAccountType": "Premium_LRS"}},
                },
                "securityProfile": {
                    "securityType": "TrustedLaunch",
                    "encryptionAtHost": True,
                    "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
                },
                "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
            },
        },
    )
    nic = vmss["inputs"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"]
    assert len(nic) == 1 and len(nic[0]["ipConfigurations"]) == 1
    ip = nic[0]["ipConfigurations"][0]
    assert ip["subnet"] == {"id": SUBNET}
    assert "publicIPAddressConfiguration" not in ip
    assert "loadBalancerBackendAddressPools" not in ip
    assert t.resource(VMSS, "agents-vmss")["ignoreChanges"] == ["sku.capacity"]
    t.has_resource_properties(
        POOL,
        {
            "name": "mlops-agents-qa",
            "serviceEndpointId": "se-1",
            "serviceEndpointScope": "p-1",
            "azureResourceId": t.resource(VMSS, "agents-vmss")["id"],
            "desiredIdle": 0,
            "maxCapacity": 4,
            "recycleAfterEachUse": True,
            "timeToLiveMinutes": 30,
            "autoProvision": False,
            "agentInteractiveUi": False,
            "projectId": ABSENT,
        },
    )
    pool = t.resource(POOL, "agents-pool")
    t.has_resource_properties(QUEUE, {"projectId": "p-1", "agentPoolId": int(pool["id"])})
    for token in (POOL, QUEUE):
        assert "pulumi:providers:azuredevops::ado::" in t.find_resources(token)[0]["provider"]


def test_cloud_init_installs_pinned_tools_and_no_agent():
    t = build()
    data = t.resource(VMSS, "agents-vmss")["inputs"]["virtualMachineProfile"]["osProfile"]["customData"]
    text = base64.b64decode(data).decode()
    assert text.startswith("#cloud-config\n")
    assert "python3.11-venv" in text and "make" in text
    assert "azure-cli=2.67.0-1~jammy" in text
    assert "az extension add --name ml --version 2.32.4" in text
    assert "--version 3.272.0" in text
    assert "{" + "pulumi_version}" not in text
    assert "vsts-agent" not in text and "config.sh" not in text


def test_max():
    t = build(
        vm_size="Standard_D8ds_v5",
        min_idle=2,
        max_capacity=10,
        time_to_live_minutes=60,
        recycle_after_each_use=False,
        os_disk_size_gb=256,
        image_version="22.04.202410020",
        tool_versions={"pulumi_version": "3.300.0"},
        pipeline_ids={"train": "12", "release": "7"},
        tags={"environment": "qa"},
    )
    t.has_resource_properties(
        VMSS,
        {
            "sku": {"name": "Standard_D8ds_v5"},
            "tags": {"environment": "qa"},
            "virtualMachineProfile": {
                "storageProfile": {
                    "imageReference": {"version": "22.04.202410020"},
                    "osDisk": {"diskSizeGB": 256},
                }
            },
        },
    )
    t.has_resource_properties(UAI, {"tags": {"environment": "qa"}})
    t.has_resource_properties(
        POOL, {"desiredIdle": 2, "maxCapacity": 10, "timeToLiveMinutes": 60, "recycleAfterEachUse": False}
    )
    queue = t.resource(QUEUE, "agents-queue")
    t.resource_count_is(AUTH, 2)
    t.has_resource_properties(
        AUTH, {"type": "queue", "resourceId": queue["id"], "pipelineId": 12, "projectId": "p-1"}
    )
    t.has_resource_properties(AUTH, {"type": "queue", "resourceId": queue["id"], "pipelineId": 7})
    data = t.resource(VMSS, "agents-vmss")["inputs"]["virtualMachineProfile"]["osProfile"]["customData"]
    assert "--version 3.300.0" in base64.b64decode(data).decode()


def test_waf_aligned_passes_the_vmss_policies():
    from infra.engine.policy_runner import evaluate

    t = build(min_idle=1, max_capacity=4, tags=TAGS)
    found = [v.to_json() for v in evaluate(t.resources, environment="prod", enforcement="mandatory")]
    # Only the stack adds the explicit azure-native provider; everything else must pass in prod.
    assert {v["policy"] for v in found} == {"explicit-provider"}
    assert {str(v["urn"]).rsplit("::", 1)[1] for v in found} == {"agents-identity", "agents-vmss"}


def test_render_cloud_init_fills_every_placeholder():
    text = render_cloud_init(
        {"pulumi_version": "1.2.3", "azure_cli_version": "4.5.6", "ml_extension_version": "7.8.9"}
    )
    assert (
        "{pulumi_version}" not in text
        and "{azure_cli_version}" not in text
        and "{ml_extension_version}" not in text
    )
    assert "azure-cli=4.5.6-1~jammy" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"min_idle": 5, "max_capacity": 4}, "BuildAgents args.min_idle: 5 must be 0-4"),
        ({"max_capacity": 0}, "BuildAgents args.max_capacity: 0 must be 1-1000"),
        ({"ssh_public_key": "hunter2"}, "BuildAgents args.ssh_public_key: must be an OpenSSH public key"),
        (
            {"tool_versions": {"terraform_version": "1"}},
            "BuildAgents args.tool_versions: unknown tools ['terraform_version']",
        ),
        ({"subnet_id": ""}, "BuildAgents args.subnet_id: is required"),
        ({"vm_sku": "x"}, "BuildAgents args.vm_sku: is not an argument of BuildAgents"),
    ],
)
def test_bad_args(extra, message):
    with pytest.raises(ConfigError) as err:
        build(**extra)
    assert message in str(err.value)
