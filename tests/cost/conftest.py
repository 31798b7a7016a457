"""Real azure-native / azuredevops resources, instantiated under Pulumi mocks, as plan resources.

The recording mocks capture the camelCase inputs exactly as the SDK sends them to the engine,
so pricing them proves the input paths the cost rules read.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pulumi
import pytest

RG_ID = "/subscriptions/0000/resourceGroups/rg-cost"


class Recorder(pulumi.runtime.Mocks):
    """Record every registration; answer with an ARM-like id and the inputs as outputs."""

    def __init__(self) -> None:
        self.resources: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid = f"{RG_ID}/providers/test/{args.name}"
        self.resources.append(
            {
                "urn": f"urn:pulumi:test::cost::{args.typ}::{args.name}",
                "type": args.typ,
                "name": args.name,
                "parent": None,
                "custom": True,
                "provider": None,
                "id": rid,
                "inputs": dict(args.inputs),
                "outputs": {**args.inputs, "name": args.name},
                "dependencies": [],
                "protect": False,
            }
        )
        return rid, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def _declare() -> pulumi.Output:
    import pulumi_azure_native as az
    import pulumi_azuredevops as ado

    ml, cs = az.machinelearningservices, az.containerservice
    rg: dict[str, Any] = {"resource_group_name": "rg-cost"}
    out = []
    out.append(
        cs.ManagedCluster(
            "aks",
            **rg,
            sku=cs.ManagedClusterSKUArgs(name="Base", tier="Standard"),
            agent_pool_profiles=[
                cs.ManagedClusterAgentPoolProfileArgs(
                    name="system", mode="System", vm_size="Standard_D4s_v3", count=2
                ),
                cs.ManagedClusterAgentPoolProfileArgs(
                    name="user",
                    mode="User",
                    vm_size="Standard_F4s_v2",
                    count=1,
                    enable_auto_scaling=True,
                    min_count=0,
                    max_count=3,
                ),
            ],
        ).id
    )
    out.append(
        cs.AgentPool(
            "gpu",
            **rg,
            resource_name_="aks",
            agent_pool_name="big",
            vm_size="Standard_D8s_v3",
            count=1,
            enable_auto_scaling=True,
            min_count=1,
            max_count=2,
        ).id
    )
    out.append(
        ml.OnlineDeployment(
            "blue",
            **rg,
            workspace_name="mlw",
            endpoint_name="ep",
            properties=ml.ManagedOnlineDeploymentArgs(
                endpoint_compute_type="Managed", instance_type="Standard_F4s_v2"
            ),
            sku=ml.SkuArgs(name="Default", capacity=2),
        ).id
    )
    out.append(
        ml.OnlineDeployment(
            "green",
            **rg,
            workspace_name="mlw",
            endpoint_name="ep",
            properties=ml.ManagedOnlineDeploymentArgs(
                endpoint_compute_type="Managed",
                instance_type="Standard_F4s_v2",
                scale_settings=ml.TargetUtilizationScaleSettingsArgs(
                    scale_type="TargetUtilization", max_instances=4
                ),
            ),
            sku=ml.SkuArgs(name="Default", capacity=2),
        ).id
    )
    out.append(
        ml.OnlineDeployment(
            "k8s",
            **rg,
            workspace_name="mlw",
            endpoint_name="ep",
            properties=ml.KubernetesOnlineDeploymentArgs(
                endpoint_compute_type="Kubernetes", instance_type="small"
            ),
        ).id
    )
    out.append(
        ml.Compute(
            "cpu-cluster",
            **rg,
            workspace_name="mlw",
            properties=ml.AmlComputeArgs(
                compute_type="AmlCompute",
                properties=ml.AmlComputePropertiesArgs(
                    vm_size="Standard_D2s_v3",
                    scale_settings=ml.ScaleSettingsArgs(min_node_count=0, max_node_count=4),
                ),
            ),
        ).id
    )
    out.append(
        az.containerregistry.Registry("acr", **rg, sku=az.containerregistry.SkuArgs(name="Premium")).id
    )
    out.append(az.network.PrivateEndpoint("pe", **rg).id)
    out.append(az.privatedns.PrivateZone("zone", **rg, location="global").id)
    law = az.operationalinsights.Workspace(
        "law", **rg, sku=az.operationalinsights.WorkspaceSkuArgs(name="PerGB2018")
    )
    out.append(law.id)
    out.append(
        az.applicationinsights.Component(
            "appi", **rg, kind="web", application_type="web", workspace_resource_id=law.id
        ).id
    )
    out.append(
        az.keyvault.Vault(
            "kv",
            **rg,
            properties=az.keyvault.VaultPropertiesArgs(
                tenant_id="t", sku=az.keyvault.SkuArgs(family="A", name=az.keyvault.SkuName.STANDARD)
            ),
        ).id
    )
    out.append(
        az.storage.StorageAccount(
            "st", **rg, kind="StorageV2", sku=az.storage.SkuArgs(name="Standard_ZRS")
        ).id
    )
    out.append(
        az.databricks.Workspace(
            "dbw",
            **rg,
            managed_resource_group_id=f"{RG_ID}-managed",
            sku=az.databricks.SkuArgs(name="premium"),
        ).id
    )
    out.append(az.datafactory.Factory("adf", **rg).id)
    out.append(
        az.web.AppServicePlan(
            "ep1", **rg, sku=az.web.SkuDescriptionArgs(name="EP1", tier="ElasticPremium")
        ).id
    )
    out.append(az.web.AppServicePlan("y1", **rg, sku=az.web.SkuDescriptionArgs(name="Y1", tier="Dynamic")).id)
    vmss = az.compute.VirtualMachineScaleSet(
        "agents", **rg, sku=az.compute.SkuArgs(name="Standard_D2s_v3", capacity=2)
    )
    out.append(vmss.id)
    out.append(
        ado.ElasticPool(
            "pool",
            azure_resource_id=vmss.id,
            desired_idle=1,
            max_capacity=4,
            service_endpoint_id="se",
            service_endpoint_scope="p",
        ).id
    )
    out.append(
        az.eventgrid.SystemTopic(
            "topic", **rg, source=f"{RG_ID}/st", topic_type="Microsoft.Storage.StorageAccounts"
        ).id
    )
    return pulumi.Output.all(*out)


@pytest.fixture(scope="session")
def sdk_resources() -> dict[str, dict[str, Any]]:
    """Plan resources built from what the real SDK classes send, by logical name."""
    recorder = Recorder()

    def run() -> None:
        pulumi.runtime.set_mocks(recorder, project="cost", stack="test", preview=False)
        pulumi.runtime.test(_declare)()

    # In its own thread, with its own event loop and context, so the main thread's event-loop
    # state (which other suites and the offline engine rely on) is left untouched.
    errors: list[BaseException] = []

    def in_thread() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            contextvars.copy_context().run(run)
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            loop.close()

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return {r["name"]: r for r in recorder.resources}
