"""Automated release (maturity level 3+): a model version registered in the stack's Azure ML
workspace starts the ``release`` pipeline with that model and version.

Chain: Event Grid system topic on the workspace → subscription filtered to
``Microsoft.MachineLearningServices.ModelRegistered`` (and to the models this stack serves) →
a Logic App (Consumption) → ``POST {org}/{project}/_apis/pipelines/{id}/runs``.

Why a Logic App: it is the smallest relay with a managed identity and no code to ship. Its
system-assigned identity gets an Entra token for Azure DevOps (resource
``499b84ac-1321-427f-aa17-267ca6975798``) with the built-in ``ManagedServiceIdentity``
authentication of the HTTP action, so no personal access token or client secret exists. In
Azure DevOps that identity is a service principal with a Basic entitlement, member of a
project group that may only view and queue the release pipeline. A Function would need a
storage account, a plan and a deployment package; an Azure DevOps service hook cannot
subscribe to Event Grid.

Authentication of the inbound call: Event Grid delivers to the trigger's callback URL, which
carries the workflow's SAS signature. The URL is read from Azure at deployment time
(``listWorkflowTriggerCallbackUrl``), kept as a Pulumi secret and never written to config. The
workflow answers Event Grid's subscription-validation handshake itself and accepts only
``ModelRegistered`` events; anything else is rejected with 400.
"""

from __future__ import annotations

import re
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import eventgrid, logic

from components.common import arg_error, check_unknown_args, require
from components.diagnostics import send_to_log_analytics

COMPONENT = "ReleaseTrigger"
AZURE_DEVOPS_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"
MODEL_REGISTERED = "Microsoft.MachineLearningServices.ModelRegistered"
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
TRIGGER_NAME = "eventgrid"
WORKFLOW_NAME = re.compile(r"^[A-Za-z0-9_.()-]{1,80}$")


class ReleaseTriggerArgs(TypedDict):
    """Arguments of :class:`ReleaseTrigger`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the topic and the workflow."""
    location: str
    """Required. Azure region."""
    workspace_id: pulumi.Input[str]
    """Required. The Azure ML workspace whose ModelRegistered events start releases."""
    system_topic_name: str
    """Required. Name of the Event Grid system topic (infra.naming kind ``eventgrid_topic``)."""
    workflow_name: str
    """Required. Name of the Logic App (1-80 letters, digits, ``_ . ( ) -``)."""
    organization_url: pulumi.Input[str]
    """Required. ``https://dev.azure.com/<org>``."""
    project_name: pulumi.Input[str]
    """Required. The Azure DevOps project."""
    project_id: pulumi.Input[str]
    """Required. Its id (group scope and permissions)."""
    release_pipeline_id: pulumi.Input[str]
    """Required. Build definition id of the release pipeline."""
    devops_provider: pulumi.ProviderResource
    """Required. The explicit ``pulumi_azuredevops.Provider`` of the stack."""
    log_analytics_id: pulumi.Input[str]
    """Required. Diagnostics destination of the topic and the workflow."""
    environment: str
    """Required. Stack environment (names the Azure DevOps group)."""
    models: NotRequired[list[str]]
    """Optional. Only these model names start a release. @default every model"""
    branch: NotRequired[pulumi.Input[str]]
    """Optional. Branch the release runs from. @default main"""
    tags: NotRequired[dict[str, str]]
    """Optional. @default {}"""


def workflow_definition(
    organization_url: str, project_name: str, pipeline_id: str, branch: str
) -> dict[str, Any]:
    """The Logic App definition: validation handshake, event filter, one pipeline run per event."""
    run_url = (
        f"{organization_url.rstrip('/')}/{project_name}/_apis/pipelines/{pipeline_id}/runs?api-version=7.1"
    )
    first_type = "@first(triggerBody())?['eventType']"
    return {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {},
        "triggers": {
            TRIGGER_NAME: {
                "type": "Request",
                "kind": "Http",
                "inputs": {
                    "method": "POST",
                    "schema": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "eventType": {"type": "string"},
                                "subject": {"type": "string"},
                                "data": {"type": "object"},
                            },
                        },
                    },
                },
            }
        },
        "actions": {
            "Route": {
                "type": "Switch",
                "expression": first_type,
                "cases": {
                    "validation": {
                        "case": VALIDATION_EVENT,
                        "actions": {
                            "Validate": {
                                "type": "Response",
                                "kind": "Http",
                                "inputs": {
                                    "statusCode": 200,
                                    "body": {
                                        "validationResponse": "@first(triggerBody())?['data']?['validationCode']"
                                    },
                                },
                            }
                        },
                    },
                    "registered": {
                        "case": MODEL_REGISTERED,
                        "actions": {
                            "Run_release": {
                                "type": "Foreach",
                                "foreach": "@triggerBody()",
                                "runtimeConfiguration": {"concurrency": {"repetitions": 1}},
                                "actions": {
                                    "Start_pipeline": {
                                        "type": "Http",
                                        "inputs": {
                                            "method": "POST",
                                            "uri": run_url,
                                            "headers": {"Content-Type": "application/json"},
                                            "body": {
                                                "resources": {
                                                    "repositories": {
                                                        "self": {"refName": f"refs/heads/{branch}"}
                                                    }
                                                },
                                                "templateParameters": {
                                                    "model": "@{items('Run_release')?['data']?['modelName']}",
                                                    "version": "@{items('Run_release')?['data']?['modelVersion']}",
                                                },
                                            },
                                            "authentication": {
                                                "type": "ManagedServiceIdentity",
                                                "audience": AZURE_DEVOPS_RESOURCE,
                                            },
                                        },
                                        "retryPolicy": {
                                            "type": "exponential",
                                            "count": 4,
                                            "interval": "PT30S",
                                        },
                                    }
                                },
                            },
                            "Accepted": {
                                "type": "Response",
                                "kind": "Http",
                                "runAfter": {"Run_release": ["Succeeded"]},
                                "inputs": {"statusCode": 202},
                            },
                        },
                    },
                },
                "default": {
                    "actions": {
                        "Reject": {
                            "type": "Response",
                            "kind": "Http",
                            "inputs": {
                                "statusCode": 400,
                                "body": {"error": f"only {MODEL_REGISTERED} events are accepted"},
                            },
                        }
                    }
                },
            },
        },
        "outputs": {},
    }


class ReleaseTrigger(pulumi.ComponentResource):
    """Event Grid → Logic App → release pipeline (``mlops:delivery:ReleaseTrigger``)."""

    workflow_id: pulumi.Output[str]
    """ARM id of the Logic App."""
    workflow_principal_id: pulumi.Output[str]
    """Principal id of its system identity (the Azure DevOps service principal)."""
    system_topic_id: pulumi.Output[str]
    """ARM id of the Event Grid system topic."""

    def __init__(
        self, name: str, args: ReleaseTriggerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:delivery:ReleaseTrigger", name, {}, opts)
        import pulumi_azuredevops as azuredevops

        check_unknown_args(COMPONENT, args, ReleaseTriggerArgs)
        require(
            COMPONENT,
            args,
            "resource_group_name",
            "location",
            "workspace_id",
            "system_topic_name",
            "workflow_name",
            "organization_url",
            "project_name",
            "project_id",
            "release_pipeline_id",
            "devops_provider",
            "log_analytics_id",
            "environment",
        )
        if not WORKFLOW_NAME.match(args["workflow_name"]):
            raise arg_error(
                COMPONENT,
                "workflow_name",
                f"'{args['workflow_name']}' must be 1-80 letters, digits, _ . ( ) -",
            )
        if not re.fullmatch(r"[a-zA-Z0-9-]{3,50}", args["system_topic_name"]):
            raise arg_error(
                COMPONENT,
                "system_topic_name",
                f"'{args['system_topic_name']}' must be 3-50 letters, digits, -",
            )
        models = list(args.get("models", []))
        tags = dict(args.get("tags", {}))
        branch = args.get("branch", "main")
        ado = pulumi.ResourceOptions(parent=self, provider=args["devops_provider"])

        definition = pulumi.Output.all(
            pulumi.Output.from_input(args["organization_url"]),
            pulumi.Output.from_input(args["project_name"]),
            pulumi.Output.from_input(args["release_pipeline_id"]),
            pulumi.Output.from_input(branch),
        ).apply(lambda v: workflow_definition(str(v[0]), str(v[1]), str(v[2]), str(v[3])))
        workflow = logic.Workflow(
            f"{name}-workflow",
            workflow_name=args["workflow_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            state="Enabled",
            identity=logic.ManagedServiceIdentityArgs(type="SystemAssigned"),
            definition=definition,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        topic = eventgrid.SystemTopic(
            f"{name}-topic",
            system_topic_name=args["system_topic_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            source=args["workspace_id"],
            topic_type="Microsoft.MachineLearningServices.Workspaces",
            identity=eventgrid.IdentityInfoArgs(type="SystemAssigned"),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        def callback(values: list[Any]) -> str:
            # Runs only once the workflow exists (its id is unknown during a real preview).
            result = logic.list_workflow_trigger_callback_url(
                resource_group_name=values[1],
                workflow_name=values[2],
                trigger_name=TRIGGER_NAME,
                opts=pulumi.InvokeOptions(parent=self),
            )
            return result.value

        endpoint = pulumi.Output.secret(
            pulumi.Output.all(workflow.id, args["resource_group_name"], workflow.name).apply(callback)
        )
        advanced = (
            [
                eventgrid.StringInAdvancedFilterArgs(
                    operator_type="StringIn", key="data.modelName", values=models
                )
            ]
            if models
            else None
        )
        eventgrid.SystemTopicEventSubscription(
            f"{name}-subscription",
            event_subscription_name="model-registered-release",
            system_topic_name=topic.name,
            resource_group_name=args["resource_group_name"],
            destination=eventgrid.WebHookEventSubscriptionDestinationArgs(
                endpoint_type="WebHook",
                endpoint_url=endpoint,
                max_events_per_batch=1,
                preferred_batch_size_in_kilobytes=64,
            ),
            event_delivery_schema="EventGridSchema",
            filter=eventgrid.EventSubscriptionFilterArgs(
                included_event_types=[MODEL_REGISTERED], advanced_filters=advanced
            ),
            retry_policy=eventgrid.RetryPolicyArgs(
                max_delivery_attempts=10, event_time_to_live_in_minutes=1440
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        send_to_log_analytics(
            f"{name}-workflow", resource_id=workflow.id, workspace_id=args["log_analytics_id"], parent=self
        )
        send_to_log_analytics(
            f"{name}-topic", resource_id=topic.id, workspace_id=args["log_analytics_id"], parent=self
        )

        principal_id = workflow.identity.apply(lambda i: i.principal_id if i else None)
        entitlement = azuredevops.ServicePrincipalEntitlement(
            f"{name}-entitlement",
            origin="aad",
            origin_id=principal_id,
            account_license_type="express",
            opts=ado,
        )
        group = azuredevops.Group(
            f"{name}-group",
            scope=args["project_id"],
            display_name=f"mlops-estate release trigger ({args['environment']})",
            description="Queues the release pipeline when a model version is registered (managed by Pulumi)",
            opts=ado,
        )
        azuredevops.GroupMembership(
            f"{name}-membership",
            group=group.descriptor,
            members=[entitlement.descriptor],
            mode="add",
            opts=ado,
        )
        azuredevops.BuildDefinitionPermissions(
            f"{name}-queue-release",
            project_id=args["project_id"],
            build_definition_id=args["release_pipeline_id"],
            principal=group.id,
            permissions={"ViewBuilds": "Allow", "ViewBuildDefinition": "Allow", "QueueBuilds": "Allow"},
            replace=False,
            opts=ado,
        )

        self.workflow_id = workflow.id
        self.workflow_principal_id = principal_id
        self.system_topic_id = topic.id
        self.register_outputs(
            {
                "workflow_id": self.workflow_id,
                "workflow_principal_id": self.workflow_principal_id,
                "system_topic_id": self.system_topic_id,
            }
        )
