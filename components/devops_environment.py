"""One stack's side of Azure DevOps: the workload-identity service connection, its Azure roles,
the Key Vault variable group and the deployment environment with its checks.

No secret exists anywhere: the service connection ``mlops-estate-<env>`` authenticates with
workload identity federation to a user-assigned managed identity created here, whose federated
credential trusts exactly the issuer and subject Azure DevOps reports for that connection.

Azure roles of the identity (it runs ``pulumi up`` of its own stack, so it must manage that
stack's resources, but it never holds Owner, Contributor or User Access Administrator):

* ``mlops-estate deployer (<env>)`` — a custom role on the stack's resource group with the
  resource-provider actions the estate deploys (network, compute, AKS, Azure ML, storage, Key
  Vault, ACR, monitoring, Event Grid, Logic Apps, Web, Databricks, Data Factory, identities)
  and no ``Microsoft.Authorization`` write or delete: Contributor narrowed to the estate.
* ``Role Based Access Control Administrator`` on the resource group, with an ABAC condition
  that forbids assigning or removing Owner, User Access Administrator and RBAC Administrator:
  the stack creates role assignments for its own workloads, nothing more privileged.
* ``Key Vault Secrets User`` on the environment's Key Vault (when one is given): the variable
  group linked to that vault reads its secrets through this connection.

The ADO environment ``mlops-<env>`` carries the checks: approval (group, timeout and minimum
approvers from settings), branch control (only the default branch may deploy, protection
verified) and, where asked, an exclusive lock. Pipeline permissions authorise exactly the
pipelines that need the connection, the variable group and the environment.

Bootstrap: the identity deploys its own stack, so the first ``pulumi up`` of a stack runs with
a bootstrap identity (docs/bootstrap.md); afterwards the pipelines use the connection.

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

RESOURCE_TYPES = ("endpoint", "variablegroup", "environment")


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
    """Required. Resource group of the deployer identity."""
    resource_group_id: pulumi.Input[str]
    """Required. ARM id of the stack's resource group: the scope of the deployer's roles (the
    subscription is never granted)."""
    location: str
    """Required. Azure region of the identity."""
    identity_name: str
    """Required. Name of the deployer's user-assigned identity."""
    default_branch: pulumi.Input[str]
    """Required. The only branch allowed to deploy (``main``)."""
    key_vault_id: NotRequired[pulumi.Input[str]]
    """Optional. The environment's Key Vault: linked into a variable group. @default no variable group"""
    key_vault_name: NotRequired[pulumi.Input[str]]
    """Conditional. Required with ``key_vault_id``."""
    key_vault_secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Conditional. Secrets written to the vault and exposed by the variable group (name → value);
    at least one with ``key_vault_id``. @default {}"""
    approval: NotRequired[ApprovalArgs | None]
    """Optional. Approval check on the environment. @default none"""
    exclusive_lock: NotRequired[bool]
    """Optional. Exclusive lock check (one run at a time). @default False"""
    pipeline_permissions: NotRequired[dict[str, tuple[pulumi.Input[str], list[str]]]]
    """Optional. Pipeline name → (build definition id, resource types among ``endpoint``,
    ``variablegroup``, ``environment``) it may use. @default {}"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of the Azure resources. @default {}"""


def role_assignment_name(*parts: str) -> str:
    """A deterministic GUID for a role assignment or definition name (existing names: frozen namespace)."""
    return roles.assignment_name(*parts, namespace=roles.DELIVERY_NAMESPACE)


class DevOpsEnvironment(pulumi.ComponentResource):
    """Service connection, roles, variable group, environment and checks (``mlops:delivery:DevOpsEnvironment``)."""

    service_endpoint_id: pulumi.Output[str]
    """Id of the ``mlops-estate-<env>`` service connection."""
    service_endpoint_name: str
    """Its name."""
    identity_principal_id: pulumi.Output[str]
    """Principal id of the deployer identity."""
    identity_client_id: pulumi.Output[str]
    """Client id of the deployer identity (the connection's service principal id)."""
    environment_id: pulumi.Output[str]
    """Id of the ``mlops-<env>`` Azure DevOps environment."""
    variable_group_id: pulumi.Output[str] | None
    """Id of the Key Vault variable group (None without a vault)."""

    def __init__(
        self, name: str, args: DevOpsEnvironmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:delivery:DevOpsEnvironment", name, {}, opts)
        import pulumi_azuredevops as azuredevops

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
            raise arg_error(
                COMPONENT, "key_vault_secrets", "needs at least one secret to link with key_vault_id"
            )
        if secrets and not has_vault:
            raise arg_error(COMPONENT, "key_vault_secrets", "needs key_vault_id (the vault that holds them)")
        approval = args.get("approval")
        if approval is not None:
            if not approval.get("approver_ids"):
                raise arg_error(COMPONENT, "approval.approver_ids", "needs at least one approver")
            if not 5 <= approval.get("timeout_minutes", 1440) <= 43200:
                raise arg_error(
                    COMPONENT,
                    "approval.timeout_minutes",
                    f"{approval.get('timeout_minutes')} must be 5-43200",
                )
        permissions = dict(args.get("pipeline_permissions", {}))
        for pipeline, (_, kinds) in permissions.items():
            bad = [k for k in kinds if k not in RESOURCE_TYPES]
            if bad:
                raise arg_error(
                    COMPONENT,
                    f"pipeline_permissions.{pipeline}",
                    f"{bad} are not resource types; allowed: {', '.join(RESOURCE_TYPES)}",
                )
        if not has_vault:
            for pipeline, (_, kinds) in permissions.items():
                if "variablegroup" in kinds:
                    raise arg_error(
                        COMPONENT,
                        f"pipeline_permissions.{pipeline}",
                        "asks for the variable group, which needs key_vault_id",
                    )
        tags = dict(args.get("tags", {}))
        project_id = args["project_id"]
        ado = pulumi.ResourceOptions(parent=self, provider=args["devops_provider"])
        connection_name = f"mlops-estate-{env}"
        subscription_scope = f"/subscriptions/{args['subscription_id']}"
        scope = args["resource_group_id"]

        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=args["identity_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        connection = azuredevops.ServiceEndpointAzureRM(
            f"{name}-connection",
            project_id=project_id,
            service_endpoint_name=connection_name,
            description=f"mlops-estate {env}: workload identity federation to {args['identity_name']} (managed by Pulumi)",
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
            opts=ado,
        )
        credential = managedidentity.FederatedIdentityCredential(
            f"{name}-federation",
            federated_identity_credential_resource_name=f"ado-{connection_name}",
            resource_name_=identity.name,
            resource_group_name=args["resource_group_name"],
            issuer=connection.workload_identity_federation_issuer,
            subject=connection.workload_identity_federation_subject,
            audiences=["api://AzureADTokenExchange"],
            opts=pulumi.ResourceOptions(parent=self),
        )

        deployer_role_id = role_assignment_name("deployer-role", args["subscription_id"], env)
        deployer_role = authorization.RoleDefinition(
            f"{name}-deployer-role",
            role_definition_id=deployer_role_id,
            scope=scope,
            role_name=f"mlops-estate deployer ({env})",
            description=f"Deploys the mlops-estate {env} stack: the estate's resource providers, no authorization writes.",
            role_type="CustomRole",
            assignable_scopes=[scope],
            permissions=[
                authorization.PermissionArgs(actions=DEPLOYER_ACTIONS, not_actions=DEPLOYER_NOT_ACTIONS)
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        authorization.RoleAssignment(
            f"{name}-deployer",
            role_assignment_name=role_assignment_name(
                "deployer", args["subscription_id"], args["identity_name"]
            ),
            scope=scope,
            role_definition_id=deployer_role.id,
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            description="mlops-estate: deploy the stack's resources",
            opts=pulumi.ResourceOptions(parent=self),
        )
        authorization.RoleAssignment(
            f"{name}-rbac-admin",
            role_assignment_name=role_assignment_name(
                "rbac-admin", args["subscription_id"], args["identity_name"]
            ),
            scope=scope,
            role_definition_id=f"{subscription_scope}/providers/Microsoft.Authorization/roleDefinitions/{RBAC_ADMINISTRATOR}",
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            condition=RBAC_CONDITION,
            condition_version="2.0",
            description="mlops-estate: assign the stack's workload roles, never Owner/UAA/RBAC Administrator",
            opts=pulumi.ResourceOptions(parent=self),
        )

        group = None
        if has_vault:
            secrets_user = authorization.RoleAssignment(
                f"{name}-kv-secrets-user",
                role_assignment_name=role_assignment_name(
                    "kv-secrets-user", args["subscription_id"], args["identity_name"]
                ),
                scope=args["key_vault_id"],
                role_definition_id=(
                    f"{subscription_scope}/providers/Microsoft.Authorization/roleDefinitions/{KEY_VAULT_SECRETS_USER}"
                ),
                principal_id=identity.principal_id,
                principal_type="ServicePrincipal",
                description="mlops-estate: the Key Vault variable group reads these secrets",
                opts=pulumi.ResourceOptions(parent=self),
            )
            written = [
                keyvault.Secret(
                    f"{name}-secret-{secret}",
                    secret_name=secret,
                    vault_name=args["key_vault_name"],
                    resource_group_name=args["resource_group_name"],
                    properties=keyvault.SecretPropertiesArgs(
                        value=pulumi.Output.secret(value), content_type="text/plain"
                    ),
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                for secret, value in sorted(secrets.items())
            ]
            group = azuredevops.VariableGroup(
                f"{name}-variables",
                project_id=project_id,
                name=f"{connection_name}-keyvault",
                description=f"Secrets of the {env} Key Vault, read through {connection_name} (managed by Pulumi)",
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

        environment = azuredevops.Environment(
            f"{name}-environment",
            project_id=project_id,
            name=f"mlops-{env}",
            description=f"mlops-estate {env} stack (checks managed by Pulumi)",
            opts=ado,
        )
        branch = pulumi.Output.concat("refs/heads/", args["default_branch"])
        azuredevops.CheckBranchControl(
            f"{name}-branch-control",
            project_id=project_id,
            target_resource_id=environment.id,
            target_resource_type="environment",
            display_name=pulumi.Output.concat("Only ", branch, f" deploys to mlops-{env}"),
            allowed_branches=branch,
            verify_branch_protection=True,
            ignore_unknown_protection_status=False,
            timeout=1440,
            opts=ado,
        )
        if approval is not None:
            azuredevops.CheckApproval(
                f"{name}-approval",
                project_id=project_id,
                target_resource_id=environment.id,
                target_resource_type="environment",
                approvers=approval["approver_ids"],
                minimum_required_approvers=approval.get("min_approvers", 1),
                timeout=approval.get("timeout_minutes", 1440),
                requester_can_approve=False,
                instructions=approval.get(
                    "instructions", f"Review the plan artefact of this run before it changes mlops-{env}."
                ),
                opts=ado,
            )
        if args.get("exclusive_lock", False):
            azuredevops.CheckExclusiveLock(
                f"{name}-exclusive-lock",
                project_id=project_id,
                target_resource_id=environment.id,
                target_resource_type="environment",
                timeout=43200,
                opts=ado,
            )

        targets = {"endpoint": connection.id, "environment": environment.id}
        if group is not None:
            targets["variablegroup"] = group.id
        for pipeline, (pipeline_id, kinds) in sorted(permissions.items()):
            for kind in kinds:
                azuredevops.PipelineAuthorization(
                    f"{name}-{kind}-{pipeline}",
                    project_id=project_id,
                    resource_id=targets[kind],
                    type=kind,
                    pipeline_id=pulumi.Output.from_input(pipeline_id).apply(int),
                    opts=ado,
                )

        self.service_endpoint_id = connection.id
        self.service_endpoint_name = connection_name
        self.identity_principal_id = identity.principal_id
        self.identity_client_id = identity.client_id
        self.environment_id = environment.id
        self.variable_group_id = group.id if group is not None else None
        self.register_outputs(
            {
                "service_endpoint_id": self.service_endpoint_id,
                "identity_principal_id": self.identity_principal_id,
                "identity_client_id": self.identity_client_id,
                "environment_id": self.environment_id,
                "variable_group_id": self.variable_group_id,
            }
        )
