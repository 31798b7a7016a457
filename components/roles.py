"""Built-in Azure role definitions the estate grants, and why each one is granted.

Every role assignment in the estate uses one of these ids (or the registry reader role the
shared stack defines, see :data:`REGISTRY_READER_ACTIONS`). None of them is Owner,
Contributor or User Access Administrator: workload identities get data-plane or narrowly
scoped roles only (policy ``role-assignment-least-privilege``).

Ids are the GUIDs Azure publishes for built-in roles (learn.microsoft.com
``role-based-access-control/built-in-roles``); they are the same in every tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Role:
    """A built-in role: its name, GUID and the reason the estate grants it."""

    name: str
    guid: str
    why: str

    def definition_id(self, subscription_id: pulumi.Input[str]) -> pulumi.Output[str]:
        """The role's ARM id in ``subscription_id`` (what ``RoleAssignment.role_definition_id`` takes)."""
        return pulumi.Output.concat(
            "/subscriptions/",
            subscription_id,
            "/providers/Microsoft.Authorization/roleDefinitions/",
            self.guid,
        )


STORAGE_BLOB_DATA_CONTRIBUTOR = Role(
    "Storage Blob Data Contributor",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "The workspace and its training cluster read and write datasets, job outputs and models in the "
    "workspace storage through identity-based datastores (shared keys are off), instead of "
    "Contributor on the account.",
)
STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = Role(
    "Storage File Data Privileged Contributor",
    "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    "The workspace keeps notebooks and code snapshots on the workspace file share; with shared keys "
    "off, identity access over REST needs this data-plane role.",
)
KEY_VAULT_SECRETS_OFFICER = Role(
    "Key Vault Secrets Officer",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "The workspace stores connection secrets in its RBAC-mode Key Vault (create/read/delete secrets "
    "only; no keys, certificates or access management).",
)
KEY_VAULT_SECRETS_USER = Role(
    "Key Vault Secrets User",
    "4633458b-17de-408a-b874-0445c86b69e6",
    "Training jobs read (never write) the workspace's connection secrets at run time.",
)
ACR_PUSH = Role(
    "AcrPush",
    "8311e382-0749-4cb8-b61a-304f252e45ec",
    "The workspace builds environment images and pushes them to its container registry (admin user off).",
)
ACR_PULL = Role(
    "AcrPull",
    "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "The training cluster pulls environment images from the workspace's container registry.",
)
AZUREML_REGISTRY_USER = Role(
    "AzureML Registry User",
    "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    "Read and write (registries/assets/*) on the shared model registry: granted only to the identities "
    "of the environment that trains and registers models (workspace.registryWriter).",
)
AZUREML_DATA_SCIENTIST = Role(
    "AzureML Data Scientist",
    "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "The data scientists' Entra group works in the workspace (jobs, models, endpoints) without being "
    "able to create compute or change the workspace itself.",
)
NETWORK_CONTRIBUTOR = Role(
    "Network Contributor",
    "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "The AKS control-plane identity joins nodes and the internal inference load balancer to the AKS "
    "subnet; granted on that subnet only (AKS documents this for bring-your-own VNets).",
)
AKS_RBAC_CLUSTER_ADMIN = Role(
    "Azure Kubernetes Service RBAC Cluster Admin",
    "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    "The platform admin groups (aks.adminGroupObjectIds) administer the cluster through Azure RBAC "
    "(local accounts are disabled); groups of people only, never workload identities.",
)

ALL_ROLES: tuple[Role, ...] = (
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
    KEY_VAULT_SECRETS_OFFICER,
    KEY_VAULT_SECRETS_USER,
    ACR_PUSH,
    ACR_PULL,
    AZUREML_REGISTRY_USER,
    AZUREML_DATA_SCIENTIST,
    NETWORK_CONTRIBUTOR,
    AKS_RBAC_CLUSTER_ADMIN,
)
"""Every built-in role the estate grants."""

REGISTRY_READER_ROLE_NAME = "AzureML Registry Reader (mlops-estate)"
"""The custom role the shared stack defines for read-only registry access."""

REGISTRY_READER_ACTIONS: tuple[str, ...] = (
    "Microsoft.MachineLearningServices/registries/read",
    "Microsoft.MachineLearningServices/registries/assets/read",
)
"""Why a custom role: the built-in AzureML Registry User allows ``registries/assets/*``
(write and delete too). Environments that only deploy (qa, prod) and their endpoint
identities need to read models, components and environments, nothing more."""

REGISTRY_READER_WHY = (
    "Workspaces and endpoints of environments that only deploy read registry assets (models, "
    "environments, components) and cannot register, change or delete them."
)
