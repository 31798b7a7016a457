"""Built-in Azure role definitions the estate grants, and why each one is granted.

Every role assignment in the estate uses one of these ids (or the registry reader role the
shared stack defines, see :data:`REGISTRY_READER_ACTIONS`). None of them is Owner,
Contributor or User Access Administrator: workload identities get data-plane or narrowly
scoped roles only (policy ``role-assignment-least-privilege``).

Ids are the GUIDs Azure publishes for built-in roles (learn.microsoft.com
``role-based-access-control/built-in-roles``); they are the same in every tenant.
"""

from __future__ import annotations

import uuid
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

STORAGE_BLOB_DATA_OWNER = Role(
    "Storage Blob Data Owner",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "The retraining Function App's host runtime keeps its leases and keys as blobs in its own host "
    "storage account (identity-based AzureWebJobsStorage).",
)
STORAGE_QUEUE_DATA_READER = Role(
    "Storage Queue Data Reader",
    "19e7f393-937e-4f77-808e-94535e297925",
    "The retraining Function's queue triggers read the queues of its host storage account (queue "
    "properties and message counts the listener and the scale controller poll).",
)
STORAGE_QUEUE_DATA_MESSAGE_PROCESSOR = Role(
    "Storage Queue Data Message Processor",
    "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    "The retraining Function's queue triggers receive and delete the Event Grid messages of its "
    "host storage account's queues; they cannot create queues or add messages.",
)
STORAGE_QUEUE_DATA_MESSAGE_SENDER = Role(
    "Storage Queue Data Message Sender",
    "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "Event Grid system topics deliver events to one retraining queue each with their managed "
    "identity; the Function moves rejected messages to a poison queue. Add only, on one queue.",
)
STORAGE_TABLE_DATA_CONTRIBUTOR = Role(
    "Storage Table Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "The Function App host keeps timer schedules in tables of its host storage account.",
)
STORAGE_BLOB_DATA_READER = Role(
    "Storage Blob Data Reader",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "The Function App reads its own code package from the releases container (run from package).",
)
MONITORING_METRICS_PUBLISHER = Role(
    "Monitoring Metrics Publisher",
    "3913510d-42f4-4e42-8a64-420c390055eb",
    "The Function App sends telemetry to Application Insights with Entra ID authentication.",
)
ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR = Role(
    "Role Based Access Control Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "The deployment identity assigns the stack's workload roles; a condition forbids it to assign "
    "Owner, User Access Administrator or this role itself.",
)

READER = Role(
    "Reader",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Pull-request previews read the stack's resource group and nothing more: their identity can "
    "neither write nor read secrets.",
)

OWNER_GUID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR_GUID = "18d7d88d-d35e-4fb3-a5c3-7773c20a72d9"
PRIVILEGED_ROLE_GUIDS: dict[str, str] = {
    OWNER_GUID: "Owner",
    USER_ACCESS_ADMINISTRATOR_GUID: "User Access Administrator",
    ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR.guid: ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR.name,
}
"""Roles the estate never lets a workload assign (a delegated assignment condition excludes them)."""

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
    STORAGE_BLOB_DATA_OWNER,
    STORAGE_QUEUE_DATA_READER,
    STORAGE_QUEUE_DATA_MESSAGE_PROCESSOR,
    STORAGE_QUEUE_DATA_MESSAGE_SENDER,
    STORAGE_TABLE_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_READER,
    MONITORING_METRICS_PUBLISHER,
    ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR,
    READER,
)
"""Every built-in role the estate grants."""

BY_NAME: dict[str, Role] = {role.name: role for role in ALL_ROLES}
"""Built-in roles by their Azure name."""

# --- role assignment names ---------------------------------------------------------------
#
# A role assignment's name is a GUID the caller chooses; the estate derives it from stable
# strings so a plan is deterministic and re-running it never creates a second assignment.
# Changing the namespace or the strings of an existing assignment renames it, which Azure
# treats as a replacement (delete, then create), so the namespaces below are frozen: new
# assignments use ESTATE_NAMESPACE; the others name assignments that already exist.

ESTATE_NAMESPACE = uuid.UUID("0b6f9a52-3c1e-4d7a-9f2b-5e8c1a4d7b36")
"""Workspace, AKS and registry assignments (and every new one)."""
DELIVERY_NAMESPACE = uuid.UUID("2f4a8c1e-7b3d-4e6f-9a0b-5c1d2e3f4a5b")
"""Existing names: the deployment identity's role definition and assignments (DevOpsEnvironment)."""
RETRAINING_NAMESPACE = uuid.UUID("0b8f2f6e-7d1c-4c55-a6b2-2f9a3c1d7e41")
"""Existing names: the retraining Function App identity's assignments."""
URL_NAMESPACE = uuid.NAMESPACE_URL
"""Existing names: endpoint identities' registry reader assignments (``mlops-estate/<endpoint>/...``)."""


def assignment_name(*parts: str, namespace: uuid.UUID = ESTATE_NAMESPACE) -> str:
    """A deterministic role assignment (or definition) name: a GUID from ``parts`` joined by ``/``."""
    return str(uuid.uuid5(namespace, "/".join(parts)))


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
KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = Role(
    "Key Vault Crypto Service Encryption User",
    "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "The customer-managed-key identity wraps and unwraps the data keys of the workspace, its storage "
    "and its registry with the estate's Key Vault key (read key, wrap, unwrap; nothing else).",
)
