"""Composition step: Azure DevOps objects and self-hosted agents.

Split between the stacks:

* shared — the project (or a reference to it), the Git repository, the policies on the default
  branch, one build definition per ``pipelines/*.yml``, and the shared stack's own service
  connection ``mlops-estate-shared`` and environment ``mlops-shared`` (infra-deploy and
  infra-preview use them). It exports ``devopsOrganizationUrl``, ``devopsProjectId``,
  ``devopsProjectName``, ``devopsRepositoryId``, ``devopsDefaultBranch`` and
  ``devopsPipelineIds`` for the environment stacks.
* dev / qa / prod — the service connection ``mlops-estate-<env>`` (workload identity
  federation to a managed identity created here), the Key Vault variable group, the
  environment ``mlops-<env>`` with its checks, the agent scale set and its elastic pool
  ``mlops-agents-<env>`` (an elastic pool is bound to one scale set, which lives in the
  environment's network). qa and prod export ``releasePipelineId``: the release pipeline is
  authorised on their environment (maturity level 3 evidence). A release starts from the training
  run that registered the version (``pipelines/templates/train-model.yml``), not from an event:
  Azure ML registries publish no Event Grid events.

Every Azure DevOps resource uses the stack's explicit ``pulumi_azuredevops.Provider``. It
gets only the organisation URL; credentials come from the environment at run time (the
pipeline's ``$(System.AccessToken)`` as ``AZDO_PERSONAL_ACCESS_TOKEN``, or OIDC through
``AZDO_USE_OIDC`` / ``ARM_OIDC_*``), never from config.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi

from infra.errors import ConfigError
from infra.settings.delivery import ApprovalSettings
from infra.vocabulary import TRAINING_STACK
from stacks.context import StackContext

if TYPE_CHECKING:
    from components.devops_environment import ApprovalArgs

PIPELINES_DIR = Path(__file__).resolve().parents[1] / "pipelines"

ENV_PIPELINE_RESOURCES: dict[str, tuple[str, ...]] = {
    "infra-preview": ("preview-endpoint",),
    "infra-deploy": ("endpoint", "environment", "variablegroup"),
    "release": ("endpoint", "environment", "variablegroup", "release-endpoint"),
    "train": ("jobs-endpoint",),
    "batch": ("jobs-endpoint",),
    "ci": ("jobs-endpoint",),
}
"""What each pipeline uses in an environment stack (from pipelines/*.yml): pull-request
previews only the read-only ``mlops-estate-<env>-preview`` connection; deploying pipelines the
deployer connection, the ADO environment and the Key Vault variable group; the release also its
stack-file writer; train and batch the ``mlops-estate-<env>-jobs`` connection (Azure ML only).
``ci`` runs on Microsoft-hosted agents without Azure access, except its ``train`` job on
``main``, which trains in the training stack with that stack's jobs connection and pool."""

SHARED_PIPELINE_RESOURCES: dict[str, tuple[str, ...]] = {
    "infra-preview": ("preview-endpoint",),
    "infra-deploy": ("endpoint", "environment"),
}
"""What each pipeline uses of the shared stack's connections and environment."""

QUEUE_PIPELINES: tuple[str, ...] = ("infra-preview", "infra-deploy", "release", "train", "batch", "ci")
"""Pipelines that run on the self-hosted pools (``pool: mlops-agents-<stack>``)."""

TRAINING_PIPELINES: tuple[str, ...] = ("ci", "train")
"""Pipelines that train: authorised only in the training stack, whose identities write the
shared registry (``pipelines/templates/train-model.yml`` accepts only that stack)."""

RELEASE_STACKS: tuple[str, ...] = ("qa", "prod")
"""Stacks the release pipeline deploys (release.yml has a qa and a prod stage)."""


def pipeline_files(directory: Path = PIPELINES_DIR) -> dict[str, str]:
    """Pipeline name → repository path for every top-level ``pipelines/*.yml``."""
    files = {path.stem: f"pipelines/{path.name}" for path in sorted(directory.glob("*.yml"))}
    if not files:
        raise ConfigError(
            f"no pipeline YAML in {directory}; the build definitions are made from pipelines/*.yml",
            key="pipelines",
        )
    return files


def _devops_provider(ctx: StackContext, organization_url: pulumi.Input[str]) -> pulumi.ProviderResource:
    import pulumi_azuredevops as azuredevops

    return azuredevops.Provider(f"azuredevops-{ctx.settings.environment}", org_service_url=organization_url)


def _approval(
    approvals: ApprovalSettings | None,
    project_id: pulumi.Input[str],
    project_name: pulumi.Input[str],
    provider: pulumi.ProviderResource,
) -> ApprovalArgs | None:
    """The approval check's args: the approver group's identity, looked up by name in the project
    (``[<project>]\\<group>``) or in the organisation (any other scope)."""
    if approvals is None:
        return None
    import pulumi_azuredevops as azuredevops

    def origin_id(values: list[str]) -> str:
        # A plain lookup once the project is known (in environment stacks it comes from the shared stack).
        project, name = values
        found = azuredevops.get_group(
            name=approvals.group_name,
            project_id=project if approvals.group_scope == name else None,
            opts=pulumi.InvokeOptions(provider=provider),
        )
        return found.origin_id

    return {
        "approver_ids": [pulumi.Output.all(project_id, project_name).apply(origin_id)],
        "timeout_minutes": approvals.timeout_minutes,
        "min_approvers": approvals.min_approvers,
    }


def _pipeline_id(ids: pulumi.Output[Any], name: str) -> pulumi.Output[str]:
    """The definition id of pipeline ``name`` from the shared stack's ``devopsPipelineIds``."""
    return ids.apply(lambda values: str(values[name]))


def _permissions(
    table: dict[str, tuple[str, ...]],
    pipeline_ids: dict[str, Any],
    names: list[str],
    *,
    drop: tuple[str, ...] = (),
) -> dict[str, tuple[Any, list[str]]]:
    out: dict[str, tuple[Any, list[str]]] = {}
    for name in names:
        kinds = [k for k in table.get(name, ()) if k not in drop]
        if kinds:
            out[name] = (pipeline_ids[name], kinds)
    return out


def compose_devops_project(ctx: StackContext) -> None:
    """Shared-side DevOps objects: project, repository, branch policies, pipelines, shared connection."""
    from components.devops_environment import DevOpsEnvironment
    from components.devops_project import DevOpsProject

    settings = ctx.shared_settings
    devops = settings.devops
    pipelines = pipeline_files()
    provider = _devops_provider(ctx, devops.organization_url)
    project = DevOpsProject(
        "devops-project",
        {
            "project_name": devops.project,
            "existing_project": devops.existing_project,
            "devops_provider": provider,
            "pipelines": pipelines,
            "repository_name": devops.repository,
            "default_branch": devops.default_branch,
            "pipelines_folder": devops.pipelines_folder,
            "branch_policy": {
                "min_reviewers": devops.branch_policy.min_reviewers,
                "require_comment_resolution": devops.branch_policy.require_comment_resolution,
                "require_linked_work_items": devops.branch_policy.require_linked_work_items,
                "build_validation_expiry_minutes": devops.branch_policy.build_validation_expiry_minutes,
            },
        },
        opts=ctx.opts(),
    )
    shared = DevOpsEnvironment(
        "devops-shared",
        {
            "environment": "shared",
            "project_id": project.project_id,
            "devops_provider": provider,
            "subscription_id": settings.subscription_id,
            "subscription_name": f"mlops-estate shared ({settings.subscription_id})",
            "tenant_id": settings.tenant_id,
            "resource_group_name": ctx.resource_group_name,
            "resource_group_id": ctx.resource_group_id,
            "location": ctx.location,
            "identity_name": ctx.namer.name("user_assigned_identity", "deployer"),
            "preview_identity_name": ctx.namer.name("user_assigned_identity", "preview"),
            "default_branch": devops.default_branch,
            "approval": _approval(devops.approvals, project.project_id, devops.project, provider),
            "exclusive_lock": True,
            "pipeline_permissions": _permissions(
                SHARED_PIPELINE_RESOURCES,
                project.pipeline_ids,
                [p for p in SHARED_PIPELINE_RESOURCES if p in pipelines],
            ),
            "tags": ctx.tags,
        },
        opts=ctx.opts(),
    )
    ctx.parts.devops = project
    ctx.parts.devops_environment = shared
    ctx.outputs["devopsOrganizationUrl"] = devops.organization_url.rstrip("/")
    ctx.outputs["devopsProjectId"] = project.project_id
    ctx.outputs["devopsProjectName"] = devops.project
    ctx.outputs["devopsRepositoryId"] = project.repository_id
    ctx.outputs["devopsDefaultBranch"] = devops.default_branch
    ctx.outputs["devopsPipelineIds"] = project.pipeline_ids
    ctx.outputs["devopsServiceConnection"] = shared.service_endpoint_name
    ctx.outputs["devopsDeployerClientId"] = shared.identity_client_id
    ctx.outputs["devopsPreviewPrincipalId"] = shared.preview_principal_id


def compose_delivery(ctx: StackContext) -> None:
    """Environment-side DevOps objects: service connection, environment + checks, agents."""
    from components.build_agents import BuildAgents
    from components.devops_environment import DevOpsEnvironment, DevOpsEnvironmentArgs

    settings = ctx.environment_settings
    env = settings.environment
    network = ctx.parts.network
    workspace = ctx.parts.workspace
    observability = ctx.parts.observability
    organization_url = ctx.shared_output("devopsOrganizationUrl")
    project_id = ctx.shared_output("devopsProjectId")
    project_name = ctx.shared_output("devopsProjectName")
    branch = ctx.shared_output("devopsDefaultBranch")
    pipeline_ids_output = ctx.shared_output("devopsPipelineIds")
    names = [p for p in pipeline_files()]
    pipeline_ids = {name: _pipeline_id(pipeline_ids_output, name) for name in names}
    provider = _devops_provider(ctx, organization_url)
    devops = settings.devops
    # The release pipeline may deploy here only from maturity level 3 (automated deployment).
    in_release = env in RELEASE_STACKS and settings.maturity_level >= 3
    env_names = [
        n
        for n in names
        if (n != "release" or in_release) and (n not in TRAINING_PIPELINES or env == TRAINING_STACK)
    ]

    environment_args: DevOpsEnvironmentArgs = {
        "environment": env,
        "project_id": project_id,
        "devops_provider": provider,
        "subscription_id": settings.subscription_id,
        "subscription_name": f"mlops-estate {env} ({settings.subscription_id})",
        "tenant_id": settings.tenant_id,
        "resource_group_name": ctx.resource_group_name,
        "resource_group_id": ctx.resource_group_id,
        "location": ctx.location,
        "identity_name": ctx.namer.name("user_assigned_identity", "deployer"),
        "preview_identity_name": ctx.namer.name("user_assigned_identity", "preview"),
        "jobs": {
            "identity_name": ctx.namer.name("user_assigned_identity", "jobs"),
            "workspace_id": workspace.workspace_id,
            "protected": env == "prod",
        },
        "default_branch": branch,
        "key_vault_id": workspace.key_vault_id,
        "key_vault_name": workspace.key_vault_name,
        "key_vault_secrets": {"appinsights-connection-string": observability.app_insights_connection_string},
        "approval": _approval(devops.approvals, project_id, project_name, provider),
        "exclusive_lock": devops.exclusive_lock if devops.exclusive_lock is not None else env == "prod",
        "pipeline_permissions": _permissions(ENV_PIPELINE_RESOURCES, pipeline_ids, env_names),
        "tags": ctx.tags,
    }
    if in_release:
        environment_args["release_writer"] = {
            "identity_name": ctx.namer.name("user_assigned_identity", "release"),
            "repository_id": ctx.shared_output("devopsRepositoryId"),
        }
    environment = DevOpsEnvironment(
        "devops-environment",
        environment_args,
        opts=ctx.opts(),
    )
    ctx.parts.devops_environment = environment
    ctx.outputs["devopsServiceConnection"] = environment.service_endpoint_name
    ctx.outputs["devopsDeployerClientId"] = environment.identity_client_id
    ctx.outputs["devopsPreviewPrincipalId"] = environment.preview_principal_id

    agents = settings.agents
    if agents is not None and agents.enabled:
        pool = BuildAgents(
            "build-agents",
            {
                "resource_group_name": ctx.resource_group_name,
                "location": ctx.location,
                "scale_set_name": ctx.namer.name("vmss", "agents"),
                "identity_name": ctx.namer.name("user_assigned_identity", "agents"),
                "subnet_id": network.subnet_ids["agents"],
                "ssh_public_key": agents.ssh_public_key,
                "pool_name": f"mlops-agents-{env}",
                "project_id": project_id,
                "service_endpoint_id": environment.service_endpoint_id,
                "devops_provider": provider,
                "vm_size": agents.vm_size,
                "min_idle": agents.min_idle,
                "max_capacity": agents.max_capacity,
                "time_to_live_minutes": agents.time_to_live_minutes,
                "recycle_after_each_use": agents.recycle_after_each_use,
                "os_disk_size_gb": agents.os_disk_size_gb,
                "image_version": agents.image_version,
                "pipeline_ids": {n: pipeline_ids[n] for n in env_names if n in QUEUE_PIPELINES},
                "tags": ctx.tags,
            },
            opts=ctx.opts(),
        )
        ctx.parts.agents = pool
        ctx.outputs["agentPoolName"] = f"mlops-agents-{env}"

    if in_release:
        ctx.outputs["releasePipelineId"] = pipeline_ids["release"]
