"""The estate's vocabulary: SKUs, modes, allowed values and defaults, written once.

Both the stack settings (``infra/settings/*``, which validate what users write) and the
components (``components/*``, which validate their typed args) import these, so a default
or an allowed value cannot differ between the two. Part of the ground: imports nothing of
the project.
"""

from __future__ import annotations

from typing import Literal, get_args

IsolationMode = Literal["AllowOnlyApprovedOutbound", "AllowInternetOutbound"]
ISOLATION_MODES: tuple[str, ...] = get_args(IsolationMode)
"""Outbound modes of an Azure ML managed network."""
DEFAULT_ISOLATION_MODE: IsolationMode = "AllowOnlyApprovedOutbound"
"""Only approved outbound (qa and prod require it)."""

AcrSku = Literal["Basic", "Standard", "Premium"]
ACR_SKUS: tuple[str, ...] = get_args(AcrSku)
"""Azure Container Registry SKUs."""
DEFAULT_ACR_SKU: AcrSku = "Premium"
PRIVATE_LINK_ACR_SKU: AcrSku = "Premium"
"""The only ACR SKU that supports private endpoints and network rules."""

StorageSku = Literal["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS", "Standard_RAGZRS"]
STORAGE_SKUS: tuple[str, ...] = get_args(StorageSku)
"""Storage account replication SKUs (StorageV2, standard performance)."""
DEFAULT_STORAGE_SKU: StorageSku = "Standard_ZRS"

TRAINING_VM_SIZE = "Standard_DS3_v2"
"""Default node VM size of the workspace's training cluster."""
TRAINING_MIN_NODES = 0
"""Default nodes kept running: the training cluster scales to zero."""
TRAINING_MAX_NODES = 4
"""Default autoscaler upper bound of the training cluster."""
TRAINING_IDLE_MINUTES = 30
"""Default idle minutes before a training node is released."""

RETRAIN_COOLDOWN_MINUTES = 1440
"""Default retraining cooldown: at most one retrain per model per day, whatever fires."""

TRAINING_STACK = "dev"
"""The one stack that trains and registers models (its identities hold the registry writer role);
CI's train job, the train pipeline and every retraining run use it."""

CUSTOMER_MANAGED_KEY_ENVIRONMENTS: tuple[str, ...] = ("prod",)
"""Stacks whose workspace estate encrypts with a customer-managed key by default
(``workspace.customerManagedKeys``): the workspace, its storage account and container registry."""

KeyVaultSku = Literal["standard", "premium"]
KEY_VAULT_SKUS: tuple[str, ...] = get_args(KeyVaultSku)
"""Key Vault SKUs; premium holds HSM-backed keys."""
DEFAULT_KEY_VAULT_SKU: KeyVaultSku = "standard"
CMK_KEY_VAULT_SKU: KeyVaultSku = "premium"
"""The vault SKU with customer-managed keys, so the key is HSM-backed (RSA-HSM)."""
