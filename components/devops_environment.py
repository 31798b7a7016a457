"""One stack's side of Azure DevOps: one identity and service connection per purpose, their
Azure roles, the Key Vault variable group and the deployment environment with its checks.

No secret exists anywhere: every service connection authenticates with workload identity
federation to a user-assigned managed identity created here, whose federated credential trusts
exactly the issuer and subject Azure DevOps reports for that connection.

Identities and connections (one per purpose, so a pull request never reaches a writer):

* ``mlops-estate-<env>`` — the deployer (infra-deploy, release). Azure roles:
  ``mlops-estate deployer (<env>)``, a custom role on the stack's resource group with the
  resource-provider actions the estate deploys and no ``Microsoft.Authorization`` write or
  delete; ``Role Based Access Control Administrator`` on the resource group with an ABAC
  condition that forbids assigning or removing Owner, User Access Administrator and RBAC
  Administrator; ``Key Vault Secrets User`` on the environment's Key Vault when one is given
  (the variable group reads it). The connection itself carries branch control (only the
  default branch, protection verified) and, when an approval is configured, the approval: a
  pipeline that names it without the environment still meets both checks.
* ``mlops-estate-<env>-preview`` — pull-request previews (infra-preview). Azure role:
  ``Reader`` on the resource group, nothing else (state read and secrets-key decrypt are
  granted on the state backend by the bootstrap script). It is the only connection the
  preview pipeline is authorised for; it has no checks because pull-request branches use it.
* ``mlops-estate-<env>-jobs`` (with ``jobs``) — training and batch scoring. Azure role:
  ``AzureML Data Scientist`` on the workspace (submit jobs, invoke batch endpoints; no
  workspace or compute writes). Branch control on the connection when ``jobs.protected``.
* ``mlops-estate-<env>-release`` (with ``release_writer``) — the release pipeline's stack-file
  commit. No Azure role: the identity is added to Azure DevOps and gets **Contribute** and
  **Bypass policies when pushing** on the default branch of the repository only, and **Read** on
  that repository (to fetch before it pushes). Only the
  release pipeline is authorised; the connection carries the same branch control and approval
  as the environment, so the push happens only after the environment's approval.

The ADO environment ``mlops-<env>`` carries approval (group, timeout and minimum approvers
from settings), branch control and, where asked, an exclusive lock. Pipeline permissions
authorise exactly the pipelines that need each connection, the variable group and the
environment.

Bootstrap: the deployer identity deploys its own stack, so the first ``pulumi up`` of a stack
runs with a bootstrap identity (docs/bootstrap.md); afterwards the pipelines use the connections.

Limitation: Azure DevOps lists a linked vault's secrets from its own service, so a vault with
public network access disabled must allow that path (or pipelines read it with the
AzureKeyVault task on the self-hosted agents instead).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization, keyvault, managedidentity

from components import roles
from components.common import arg_error, check_unknown_args, require

COMPONENT = "DevOpsEnvironment"
RBAC_ADMINISTRATOR = roles.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR.guid
KEY_VAULT_SECRETS_USER = roles.KEY_VAULT_SECRETS_USER.guid
OWNER = roles.OWNER_GUID
USER_ACCESS_ADMINISTRATOR = roles.USER_ACCESS_ADMINISTRATOR_GUID

DEPLOYER_ACTIONS = [
    "Microsoft.Resources/subscriptions/resourceGroups/*",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/read",
    "Microsoft.Resources/subscriptions/operationresults/read",
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/*",
    "Microsoft.OperationalInsights/*",
    "Microsoft.AlertsManagement/*",
    "Microsoft.Network/*",
    "Microsoft.Compute/*",
    "Microsoft.ContainerService/*",
    "Microsoft.KubernetesConfiguration/*",
    "Microsoft.MachineLearningServices/*",
    "Microsoft.Storage/*",
    "Microsoft.KeyVault/*",
    "Microsoft.ContainerRegistry/*",
    "Microsoft.ManagedIdentity/*",
    "Microsoft.EventGrid/*",
    "Microsoft.Logic/*",
    "Microsoft.Web/*",
    "Microsoft.Databricks/*",
    "Microsoft.DataFactory/*",
    "Microsoft.Features/providers/features/read",
    "Microsoft.Resources/providers/read",
]
"""What the deployer role allows: the resource providers the estate deploys."""
DEPLOYER_NOT_ACTIONS = [
    "Microsoft.Authorization/*/Write",
    "Microsoft.Authorization/*/Delete",
    "Microsoft.Authorization/elevateAccess/Action",
]

_PRIVILEGED = f"{OWNER}, {USER_ACCESS_ADMINISTRATOR}, {RBAC_ADMINISTRATOR}"
RBAC_CONDITION = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {"
    + _PRIVILEGED
    + "})) AND "
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
    "(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {"
    + _PRIVILEGED
    + "}))"
)
"""Constrained delegation: assign any role except Owner, User Access Administrator, RBAC Administrator."""

READER = roles.READER.guid
AZUREML_DATA_SCIENTIST = roles.AZUREML_DATA_SCIENTIST.guid

RESOURCE_TYPES = (
    "endpoint",
    "preview-endpoint",
    "jobs-endpoint",
    "release-endpoint",
    "variablegroup",
    "environment",
)
"""What a pipeline may be authorised for: the deployer, preview, jobs and release-writer
connections, the variable group and the environment."""

PREVIEW_ROLES: tuple[str, ...] = (READER,)
"""The Azure roles of a pull-request preview identity (built-in role ids): read only."""
JOBS_ROLES: tuple[str, ...] = (AZUREML_DATA_SCIENTIST,)
"""The Azure roles of the training / batch identity, on the workspace."""
RELEASE_GIT_PERMISSIONS: dict[str, str] = {"GenericContribute": "Allow", "PolicyExempt": "Allow"}
"""What the release writer may do on the default branch (Contribute, Bypass policies when pushing)."""
RELEASE_REPOSITORY_PERMISSIONS: dict[str, str] = {"GenericRead": "Allow"}
"""What the release writer may do on the whole repository: read it (fetch before the push)."""


class ApprovalArgs(TypedDict):
    """An approval check."""

    approver_ids: list[pulumi.Input[str]]
    """Required. Approver identity ids (``origin_id`` of the approver group)."""
    timeout_minutes: NotRequired[int]
    """Optional. @default 1440"""
    min_approvers: NotRequired[int]
    """Optional. @default 1"""
    instructions: NotRequired[str]
    """Optional. Text shown to approvers. @default a sentence naming the environment"""


class JobsIdentityArgs(TypedDict):
    """The identity of training and batch runs."""

    identity_name: str
    """Required. Name of its user-assigned identity."""
    workspace_id: pulumi.Input[str]
    """Required. ARM id of the Azure ML workspace (the scope of its only role)."""
    protected: NotRequired[bool]
    """Optional. Branch control on its connection: only the default branch runs jobs. @default False"""


class ReleaseWriterArgs(TypedDict):
    """The identity that commits the release's stack-file edit."""

    identity_name: str
    """Required. Name of its user-assigned identity."""
    repository_id: pulumi.Input[str]
    """Required. The Git repository it pushes to (its default branch only)."""


class DevOpsEnvironmentArgs(TypedDict):
    """Arguments of :class:`DevOpsEnvironment`."""

    environment: str
    """Required. Stack environment (``shared``, ``dev``, ``qa``, ``prod``); names the objects."""
    project_id: pulumi.Input[str]
    """Required. Azure DevOps project id."""
    devops_provider: pulumi.ProviderResource
    """Required. The explicit ``pulumi_azuredevops.Provider`` of the stack."""
    subscription_id: str
    """Required. The stack's subscription (the connection's scope)."""
    subscription_name: str
    """Required. Display name of that subscription in Azure DevOps."""
    tenant_id: str
    """Required. The Entra tenant."""
    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the identities."""
    resource_group_id: pulumi.Input[str]
    """Required. ARM id of the stack's resource group: the scope of the deployer's and the
    previewer's roles (the subscription is never granted)."""
    location: str
    """Required. Azure region of the identities."""
    identity_name: str
    """Required. Name of the deployer's user-assigned identity."""
    default_branch: pulumi.Input[str]
    """Required. The only branch allowed to deploy (``main``)."""
    preview_identity_name: NotRequired[str]
    """Optional. Name of the read-only preview identity. @default ``<identity_name>-preview``"""
    jobs: NotRequired[JobsIdentityArgs]
    """Optional. A training / batch identity and connection. @default none"""
    release_writer: NotRequired[ReleaseWriterArgs]
    """Optional. The release pipeline's stack-file writer. @default none"""
    key_vault_id: NotRequired[pulumi.Input[str]]
    """Optional. The environment's Key Vault: linked into a variable group. @default no variable group"""
    key_vault_name: NotRequired[pulumi.Input[str]]
    """Conditional. Required with ``key_vault_id``."""
    key_vault_secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Conditional. Secrets written to the vault and exposed by the variable group (name → value);
    at least one with ``key_vault_id``. @default {}"""
    approval: NotRequired[ApprovalArgs | None]
    """Optional. Approval check on the environment, the deployer and the release-writer
    connections. @default none"""
    exclusive_lock: NotRequired[bool]
    """Optional. Exclusive lock check (one run at a time). @default False"""
    pipeline_permissions: NotRequired[dict[str, tuple[pulumi.Input[str], list[str]]]]
    """Optional. Pipeline name → (build definition id, resource types among
    :data:`RESOURCE_TYPES`) it may use. @default {}"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of the Azure resources. @default {}"""


def role_assignment_name(*parts: str) -> str:
    """A deterministic GUID for a role assignment or definition name (existing names: frozen namespace)."""
    return roles.assignment_name(*parts, namespace=roles.DELIVERY_NAMESPACE)


def validate_args(args: DevOpsEnvironmentArgs) -> None:
    """Every argument check of :class:`DevOpsEnvironment` (raises ConfigError)."""
    check_unknown_args(COMPONENT, args, DevOpsEnvironmentArgs)
    require(
        COMPONENT,
        args,
        "environment",
        "project_id",
        "devops_provider",
        "subscription_id",
        "subscription_name",
        "tenant_id",
        "resource_group_name",
        "resource_group_id",
        "location",
        "identity_name",
        "default_branch",
    )
    env = args["environment"]
    if env not in ("shared", "dev", "qa", "prod"):
        raise arg_error(COMPONENT, "environment", f"'{env}' is not one of shared, dev, qa, prod")
    has_vault = args.get("key_vault_id") is not None
    secrets = dict(args.get("key_vault_secrets", {}))
    if has_vault and args.get("key_vault_name") is None:
        raise arg_error(COMPONENT, "key_vault_name", "is required with key_vault_id")
    if has_vault and not secrets:
        raise arg_error(COMPONENT, "key_vault_secrets", "needs at least one secret to link with key_vault_id")
    if secrets and not has_vault:
        raise arg_error(COMPONENT, "key_vault_secrets", "needs key_vault_id (the vault that holds them)")
    approval = args.get("approval")
    if approval is not None:
        if not approval.get("approver_ids"):
            raise arg_error(COMPONENT, "approval.approver_ids", "needs at least one approver")
        if not 5 <= approval.get("timeout_minutes", 1440) <= 43200:
            raise arg_error(
                COMPONENT, "approval.timeout_minutes", f"{approval.get('timeout_minutes')} must be 5-43200"
            )
    jobs = args.get("jobs")
    if jobs is not None:
        require(COMPONENT, jobs, "identity_name", "workspace_id")
    writer = args.get("release_writer")
    if writer is not None:
        require(COMPONENT, writer, "identity_name", "repository_id")
    available = {
        "jobs-endpoint": jobs is not None,
        "release-endpoint": writer is not None,
        "variablegroup": has_vault,
    }
    needs = {"jobs-endpoint": "jobs", "release-endpoint": "release_writer", "variablegroup": "key_vault_id"}
    for pipeline, (_, kinds) in dict(args.get("pipeline_permissions", {})).items():
        bad = [k for k in kinds if k not in RESOURCE_TYPES]
        if bad:
            raise arg_error(
                COMPONENT,
                f"pipeline_permissions.{pipeline}",
                f"{bad} are not resource types; allowed: {', '.join(RESOURCE_TYPES)}",
            )
        for kind in kinds:
            if not available.get(kind, True):
                what = "the variable group" if kind == "variablegroup" else f"the {kind}"
                raise arg_error(
                    COMPONENT,
                    f"pipeline_permissions.{pipeline}",
                    f"asks for {what}, which needs {needs[kind]}",
                )


class DevOpsEnvironment(pulumi.ComponentResource):
    """Service connections per purpose, roles, variable group, environment and checks
    (``mlops:delivery:DevOpsEnvironment``)."""

    service_endpoint_id: pulumi.Output[str]
    """Id of the ``mlops-estate-<env>`` (deployer) service connection."""
    service_endpoint_name: str
    """Its name."""
    preview_service_endpoint_name: str
    """Name of the read-only ``mlops-estate-<env>-preview`` connection."""
    identity_principal_id: pulumi.Output[str]
    """Principal id of the deployer identity."""
    identity_client_id: pulumi.Output[str]
    """Client id of the deployer identity (the connection's service principal id)."""
    preview_principal_id: pulumi.Output[str]
    """Principal id of the preview identity."""
    environment_id: pulumi.Output[str]
    """Id of the ``mlops-<env>`` Azure DevOps environment."""
    variable_group_id: pulumi.Output[str] | None
    """Id of the Key Vault variable group (None without a vault)."""

    def __init__(
        self, name: str, args: DevOpsEnvironmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:delivery:DevOpsEnvironment", name, {}, opts)
        validate_args(args)
        self._name = name
        self._args = args
        self._env = args["environment"]
        self._ado = pulumi.ResourceOptions(parent=self, provider=args["devops_provider"])
        self._branch = pulumi.Output.concat("refs/heads/", args["default_branch"])
        connection_name = f"mlops-estate-{self._env}"
        approval = args.get("approval")

        identity, connection, credential = self._connection("", args["identity_name"], connection_name)
        self._deployer_roles((identity, args["identity_name"]))
        self._endpoint_checks("connection", connection.id, connection_name, approval)
        preview_name = args.get("preview_identity_name", f"{args['identity_name']}-preview")
        preview_identity, preview, _ = self._connection(
            "preview-", preview_name, f"{connection_name}-preview"
        )
        self._role(
            "preview-reader",
            (preview_identity, preview_name),
            READER,
            args["resource_group_id"],
            "read the stack's resources (pull-request previews), nothing else",
        )
        targets: dict[str, pulumi.Output[str]] = {"endpoint": connection.id, "preview-endpoint": preview.id}
        jobs = args.get("jobs")
        if jobs is not None:
            targets["jobs-endpoint"] = self._jobs(jobs, f"{connection_name}-jobs")
        writer = args.get("release_writer")
        if writer is not None:
            targets["release-endpoint"] = self._release_writer(writer, f"{connection_name}-release", approval)
        group = self._variable_group(identity, connection, credential, connection_name)
        environment = self._environment(approval)
        targets["environment"] = environment.id
        if group is not None:
            targets["variablegroup"] = group.id
        self._authorize(targets)

        self.service_endpoint_id = connection.id
        self.service_endpoint_name = connection_name
        self.preview_service_endpoint_name = f"{connection_name}-preview"
        self.identity_principal_id = identity.principal_id
        self.identity_client_id = identity.client_id
        self.preview_principal_id = preview_identity.principal_id
        self.environment_id = environment.id
        self.variable_group_id = group.id if group is not None else None
        self.register_outputs(
            {
                "service_endpoint_id": self.service_endpoint_id,
                "identity_principal_id": self.identity_principal_id,
                "identity_client_id": self.identity_client_id,
                "preview_principal_id": self.preview_principal_id,
                "environment_id": self.environment_id,
                "variable_group_id": self.variable_group_id,
            }
        )

    def _connection(
        self, prefix: str, identity_name: str, connection_name: str
    ) -> tuple[
        managedidentity.UserAssignedIdentity,
        pulumi.CustomResource,
        managedidentity.FederatedIdentityCredential,
    ]:
        """A user-assigned identity, its WIF service connection and the federated credential."""
        import pulumi_azuredevops as azuredevops

        args = self._args
        identity = managedidentity.UserAssignedIdentity(
            f"{self._name}-{prefix}identity",
            resource_name_=identity_name,
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            tags=dict(args.get("tags", {})),
            opts=pulumi.ResourceOptions(parent=self),
        )
        connection = azuredevops.ServiceEndpointAzureRM(
            f"{self._name}-{prefix}connection",
            project_id=args["project_id"],
            service_endpoint_name=connection_name,
            description=f"mlops-estate {self._env}: workload identity federation to {identity_name} (managed by Pulumi)",
            service_endpoint_authentication_scheme="WorkloadIdentityFederation",
            credentials=azuredevops.ServiceEndpointAzureRMCredentialsArgs(
                serviceprincipalid=identity.client_id
            ),
            azurerm_spn_tenantid=args["tenant_id"],
            azurerm_subscription_id=args["subscription_id"],
            azurerm_subscription_name=args["subscription_name"],
            environment="AzureCloud",
            # The federated credential below is created after the connection; validating first would fail.
            features=azuredevops.ServiceEndpointAzureRMFeaturesArgs(validate=False),
            opts=self._ado,
        )
        credential = managedidentity.FederatedIdentityCredential(
            f"{self._name}-{prefix}federation",
            federated_identity_credential_resource_name=f"ado-{connection_name}",
            resource_name_=identity.name,
            resource_group_name=args["resource_group_name"],
            issuer=connection.workload_identity_federation_issuer,
            subject=connection.workload_identity_federation_subject,
            audiences=["api://AzureADTokenExchange"],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return identity, connection, credential

    def _role(
        self,
        suffix: str,
        identity: tuple[managedidentity.UserAssignedIdentity, str],
        role: pulumi.Input[str],
        scope: pulumi.Input[str],
        description: str,
        **extra: pulumi.Input[str],
    ) -> authorization.RoleAssignment:
        """A role assignment of ``identity`` (the resource and its name); ``role`` is a built-in
        role GUID or a definition id."""
        subscription = self._args["subscription_id"]
        definition = (
            f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}"
            if isinstance(role, str)
            else role
        )
        return authorization.RoleAssignment(
            f"{self._name}-{suffix}",
            role_assignment_name=role_assignment_name(suffix, subscription, identity[1]),
            scope=scope,
            role_definition_id=definition,
            principal_id=identity[0].principal_id,
            principal_type="ServicePrincipal",
            description=f"mlops-estate: {description}",
            opts=pulumi.ResourceOptions(parent=self),
            **extra,
        )

    def _deployer_roles(self, identity: tuple[managedidentity.UserAssignedIdentity, str]) -> None:
        """The deployer's custom role and the constrained RBAC Administrator assignment."""
        args = self._args
        scope = args["resource_group_id"]
        deployer_role = authorization.RoleDefinition(
            f"{self._name}-deployer-role",
            role_definition_id=role_assignment_name("deployer-role", args["subscription_id"], self._env),
            scope=scope,
            role_name=f"mlops-estate deployer ({self._env})",
            description=f"Deploys the mlops-estate {self._env} stack: the estate's resource providers, no authorization writes.",
            role_type="CustomRole",
            assignable_scopes=[scope],
            permissions=[
                authorization.PermissionArgs(actions=DEPLOYER_ACTIONS, not_actions=DEPLOYER_NOT_ACTIONS)
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._role("deployer", identity, deployer_role.id, scope, "deploy the stack's resources")
        self._role(
            "rbac-admin",
            identity,
            RBAC_ADMINISTRATOR,
            scope,
            "assign the stack's workload roles, never Owner/UAA/RBAC Administrator",
            condition=RBAC_CONDITION,
            condition_version="2.0",
        )

    def _endpoint_checks(
        self,
        prefix: str,
        endpoint_id: pulumi.Output[str],
        endpoint_name: str,
        approval: ApprovalArgs | None,
    ) -> None:
        """Branch control (and the approval, when configured) on a service connection."""
        import pulumi_azuredevops as azuredevops

        azuredevops.CheckBranchControl(
            f"{self._name}-{prefix}-branch-control",
            project_id=self._args["project_id"],
            target_resource_id=endpoint_id,
            target_resource_type="endpoint",
            display_name=pulumi.Output.concat("Only ", self._branch, f" uses {endpoint_name}"),
            allowed_branches=self._branch,
            verify_branch_protection=True,
            ignore_unknown_protection_status=False,
            timeout=1440,
            opts=self._ado,
        )
        if approval is not None:
            self._approval(f"{prefix}-approval", endpoint_id, "endpoint", approval)

    def _approval(self, suffix: str, target: pulumi.Output[str], kind: str, approval: ApprovalArgs) -> None:
        import pulumi_azuredevops as azuredevops

        azuredevops.CheckApproval(
            f"{self._name}-{suffix}",
            project_id=self._args["project_id"],
            target_resource_id=target,
            target_resource_type=kind,
            approvers=approval["approver_ids"],
            minimum_required_approvers=approval.get("min_approvers", 1),
            timeout=approval.get("timeout_minutes", 1440),
            requester_can_approve=False,
            instructions=approval.get(
                "instructions", f"Review the plan artefact of this run before it changes mlops-{self._env}."
            ),
            opts=self._ado,
        )

    def _jobs(self, jobs: JobsIdentityArgs, connection_name: str) -> pulumi.Output[str]:
        """The training / batch identity: AzureML Data Scientist on the workspace only."""
        identity, connection, _ = self._connection("jobs-", jobs["identity_name"], connection_name)
        self._role(
            "jobs-data-scientist",
            (identity, jobs["identity_name"]),
            AZUREML_DATA_SCIENTIST,
            jobs["workspace_id"],
            "submit training jobs and invoke batch endpoints in the workspace",
        )
        if jobs.get("protected", False):
            self._endpoint_checks("jobs-connection", connection.id, connection_name, None)
        return connection.id

    def _release_writer(
        self, writer: ReleaseWriterArgs, connection_name: str, approval: ApprovalArgs | None
    ) -> pulumi.Output[str]:
        """The release's stack-file writer: Contribute + bypass on the default branch, read on the repo."""
        import pulumi_azuredevops as azuredevops

        identity, connection, _ = self._connection("release-", writer["identity_name"], connection_name)
        entitlement = azuredevops.ServicePrincipalEntitlement(
            f"{self._name}-release-entitlement",
            origin="aad",
            origin_id=identity.principal_id,
            account_license_type="basic",
            opts=self._ado,
        )
        azuredevops.GitPermissions(
            f"{self._name}-release-git",
            project_id=self._args["project_id"],
            repository_id=writer["repository_id"],
            branch_name=self._args["default_branch"],
            principal=entitlement.descriptor,
            permissions=RELEASE_GIT_PERMISSIONS,
            replace=True,
            opts=self._ado,
        )
        azuredevops.GitPermissions(
            f"{self._name}-release-git-read",
            project_id=self._args["project_id"],
            repository_id=writer["repository_id"],
            principal=entitlement.descriptor,
            permissions=RELEASE_REPOSITORY_PERMISSIONS,
            replace=True,
            opts=self._ado,
        )
        self._endpoint_checks("release-connection", connection.id, connection_name, approval)
        return connection.id

    def _variable_group(
        self,
        identity: managedidentity.UserAssignedIdentity,
        connection: pulumi.CustomResource,
        credential: managedidentity.FederatedIdentityCredential,
        connection_name: str,
    ) -> pulumi.CustomResource | None:
        """The Key Vault secrets and the variable group linked to the vault (None without a vault)."""
        import pulumi_azuredevops as azuredevops

        args = self._args
        if args.get("key_vault_id") is None:
            return None
        secrets = dict(args.get("key_vault_secrets", {}))
        secrets_user = self._role(
            "kv-secrets-user",
            (identity, args["identity_name"]),
            KEY_VAULT_SECRETS_USER,
            args["key_vault_id"],
            "the Key Vault variable group reads these secrets",
        )
        written = [
            keyvault.Secret(
                f"{self._name}-secret-{secret}",
                secret_name=secret,
                vault_name=args["key_vault_name"],
                resource_group_name=args["resource_group_name"],
                properties=keyvault.SecretPropertiesArgs(
                    value=pulumi.Output.secret(value), content_type="text/plain"
                ),
                tags=dict(args.get("tags", {})),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for secret, value in sorted(secrets.items())
        ]
        return azuredevops.VariableGroup(
            f"{self._name}-variables",
            project_id=args["project_id"],
            name=f"{connection_name}-keyvault",
            description=f"Secrets of the {self._env} Key Vault, read through {connection_name} (managed by Pulumi)",
            allow_access=False,
            key_vault=azuredevops.VariableGroupKeyVaultArgs(
                name=args["key_vault_name"], service_endpoint_id=connection.id
            ),
            variables=[azuredevops.VariableGroupVariableArgs(name=secret) for secret in sorted(secrets)],
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args["devops_provider"],
                depends_on=[secrets_user, credential, *written],
            ),
        )

    def _environment(self, approval: ApprovalArgs | None) -> pulumi.CustomResource:
        """The ADO environment with branch control, approval and exclusive lock."""
        import pulumi_azuredevops as azuredevops

        project_id = self._args["project_id"]
        environment = azuredevops.Environment(
            f"{self._name}-environment",
            project_id=project_id,
            name=f"mlops-{self._env}",
            description=f"mlops-estate {self._env} stack (checks managed by Pulumi)",
            opts=self._ado,
        )
        azuredevops.CheckBranchControl(
            f"{self._name}-branch-control",
            project_id=project_id,
            target_resource_id=environment.id,
            target_resource_type="environment",
            display_name=pulumi.Output.concat("Only ", self._branch, f" deploys to mlops-{self._env}"),
            allowed_branches=self._branch,
            verify_branch_protection=True,
            ignore_unknown_protection_status=False,
            timeout=1440,
            opts=self._ado,
        )
        if approval is not None:
            self._approval("approval", environment.id, "environment", approval)
        if self._args.get("exclusive_lock", False):
            azuredevops.CheckExclusiveLock(
                f"{self._name}-exclusive-lock",
                project_id=project_id,
                target_resource_id=environment.id,
                target_resource_type="environment",
                timeout=43200,
                opts=self._ado,
            )
        return environment

    def _authorize(self, targets: dict[str, pulumi.Output[str]]) -> None:
        """One pipeline authorisation per (pipeline, resource) the args list."""
        import pulumi_azuredevops as azuredevops

        permissions = dict(self._args.get("pipeline_permissions", {}))
        for pipeline, (pipeline_id, kinds) in sorted(permissions.items()):
            for kind in kinds:
                azuredevops.PipelineAuthorization(
                    f"{self._name}-{kind}-{pipeline}",
                    project_id=self._args["project_id"],
                    resource_id=targets[kind],
                    type="endpoint" if kind.endswith("endpoint") else kind,
                    pipeline_id=pulumi.Output.from_input(pipeline_id).apply(int),
                    opts=self._ado,
                )
