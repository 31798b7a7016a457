"""Self-hosted Azure DevOps agents: a VM scale set in the agents subnet, run as an elastic pool.

Why self-hosted: qa and prod reach Azure ML, Key Vault and storage only through private
endpoints, and training waits for jobs that run many hours (Microsoft-hosted jobs stop after
60-360 minutes). Azure DevOps elastic pools ("scale set agents") manage the VMs themselves, so
the scale set is shaped the way they require (MicrosoftDocs azure-devops-docs,
``docs/pipelines/agents/scale-set-agents.md``): Uniform orchestration, ``overprovision=false``,
``upgradePolicy.mode=Manual``, no load balancer, capacity 0 at creation (the pool scales it),
and no agent pre-installed (the pool installs it). ``singlePlacementGroup=false`` lets the pool
grow past 100 instances.

Secure defaults: no public IP (agents reach out through the VNet), SSH keys only (password
login disabled, no admin password), Trusted Launch with secure boot and vTPM, encryption at
host, a user-assigned managed identity (no secrets on the VMs), managed boot diagnostics.
The image is Ubuntu 22.04 Gen2 plus ``build_agents_cloud_init.yaml`` (Python 3.11, Azure CLI +
ml extension, Pulumi CLI, at pinned versions).

Long builds: the pool never removes a busy agent; ``time_to_live_minutes`` applies to idle
surplus agents only, so a training job that waits many hours keeps its VM (the job's own
``timeoutInMinutes`` is the limit). Pulumi ignores ``sku.capacity`` after creation because the
pool owns it.

The elastic pool (``mlops-agents-<env>``) is organisation-level; it talks to Azure through
the environment's workload-identity service connection. A project queue makes it usable in
the project, and pipeline permissions on that queue authorise the pipelines that run on it.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import compute, managedidentity

from components.common import ArgRule, check_unknown_args, require, validate

COMPONENT = "BuildAgents"
CLOUD_INIT = Path(__file__).with_name("build_agents_cloud_init.yaml")
UBUNTU_IMAGE = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2"}
"""Ubuntu 22.04 LTS, Generation 2 (Trusted Launch needs a Gen2 image)."""
ADMIN_USER = "azureagent"
DEFAULT_TOOLS = {"pulumi_version": "3.272.0", "azure_cli_version": "2.67.0", "ml_extension_version": "2.32.4"}
"""Pinned tool versions (Pulumi matches pipelines/templates/variables.yml)."""


class BuildAgentsArgs(TypedDict):
    """Arguments of :class:`BuildAgents`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the scale set and its identity."""
    location: str
    """Required. Azure region."""
    scale_set_name: str
    """Required. Name of the VM scale set (see infra.naming, kind ``vmss``)."""
    identity_name: str
    """Required. Name of the agents' user-assigned identity."""
    subnet_id: pulumi.Input[str]
    """Required. The agents subnet (``ctx.parts["network"].subnet_ids["agents"]``)."""
    ssh_public_key: str
    """Required. Public key of the break-glass admin account."""
    pool_name: str
    """Required. Name of the Azure DevOps elastic pool and its project queue (``mlops-agents-<env>``)."""
    project_id: pulumi.Input[str]
    """Required. Azure DevOps project id (queue and service connection scope)."""
    service_endpoint_id: pulumi.Input[str]
    """Required. The environment's Azure Resource Manager service connection (workload identity)."""
    devops_provider: pulumi.ProviderResource
    """Required. The explicit ``pulumi_azuredevops.Provider`` of the stack."""
    vm_size: NotRequired[str]
    """Optional. @default Standard_D4ds_v5"""
    min_idle: NotRequired[int]
    """Optional. Agents kept idle (0 scales to zero). @default 0"""
    max_capacity: NotRequired[int]
    """Optional. Most VMs the pool may run. @default 4"""
    time_to_live_minutes: NotRequired[int]
    """Optional. How long an idle surplus agent lives. @default 30"""
    recycle_after_each_use: NotRequired[bool]
    """Optional. A fresh VM for every job (pull-request jobs must never share an agent with a
    deployment). @default True"""
    os_disk_size_gb: NotRequired[int]
    """Optional. @default 128"""
    image_version: NotRequired[str]
    """Optional. Marketplace image version. @default latest"""
    tool_versions: NotRequired[dict[str, str]]
    """Optional. ``pulumi_version``, ``azure_cli_version``, ``ml_extension_version`` overrides.
    @default DEFAULT_TOOLS"""
    pipeline_ids: NotRequired[dict[str, pulumi.Input[str]]]
    """Optional. Pipelines (name → build definition id) allowed to use the queue. @default {}"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of the Azure resources. @default {}"""


def render_cloud_init(tools: dict[str, str]) -> str:
    """The cloud-init document with the pinned versions filled in."""
    text = CLOUD_INIT.read_text()
    for key, value in tools.items():
        text = text.replace("{" + key + "}", value)
    return text


_SSH_KEY_PREFIXES = ("ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-nistp256 ")

RULES: tuple[ArgRule[BuildAgentsArgs], ...] = (
    ArgRule(
        lambda a: not 1 <= a.get("max_capacity", 4) <= 1000,
        "max_capacity",
        lambda a: f"{a.get('max_capacity', 4)} must be 1-1000",
    ),
    ArgRule(
        lambda a: not 0 <= a.get("min_idle", 0) <= a.get("max_capacity", 4),
        "min_idle",
        lambda a: f"{a.get('min_idle', 0)} must be 0-{a.get('max_capacity', 4)} (max_capacity)",
    ),
    ArgRule(
        lambda a: not a["ssh_public_key"].strip().startswith(_SSH_KEY_PREFIXES),
        "ssh_public_key",
        "must be an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa)",
    ),
    ArgRule(
        lambda a: bool(set(a.get("tool_versions", {})) - set(DEFAULT_TOOLS)),
        "tool_versions",
        lambda a: (
            f"unknown tools {sorted(set(a.get('tool_versions', {})) - set(DEFAULT_TOOLS))}; "
            f"allowed: {sorted(DEFAULT_TOOLS)}"
        ),
    ),
)
"""Argument rules of :class:`BuildAgents`, checked in order after the required args."""


def _validate(args: BuildAgentsArgs) -> dict[str, str]:
    """Check every argument; return the tool versions to install."""
    check_unknown_args(COMPONENT, args, BuildAgentsArgs)
    require(
        COMPONENT,
        args,
        "resource_group_name",
        "location",
        "scale_set_name",
        "identity_name",
        "subnet_id",
        "ssh_public_key",
        "pool_name",
        "project_id",
        "service_endpoint_id",
        "devops_provider",
    )
    validate(COMPONENT, args, RULES)
    return {**DEFAULT_TOOLS, **args.get("tool_versions", {})}


class BuildAgents(pulumi.ComponentResource):
    """Agent scale set + Azure DevOps elastic pool (``mlops:delivery:BuildAgents``)."""

    scale_set_id: pulumi.Output[str]
    """ARM id of the VM scale set."""
    identity_principal_id: pulumi.Output[str]
    """Principal id of the agents' managed identity."""
    identity_client_id: pulumi.Output[str]
    """Client id of the agents' managed identity."""
    pool_id: pulumi.Output[str]
    """Id of the elastic (agent) pool."""
    queue_id: pulumi.Output[str]
    """Id of the project queue."""

    def __init__(self, name: str, args: BuildAgentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:delivery:BuildAgents", name, {}, opts)
        tools = _validate(args)
        ssh_key = args["ssh_public_key"].strip()
        tags = dict(args.get("tags", {}))
        ado = pulumi.ResourceOptions(parent=self, provider=args["devops_provider"])

        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=args["identity_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        custom_data = base64.b64encode(render_cloud_init(tools).encode()).decode()
        scale_set = compute.VirtualMachineScaleSet(
            f"{name}-vmss",
            vm_scale_set_name=args["scale_set_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            orchestration_mode="Uniform",
            overprovision=False,
            single_placement_group=False,
            platform_fault_domain_count=1,
            upgrade_policy=compute.UpgradePolicyArgs(mode=compute.UpgradeMode.MANUAL),
            sku=compute.SkuArgs(name=args.get("vm_size", "Standard_D4ds_v5"), tier="Standard", capacity=0),
            identity=compute.VirtualMachineScaleSetIdentityArgs(
                type=compute.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[identity.id],
            ),
            virtual_machine_profile=compute.VirtualMachineScaleSetVMProfileArgs(
                os_profile=compute.VirtualMachineScaleSetOSProfileArgs(
                    computer_name_prefix="agent",
                    admin_username=ADMIN_USER,
                    custom_data=custom_data,
                    linux_configuration=compute.LinuxConfigurationArgs(
                        disable_password_authentication=True,
                        provision_vm_agent=True,
                        ssh=compute.SshConfigurationArgs(
                            public_keys=[
                                compute.SshPublicKeyArgs(
                                    path=f"/home/{ADMIN_USER}/.ssh/authorized_keys", key_data=ssh_key
                                )
                            ]
                        ),
                    ),
                ),
                storage_profile=compute.VirtualMachineScaleSetStorageProfileArgs(
                    image_reference=compute.ImageReferenceArgs(
                        **UBUNTU_IMAGE, version=args.get("image_version", "latest")
                    ),
                    os_disk=compute.VirtualMachineScaleSetOSDiskArgs(
                        create_option="FromImage",
                        caching=compute.CachingTypes.READ_WRITE,
                        disk_size_gb=args.get("os_disk_size_gb", 128),
                        managed_disk=compute.VirtualMachineScaleSetManagedDiskParametersArgs(
                            storage_account_type="Premium_LRS"
                        ),
                    ),
                ),
                network_profile=compute.VirtualMachineScaleSetNetworkProfileArgs(
                    network_interface_configurations=[
                        compute.VirtualMachineScaleSetNetworkConfigurationArgs(
                            name=f"{args['scale_set_name']}-nic",
                            primary=True,
                            enable_accelerated_networking=True,
                            ip_configurations=[
                                compute.VirtualMachineScaleSetIPConfigurationArgs(
                                    name="ipconfig",
                                    primary=True,
                                    subnet=compute.ApiEntityReferenceArgs(id=args["subnet_id"]),
                                )
                            ],
                        )
                    ],
                ),
                security_profile=compute.SecurityProfileArgs(
                    security_type="TrustedLaunch",
                    uefi_settings=compute.UefiSettingsArgs(secure_boot_enabled=True, v_tpm_enabled=True),
                    encryption_at_host=True,
                ),
                diagnostics_profile=compute.DiagnosticsProfileArgs(
                    boot_diagnostics=compute.BootDiagnosticsArgs(enabled=True)
                ),
            ),
            tags=tags,
            # The pool scales the set and reimages instances; Pulumi must not fight it over capacity.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["sku.capacity"]),
        )
        pool, queue = self._pool(name, args, scale_set, ado)

        self.scale_set_id = scale_set.id
        self.identity_principal_id = identity.principal_id
        self.identity_client_id = identity.client_id
        self.pool_id = pool.id
        self.queue_id = queue.id
        self.register_outputs(
            {
                "scale_set_id": self.scale_set_id,
                "identity_principal_id": self.identity_principal_id,
                "identity_client_id": self.identity_client_id,
                "pool_id": self.pool_id,
                "queue_id": self.queue_id,
            }
        )

    def _pool(
        self,
        name: str,
        args: BuildAgentsArgs,
        scale_set: compute.VirtualMachineScaleSet,
        ado: pulumi.ResourceOptions,
    ) -> tuple[pulumi.CustomResource, pulumi.CustomResource]:
        """The Azure DevOps elastic pool over the scale set, its project queue and pipeline permissions."""
        import pulumi_azuredevops as azuredevops

        min_idle, max_capacity = args.get("min_idle", 0), args.get("max_capacity", 4)
        pool = azuredevops.ElasticPool(
            f"{name}-pool",
            name=args["pool_name"],
            service_endpoint_id=args["service_endpoint_id"],
            service_endpoint_scope=args["project_id"],
            azure_resource_id=scale_set.id,
            desired_idle=min_idle,
            max_capacity=max_capacity,
            recycle_after_each_use=args.get("recycle_after_each_use", True),
            time_to_live_minutes=args.get("time_to_live_minutes", 30),
            agent_interactive_ui=False,
            auto_provision=False,
            auto_update=True,
            opts=ado,
        )
        queue = azuredevops.Queue(
            f"{name}-queue",
            project_id=args["project_id"],
            agent_pool_id=pool.id.apply(int),
            opts=ado,
        )
        for pipeline, pipeline_id in sorted(args.get("pipeline_ids", {}).items()):
            azuredevops.PipelineAuthorization(
                f"{name}-queue-{pipeline}",
                project_id=args["project_id"],
                resource_id=queue.id,
                type="queue",
                pipeline_id=pulumi.Output.from_input(pipeline_id).apply(int),
                opts=ado,
            )
        return pool, queue
