"""The central Azure ML registry every environment deploys models from (shared stack).

Secure defaults: system-assigned identity, public network access off unless asked for, the
registry's system-created storage without public blobs, Premium system ACR in every region,
diagnostics (read/write event logs) to Log Analytics. It also defines the read-only
registry role (components/roles.py explains why the built-in AzureML Registry User is not
enough for environments that only deploy).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization, machinelearningservices

from components import roles
from components.common import ArgRule, LifecycleArgs, check_unknown_args, require, stateful_options, validate
from components.diagnostics import send_to_log_analytics

COMPONENT = "MlRegistry"
REPLICA_STORAGE_SKUS = ("Standard_LRS", "Standard_ZRS", "Standard_GRS")


class MlRegistryArgs(TypedDict):
    """Arguments of :class:`MlRegistry`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the registry."""
    resource_group_id: pulumi.Input[str]
    """Required. ARM id of that resource group (scope of the registry reader role definition)."""
    subscription_id: str
    """Required. Subscription of the registry (role definition ids are built in it)."""
    location: str
    """Required. Primary region of the registry."""
    registry_name: str
    """Required. Azure name of the registry."""
    log_analytics_id: pulumi.Input[str]
    """Required. Log Analytics workspace for the registry's diagnostics."""
    regions: NotRequired[list[str]]
    """Optional. Replication regions besides ``location``. @default []"""
    public_network_access: NotRequired[bool]
    """Optional. Reach the registry from the internet. @default False"""
    storage_sku: NotRequired[str]
    """Optional. SKU of the system-created storage in each region. @default Standard_LRS"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of the registry. @default {}"""
    lifecycle: NotRequired[LifecycleArgs]
    """Optional. protect / retainOnDelete of the registry. @default none"""


RULES: tuple[ArgRule[MlRegistryArgs], ...] = (
    ArgRule(
        lambda a: a["location"] in a.get("regions", []),
        "regions",
        lambda a: f"lists the primary location '{a['location']}'; list only extra regions",
    ),
    ArgRule(
        lambda a: len(set(a.get("regions", []))) != len(a.get("regions", [])),
        "regions",
        "lists a region twice",
    ),
    ArgRule(
        lambda a: a.get("storage_sku", "Standard_LRS") not in REPLICA_STORAGE_SKUS,
        "storage_sku",
        lambda a: f"'{a.get('storage_sku', 'Standard_LRS')}' is not one of {', '.join(REPLICA_STORAGE_SKUS)}",
    ),
)
"""Argument rules of :class:`MlRegistry`, checked in order after the required args."""


class MlRegistry(pulumi.ComponentResource):
    """Azure ML registry + read-only registry role (``mlops:registry:MlRegistry``)."""

    registry_id: pulumi.Output[str]
    registry_name: pulumi.Output[str]
    registry_location: pulumi.Output[str]
    reader_role_definition_id: pulumi.Output[str]
    """ARM id of the read-only registry role (assignable in the registry's resource group)."""
    writer_role_definition_id: pulumi.Output[str]
    """ARM id of AzureML Registry User in the registry's subscription."""

    def __init__(self, name: str, args: MlRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:registry:MlRegistry", name, {}, opts)
        check_unknown_args(COMPONENT, args, MlRegistryArgs)
        require(
            COMPONENT,
            args,
            "resource_group_name",
            "resource_group_id",
            "subscription_id",
            "location",
            "registry_name",
            "log_analytics_id",
        )
        validate(COMPONENT, args, RULES)
        regions = list(args.get("regions", []))
        sku = args.get("storage_sku", "Standard_LRS")
        access = "Enabled" if args.get("public_network_access", False) else "Disabled"

        registry = machinelearningservices.Registry(
            f"{name}-mlr",
            registry_name=args["registry_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            identity={"type": "SystemAssigned"},
            public_network_access=access,
            region_details=[
                {
                    "location": region,
                    "acr_details": [{"system_created_acr_account": {"acr_account_sku": "Premium"}}],
                    "storage_account_details": [
                        {
                            "system_created_storage_account": {
                                "allow_blob_public_access": False,
                                "storage_account_hns_enabled": False,
                                "storage_account_type": sku,
                            }
                        }
                    ],
                }
                for region in [args["location"], *regions]
            ],
            tags=dict(args.get("tags", {})),
            opts=stateful_options(self, args.get("lifecycle"), data_bearing=True),
        )
        send_to_log_analytics(
            f"{name}-mlr",
            resource_id=registry.id,
            workspace_id=args["log_analytics_id"],
            parent=self,
            metrics=False,
        )

        role_guid = roles.assignment_name(args["registry_name"], "registry-reader-role")
        reader = authorization.RoleDefinition(
            f"{name}-reader-role",
            role_definition_id=role_guid,
            role_name=f"{roles.REGISTRY_READER_ROLE_NAME} {args['registry_name']}",
            description=roles.REGISTRY_READER_WHY,
            scope=args["resource_group_id"],
            assignable_scopes=[args["resource_group_id"]],
            permissions=[
                {
                    "actions": list(roles.REGISTRY_READER_ACTIONS),
                    "not_actions": [],
                    "data_actions": [],
                    "not_data_actions": [],
                }
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.registry_id = registry.id
        self.registry_name = registry.name
        self.registry_location = pulumi.Output.from_input(args["location"])
        self.reader_role_definition_id = pulumi.Output.all(reader.id, args["subscription_id"]).apply(
            lambda _: (
                f"/subscriptions/{args['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
            )
        )
        self.writer_role_definition_id = roles.AZUREML_REGISTRY_USER.definition_id(args["subscription_id"])
        self.register_outputs(
            {
                "registry_id": self.registry_id,
                "registry_name": self.registry_name,
                "registry_location": self.registry_location,
                "reader_role_definition_id": self.reader_role_definition_id,
                "writer_role_definition_id": self.writer_role_definition_id,
            }
        )
