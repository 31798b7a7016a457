"""Databricks workspaces (``mlops:databricks:DatabricksWorkspace`` and
``mlops:databricks:CentralRegistryWorkspace``).

**Provider wiring.** A workspace is an Azure resource (azure-native ``databricks.Workspace``);
everything inside it (cluster policies, secret scopes, jobs, permissions, Unity Catalog
objects) is created through the Databricks REST API of *that* workspace, by a
``pulumi_databricks.Provider`` built from the workspace's outputs:
``host=https://<workspaceUrl>`` and ``azure_workspace_resource_id=<workspace ARM id>``. The
provider's inputs are outputs of the workspace, so Pulumi creates the workspace first, then
configures the provider, then the workspace-level objects — one ``pulumi up``, no second
stack and no hard-coded URL. Authentication is the deployer's Entra identity (the same
``ARM_*`` / OIDC credentials the azure-native provider uses); the deployer becomes workspace
admin by creating the workspace. Every workspace-level object names that provider explicitly
(``pulumi:disable-default-providers`` includes ``databricks``). On a first ``pulumi preview``
the workspace URL is unknown, so the objects show as to-be-created without reads; the offline
engine answers ``workspaceUrl`` so the plan is complete.

``pulumi_databricks`` is imported inside the constructors only: importing it costs ~2.7 s and
~170 MB, paid only by stacks that enable Databricks.

**Environment workspace** (``DatabricksWorkspace``): VNet-injected (no public IP / secure
cluster connectivity), premium tier, infrastructure encryption, public access per settings
(with a private endpoint for the UI/API when it is off); a cluster policy for batch jobs
(single-user job clusters, allowed VM sizes, autoscale ceiling, fixed runtime); a Key
Vault-backed secret scope; a job-runner identity (user-assigned, registered in the workspace
as a service principal) that Data Factory uses to run the jobs; one batch-inference job per
batch model that runs the model's scoring entry from this repository (Git source).

**Central registry workspace** (``CentralRegistryWorkspace``, shared stack): the
compute-less registry workspace. Nobody can create compute there, enforced rather than
agreed: the ``users`` group loses the cluster-create, pool-create and SQL entitlements, and the
workspace's "Personal Compute" policy family is overridden and usable only by the
``registry-admins`` group (empty by default). Models are shared through Unity Catalog: a
catalog (``registry_catalog``) with a ``models`` schema that one account group
(``readers_group``, e.g. synced from Entra ID, holding the environments' job runners) may read
and execute — not every account user — while only the catalog owner (the deployer / CI service
principal) creates models.
"""

from __future__ import annotations

import json
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import databricks as azure_databricks
from pulumi_azure_native import managedidentity

from components import dns_zones
from components.common import arg_error, check_unknown_args, require
from components.diagnostics import send_to_log_analytics
from components.private_endpoint import PrivateEndpoint

COMPONENT = "DatabricksWorkspace"
REGISTRY_COMPONENT = "CentralRegistryWorkspace"
DNS_ZONE = dns_zones.DATABRICKS


def _managed_group_id(resource_group_id: pulumi.Input[str], workspace_name: str) -> pulumi.Output[str]:
    """The managed resource group Databricks creates: ``<rg id minus name>/databricks-rg-<workspace>``."""
    return pulumi.Output.from_input(resource_group_id).apply(
        lambda rg: "/".join(rg.split("/")[:4]) + f"/databricks-rg-{workspace_name}"
    )


def _workspace(
    owner: pulumi.ComponentResource,
    name: str,
    *,
    workspace_name: str,
    resource_group_name: pulumi.Input[str],
    resource_group_id: pulumi.Input[str],
    location: str,
    public: bool,
    parameters: azure_databricks.WorkspaceCustomParametersArgsDict,
    tags: dict[str, str],
) -> azure_databricks.Workspace:
    all_parameters: azure_databricks.WorkspaceCustomParametersArgsDict = {
        "enable_no_public_ip": {"value": True},
        "require_infrastructure_encryption": {"value": True},
        **parameters,
    }
    return azure_databricks.Workspace(
        f"{name}-workspace",
        workspace_name=workspace_name,
        resource_group_name=resource_group_name,
        location=location,
        managed_resource_group_id=_managed_group_id(resource_group_id, workspace_name),
        sku={"name": "premium"},
        # Required on create by the API version the SDK uses; classic (VNet-injected) compute is Hybrid.
        compute_mode="Hybrid",
        public_network_access="Enabled" if public else "Disabled",
        required_nsg_rules="AllRules" if public else "NoAzureDatabricksRules",
        parameters=all_parameters,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=owner),
    )


def _provider(
    owner: pulumi.ComponentResource,
    name: str,
    workspace: azure_databricks.Workspace,
    depends_on: list[pulumi.Resource] | None = None,
) -> Any:
    """The workspace's Databricks provider. With a private workspace it waits for the private
    endpoint and its DNS zone group (``depends_on``): until the zone resolves the workspace URL to
    the private IP, the first ``pulumi up``'s REST calls from inside the network would fail."""
    import pulumi_databricks as dbx

    return dbx.Provider(
        f"{name}-provider",
        host=workspace.workspace_url.apply(lambda url: f"https://{url}"),
        azure_workspace_resource_id=workspace.id,
        opts=pulumi.ResourceOptions(parent=owner, depends_on=depends_on or []),
    )


class BatchJobArgs(TypedDict):
    """One batch model's inference job."""

    entry: str
    """Required. Path of the scoring entry in the repository, e.g. ``model_assets/churn_byom/src/score.py``."""
    parameters: NotRequired[list[str]]
    """Optional. Command-line parameters of the entry. @default []"""


class DatabricksWorkspaceArgs(TypedDict):
    """Arguments of :class:`DatabricksWorkspace`."""

    resource_group_name: pulumi.Input[str]
    """Required."""
    resource_group_id: pulumi.Input[str]
    """Required. ARM id of the resource group (the managed resource group goes beside it)."""
    location: str
    """Required."""
    workspace_name: str
    """Required. 3-30 letters, digits, _ and -."""
    identity_name: str
    """Required. Name of the job-runner user-assigned identity."""
    vnet_id: pulumi.Input[str]
    """Required. The environment VNet (injection)."""
    public_subnet_id: pulumi.Input[str]
    """Required. Host subnet (delegated to Microsoft.Databricks/workspaces)."""
    private_subnet_id: pulumi.Input[str]
    """Required. Container subnet (delegated to Microsoft.Databricks/workspaces)."""
    log_analytics_id: pulumi.Input[str]
    """Required. Diagnostics destination."""
    key_vault_id: pulumi.Input[str]
    """Required. Key Vault behind the secret scope."""
    key_vault_uri: pulumi.Input[str]
    """Required. Its URI."""
    environment: str
    """Required. Tag and job parameter."""
    public_network_access: NotRequired[bool]
    """Optional. @default False (a private endpoint serves the UI/API)"""
    private_endpoint_subnet_id: NotRequired[pulumi.Input[str]]
    """Conditional. Required when public access is off."""
    private_dns_zone_id: NotRequired[pulumi.Input[str] | None]
    """Optional. ``privatelink.azuredatabricks.net`` zone for the private endpoint. @default none"""
    spark_version: NotRequired[str]
    """Optional. @default 15.4.x-scala2.12"""
    node_types: NotRequired[list[str]]
    """Optional. VM sizes the policy allows (first is the default). @default [Standard_D4ds_v5]"""
    max_workers: NotRequired[int]
    """Optional. @default 4"""
    batch_jobs: NotRequired[dict[str, BatchJobArgs]]
    """Optional. One batch-inference job per batch model. @default {}"""
    repository_url: NotRequired[str | None]
    """Conditional. Git URL of this repository; required with batch_jobs."""
    repository_commit: NotRequired[str]
    """Optional. Commit (full SHA-1) the batch jobs run from, instead of the branch head. @default none"""
    repository_branch: NotRequired[str]
    """Optional. @default main"""
    tags: NotRequired[dict[str, str]]
    """Optional. @default {}"""


class DatabricksWorkspace(pulumi.ComponentResource):
    """An environment's Databricks workspace and its batch-inference jobs."""

    workspace_id: pulumi.Output[str]
    """ARM id of the workspace."""
    workspace_url: pulumi.Output[str]
    """``adb-<id>.<n>.azuredatabricks.net``."""
    runner_identity_id: pulumi.Output[str]
    """ARM id of the job-runner identity (Data Factory uses it)."""
    runner_client_id: pulumi.Output[str]
    """Its client (application) id."""
    job_ids: dict[str, pulumi.Output[str]]
    """Databricks job id per batch model."""
    cluster_policy_id: pulumi.Output[str]
    """The batch jobs' cluster policy."""

    def __init__(
        self, name: str, args: DatabricksWorkspaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:databricks:DatabricksWorkspace", name, {}, opts)
        _validate_workspace_args(args)
        self._name = name
        self._args = args
        tags = dict(args.get("tags", {}))
        public = bool(args.get("public_network_access", False))

        def subnet_name(subnet_id: pulumi.Input[str]) -> pulumi.Output[str]:
            return pulumi.Output.from_input(subnet_id).apply(lambda s: s.rstrip("/").rsplit("/", 1)[-1])

        workspace = _workspace(
            self,
            name,
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            resource_group_id=args["resource_group_id"],
            location=args["location"],
            public=public,
            tags=tags,
            parameters={
                "custom_virtual_network_id": {"value": args["vnet_id"]},
                "custom_public_subnet_name": {"value": subnet_name(args["public_subnet_id"])},
                "custom_private_subnet_name": {"value": subnet_name(args["private_subnet_id"])},
            },
        )
        send_to_log_analytics(
            f"{name}-workspace",
            resource_id=workspace.id,
            workspace_id=args["log_analytics_id"],
            parent=self,
            metrics=False,
        )
        network_ready = [] if public else self._private_endpoint(workspace, tags)
        runner = managedidentity.UserAssignedIdentity(
            f"{name}-job-runner",
            resource_name_=args["identity_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_workspace = pulumi.ResourceOptions(
            parent=self, provider=_provider(self, name, workspace, network_ready)
        )
        policy, principal = self._policy_and_runner(runner, in_workspace)
        self.job_ids = {
            model: self._job(model, job_args, policy, principal, in_workspace)
            for model, job_args in sorted(dict(args.get("batch_jobs", {})).items())
        }

        self.workspace_id = workspace.id
        self.workspace_url = workspace.workspace_url
        self.runner_identity_id = runner.id
        self.runner_client_id = runner.client_id
        self.cluster_policy_id = policy.id
        self.register_outputs(
            {
                "workspace_id": self.workspace_id,
                "workspace_url": self.workspace_url,
                "runner_identity_id": self.runner_identity_id,
                "runner_client_id": self.runner_client_id,
                "job_ids": self.job_ids,
                "cluster_policy_id": self.cluster_policy_id,
            }
        )

    def _private_endpoint(
        self, workspace: azure_databricks.Workspace, tags: dict[str, str]
    ) -> list[pulumi.Resource]:
        """The UI/API private endpoint (and its DNS registration when a zone is given): what the
        workspace's Databricks provider must wait for. Its resources were this component's own
        children before the endpoint component existed; ``former_parent`` keeps their URNs, and
        the NIC keeps the name Azure generated."""
        args = self._args
        zone_id = args.get("private_dns_zone_id")
        endpoint = PrivateEndpoint(
            f"{self._name}-ui-api",
            {
                "resource_group_name": args["resource_group_name"],
                "location": args["location"],
                "endpoint_name": f"pe-{args['workspace_name']}-ui-api",
                "nic_name": None,
                "subnet_id": args["private_endpoint_subnet_id"],
                "target_id": workspace.id,
                "group_id": "databricks_ui_api",
                "dns_zone_ids": {DNS_ZONE: zone_id} if zone_id else {},
                "dns_zone_group": bool(zone_id),
                "tags": tags,
            },
            opts=pulumi.ResourceOptions(parent=self),
            former_parent=self,
        )
        return endpoint.resources

    def _policy_and_runner(
        self, runner: managedidentity.UserAssignedIdentity, in_workspace: pulumi.ResourceOptions
    ) -> tuple[Any, Any]:
        """The batch cluster policy, the Key Vault secret scope and the job runner's principal."""
        import pulumi_databricks as dbx

        name, args = self._name, self._args
        spark_version = args.get("spark_version", "15.4.x-scala2.12")
        node_types = list(args.get("node_types", ["Standard_D4ds_v5"]))
        max_workers = args.get("max_workers", 4)
        definition = {
            "cluster_type": {"type": "allowlist", "values": ["job"]},
            "spark_version": {"type": "fixed", "value": spark_version},
            "node_type_id": {"type": "allowlist", "values": node_types, "defaultValue": node_types[0]},
            "driver_node_type_id": {"type": "allowlist", "values": node_types, "defaultValue": node_types[0]},
            "autoscale.min_workers": {
                "type": "range",
                "minValue": 1,
                "maxValue": max_workers,
                "defaultValue": 1,
            },
            "autoscale.max_workers": {
                "type": "range",
                "minValue": 1,
                "maxValue": max_workers,
                "defaultValue": max_workers,
            },
            "data_security_mode": {"type": "fixed", "value": "SINGLE_USER"},
            "azure_attributes.availability": {"type": "fixed", "value": "ON_DEMAND_AZURE"},
            "custom_tags.environment": {"type": "fixed", "value": args["environment"]},
        }
        policy = dbx.ClusterPolicy(
            f"{name}-batch-policy",
            name="batch-inference-jobs",
            description="Single-user job clusters of the allowed sizes for batch inference",
            definition=json.dumps(definition, sort_keys=True),
            opts=in_workspace,
        )
        dbx.SecretScope(
            f"{name}-keyvault-scope",
            name="keyvault",
            backend_type="AZURE_KEYVAULT",
            keyvault_metadata={"resource_id": args["key_vault_id"], "dns_name": args["key_vault_uri"]},
            opts=in_workspace,
        )
        principal = dbx.ServicePrincipal(
            f"{name}-job-runner-principal",
            application_id=runner.client_id,
            display_name=f"{args['identity_name']} (Data Factory job runner)",
            allow_cluster_create=False,
            allow_instance_pool_create=False,
            databricks_sql_access=False,
            workspace_access=True,
            opts=in_workspace,
        )
        dbx.Permissions(
            f"{name}-batch-policy-permissions",
            cluster_policy_id=policy.id,
            access_controls=[
                {"service_principal_name": principal.application_id, "permission_level": "CAN_USE"}
            ],
            opts=in_workspace,
        )
        return policy, principal

    def _job(
        self,
        model: str,
        job_args: BatchJobArgs,
        policy: Any,
        principal: Any,
        in_workspace: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        """One model's batch-inference job (runs the scoring entry from the repository) and who may run it."""
        import pulumi_databricks as dbx

        name, args = self._name, self._args
        spark_version = args.get("spark_version", "15.4.x-scala2.12")
        node_types = list(args.get("node_types", ["Standard_D4ds_v5"]))
        max_workers = args.get("max_workers", 4)
        url = args.get("repository_url")
        assert url is not None  # _validate_workspace_args requires it with batch_jobs
        git_source: dbx.JobGitSourceArgsDict = {"url": url, "provider": "azureDevOpsServices"}
        if args.get("repository_commit"):
            git_source["commit"] = args["repository_commit"]
        else:
            git_source["branch"] = args.get("repository_branch", "main")
        cluster: dbx.JobJobClusterArgsDict = {
            "job_cluster_key": "batch",
            "new_cluster": {
                "spark_version": spark_version,
                "node_type_id": node_types[0],
                "autoscale": {"min_workers": 1, "max_workers": max_workers},
                "policy_id": policy.id,
                "apply_policy_default_values": True,
                "data_security_mode": "SINGLE_USER",
                "single_user_name": principal.application_id,
                "custom_tags": {"model": model},
            },
        }
        task: dbx.JobTaskArgsDict = {
            "task_key": "score",
            "job_cluster_key": "batch",
            "spark_python_task": {
                "python_file": job_args["entry"],
                "source": "GIT",
                "parameters": list(job_args.get("parameters", [])),
            },
        }
        job = dbx.Job(
            f"{name}-{model}-batch-inference",
            name=f"{model}-batch-inference",
            description=f"Batch inference of {model} (scheduled by Data Factory)",
            max_concurrent_runs=1,
            timeout_seconds=4 * 3600,
            git_source=git_source,
            job_clusters=[cluster],
            tasks=[task],
            run_as={"service_principal_name": principal.application_id},
            tags={"model": model, "environment": args["environment"]},
            opts=in_workspace,
        )
        dbx.Permissions(
            f"{name}-{model}-job-permissions",
            job_id=job.id,
            access_controls=[
                {"service_principal_name": principal.application_id, "permission_level": "CAN_MANAGE_RUN"}
            ],
            opts=in_workspace,
        )
        return job.id


def _validate_workspace_args(args: DatabricksWorkspaceArgs) -> None:
    """Every argument check of :class:`DatabricksWorkspace`, batch jobs included."""
    check_unknown_args(COMPONENT, args, DatabricksWorkspaceArgs)
    require(
        COMPONENT,
        args,
        "resource_group_name",
        "resource_group_id",
        "location",
        "workspace_name",
        "identity_name",
        "vnet_id",
        "public_subnet_id",
        "private_subnet_id",
        "log_analytics_id",
        "key_vault_id",
        "key_vault_uri",
        "environment",
    )
    if not args.get("public_network_access", False) and not args.get("private_endpoint_subnet_id"):
        raise arg_error(
            COMPONENT, "private_endpoint_subnet_id", "is required when public_network_access is off"
        )
    if not list(args.get("node_types", ["Standard_D4ds_v5"])):
        raise arg_error(COMPONENT, "node_types", "needs at least one VM size")
    max_workers = args.get("max_workers", 4)
    if not 1 <= max_workers <= 100:
        raise arg_error(COMPONENT, "max_workers", f"{max_workers} is not 1-100")
    jobs = dict(args.get("batch_jobs", {}))
    if jobs and not args.get("repository_url"):
        raise arg_error(
            COMPONENT, "repository_url", "is required with batch_jobs (jobs run from the repository)"
        )
    for model in sorted(jobs):
        check_unknown_args(COMPONENT, jobs[model], BatchJobArgs)
        if not jobs[model].get("entry"):
            raise arg_error(COMPONENT, f"batch_jobs.{model}.entry", "is required")


class CentralRegistryWorkspaceArgs(TypedDict):
    """Arguments of :class:`CentralRegistryWorkspace`."""

    resource_group_name: pulumi.Input[str]
    """Required."""
    resource_group_id: pulumi.Input[str]
    """Required."""
    location: str
    """Required."""
    workspace_name: str
    """Required."""
    log_analytics_id: pulumi.Input[str]
    """Required."""
    catalog: str
    """Required. The Unity Catalog catalog that holds the shared models."""
    readers_group: NotRequired[str]
    """Optional. The account-level group that may read and execute the shared models (it must
    exist in the Databricks account). @default mlops-registry-readers"""
    public_network_access: NotRequired[bool]
    """Optional. A workspace without VNet injection cannot take private endpoints, so this
    must be True unless the shared stack gains a network. @default True"""
    tags: NotRequired[dict[str, str]]
    """Optional. @default {}"""


class CentralRegistryWorkspace(pulumi.ComponentResource):
    """The compute-less registry workspace; models shared through Unity Catalog."""

    workspace_id: pulumi.Output[str]
    """ARM id of the workspace."""
    workspace_url: pulumi.Output[str]
    """Its URL."""
    catalog_name: str
    """The shared models' catalog."""

    def __init__(
        self, name: str, args: CentralRegistryWorkspaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:databricks:CentralRegistryWorkspace", name, {}, opts)
        check_unknown_args(REGISTRY_COMPONENT, args, CentralRegistryWorkspaceArgs)
        require(
            REGISTRY_COMPONENT,
            args,
            "resource_group_name",
            "resource_group_id",
            "location",
            "workspace_name",
            "log_analytics_id",
            "catalog",
        )
        readers = args.get("readers_group", "mlops-registry-readers")
        if not readers.strip() or readers.strip().lower() in ("account users", "users"):
            raise arg_error(
                REGISTRY_COMPONENT,
                "readers_group",
                f"'{readers}' would open the catalog to everyone; name a group",
            )
        if not args.get("public_network_access", True):
            raise arg_error(
                REGISTRY_COMPONENT,
                "public_network_access",
                "false needs VNet injection and a private endpoint; the registry workspace has no VNet",
            )
        tags = dict(args.get("tags", {}))
        workspace = _workspace(
            self,
            name,
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            resource_group_id=args["resource_group_id"],
            location=args["location"],
            public=True,
            parameters={},
            tags=tags,
        )
        send_to_log_analytics(
            f"{name}-workspace",
            resource_id=workspace.id,
            workspace_id=args["log_analytics_id"],
            parent=self,
            metrics=False,
        )

        import pulumi_databricks as dbx

        provider = _provider(self, name, workspace)
        in_workspace = pulumi.ResourceOptions(parent=self, provider=provider)
        users = dbx.get_group_output(display_name="users", opts=pulumi.InvokeOutputOptions(provider=provider))
        dbx.Entitlements(
            f"{name}-users-no-compute",
            group_id=users.id,
            allow_cluster_create=False,
            allow_instance_pool_create=False,
            databricks_sql_access=False,
            workspace_access=True,
            opts=in_workspace,
        )
        admins = dbx.Group(
            f"{name}-registry-admins",
            display_name="registry-admins",
            allow_cluster_create=False,
            allow_instance_pool_create=False,
            databricks_sql_access=False,
            opts=in_workspace,
        )
        personal = dbx.ClusterPolicy(
            f"{name}-personal-compute",
            name="Personal Compute",
            policy_family_id="personal-vm",
            policy_family_definition_overrides=json.dumps(
                {"custom_tags.purpose": {"type": "fixed", "value": "registry-break-glass"}}, sort_keys=True
            ),
            description="Overrides the default Personal Compute policy: only registry-admins may use it",
            opts=in_workspace,
        )
        dbx.Permissions(
            f"{name}-personal-compute-permissions",
            cluster_policy_id=personal.id,
            access_controls=[{"group_name": admins.display_name, "permission_level": "CAN_USE"}],
            opts=in_workspace,
        )
        self._catalog(name, args["catalog"], readers, in_workspace)

        self.workspace_id = workspace.id
        self.workspace_url = workspace.workspace_url
        self.catalog_name = args["catalog"]
        self.register_outputs(
            {
                "workspace_id": self.workspace_id,
                "workspace_url": self.workspace_url,
                "catalog_name": self.catalog_name,
            }
        )

    def _catalog(
        self, name: str, catalog_name: str, readers: str, in_workspace: pulumi.ResourceOptions
    ) -> None:
        """The shared models' catalog and ``models`` schema, readable by the readers group only."""
        import pulumi_databricks as dbx

        catalog = dbx.Catalog(
            f"{name}-catalog",
            name=catalog_name,
            isolation_mode="OPEN",
            comment="Models shared across the estate's workspaces (central registry)",
            opts=in_workspace,
        )
        schema = dbx.Schema(
            f"{name}-models-schema",
            catalog_name=catalog.name,
            name="models",
            comment="Registered models (models:/<catalog>.models.<name>@champion)",
            opts=in_workspace,
        )
        dbx.Grants(
            f"{name}-catalog-grants",
            catalog=catalog.name,
            grants=[{"principal": readers, "privileges": ["USE_CATALOG", "BROWSE"]}],
            opts=in_workspace,
        )
        dbx.Grants(
            f"{name}-schema-grants",
            schema=pulumi.Output.concat(catalog.name, ".", schema.name),
            grants=[{"principal": readers, "privileges": ["USE_SCHEMA", "EXECUTE"]}],
            opts=in_workspace,
        )
