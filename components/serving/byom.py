"""Bring your own model: an externally trained artifact registered as a shared registry version.

The stack file's ``models.<m>.byom`` block (``artifactUri``, ``version``, ``modelType``) becomes
one azure-native ``RegistryModelVersion`` in the shared registry (through a provider for the
registry's subscription); the model's slots then pin that version like any other, and their
deployments depend on the registration.

A registry version is shared by every environment and immutable, so it is never deleted with
the stack that registered it (``retainOnDelete``). Register it from one stack (dev, where the
artifact is first deployed); the other stacks pin the version, which then exists in the
registry (and in ``model_assets/registry-catalog.yaml`` for offline previews).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import machinelearningservices as ml

MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
"""Registry model types Azure ML accepts for an artifact folder."""


class ByomArgs(TypedDict):
    """An externally trained artifact registered as a registry model version."""

    artifact_uri: str
    """Required. ``azureml://`` datastore path or blob URL of the artifact."""
    version: str
    """Required. The registry version to create."""
    model_type: NotRequired[str]
    """Optional. custom_model, mlflow_model or triton_model. @default custom_model"""
    description: NotRequired[str]
    """Optional. @default '<model> <version>: externally trained (BYOM)'"""


def register_byom(
    name: str,
    model: str,
    byom: ByomArgs,
    *,
    registry_name: pulumi.Input[str],
    registry_resource_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource | None = None,
) -> ml.RegistryModelVersion:
    """Create ``<name>-byom-<version>``: the artifact as ``<model>:<version>`` in the shared registry."""
    model_type = byom.get("model_type", "custom_model")
    if model_type not in MODEL_TYPES:
        raise ValueError(f"byom.model_type '{model_type}' is not one of {', '.join(MODEL_TYPES)}")
    arm: dict[str, Any] = {  # the ARM JSON shape of the version's properties
        "properties": {
            "modelType": model_type,
            "modelUri": byom["artifact_uri"],
            "description": byom.get("description") or f"{model} {byom['version']}: externally trained (BYOM)",
            "tags": {"source": "byom"},
            "isArchived": False,
        }
    }
    return ml.RegistryModelVersion(
        f"{name}-byom-{byom['version']}",
        registry_name=registry_name,
        resource_group_name=registry_resource_group_name,
        model_name=model,
        version=str(byom["version"]),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, retain_on_delete=True),
        **arm,
    )
