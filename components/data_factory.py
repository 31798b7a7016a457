"""Data Factory that schedules Databricks batch inference (``mlops:datafactory:BatchScheduler``).

Step 1 of the estate's batch path: Databricks job scheduling via ADF. Per environment one factory with:

* the Databricks workspace's job-runner identity attached (user-assigned) and registered as a
  factory credential — the Azure Databricks linked service authenticates with it (``MSI`` +
  credential reference): no personal access token exists anywhere;
* one pipeline per batch model with a single ``DatabricksJob`` activity that runs the model's
  batch-inference job by id (the job runs as that same identity, which holds
  ``CAN_MANAGE_RUN`` on it and ``CAN_USE`` on its cluster policy);
* one schedule trigger per pipeline (frequency, interval and hour from settings).

Public network access follows the stack (off in qa/prod); diagnostics go to Log Analytics.
ARM creates every trigger stopped and azure-native has no way to start one (starting is a
separate ``POST .../triggers/{name}/start``; ``runtimeState`` is read-only). The component
exports the trigger names (``trigger_names``) and the deploy pipeline starts each of them right
after ``pulumi up`` (``pipelines/scripts/post_deploy.sh``), so a deployed schedule runs.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import datafactory

from components.common import arg_error, check_unknown_args, require
from components.diagnostics import send_to_log_analytics

COMPONENT = "BatchScheduler"
CREDENTIAL = "databricks-job-runner"
LINKED_SERVICE = "databricks"


class ScheduleArgs(TypedDict):
    """When the batch pipelines run."""

    frequency: Literal["Hour", "Day", "Week"]
    """Required."""
    interval: NotRequired[int]
    """Optional. @default 1"""
    hour_utc: NotRequired[int]
    """Optional. For Day and Week. @default 2"""
    start_time: NotRequired[str]
    """Optional. ISO 8601 UTC. @default 2026-01-01T00:00:00Z"""


class BatchSchedulerArgs(TypedDict):
    """Arguments of :class:`BatchScheduler`."""

    resource_group_name: pulumi.Input[str]
    """Required."""
    location: str
    """Required."""
    factory_name: str
    """Required. Globally unique factory name."""
    runner_identity_id: pulumi.Input[str]
    """Required. ARM id of the Databricks job-runner identity."""
    databricks_workspace_id: pulumi.Input[str]
    """Required. ARM id of the Databricks workspace."""
    databricks_workspace_url: pulumi.Input[str]
    """Required. Its URL (``adb-...azuredatabricks.net``)."""
    job_ids: dict[str, pulumi.Input[str]]
    """Required. Databricks job id per batch model (may be empty: factory only)."""
    log_analytics_id: pulumi.Input[str]
    """Required. Diagnostics destination."""
    schedule: ScheduleArgs
    """Required. When the pipelines run."""
    public_network_access: NotRequired[bool]
    """Optional. @default False"""
    tags: NotRequired[dict[str, str]]
    """Optional. @default {}"""


class BatchScheduler(pulumi.ComponentResource):
    """A Data Factory running each batch model's Databricks job on a schedule."""

    factory_id: pulumi.Output[str]
    """ARM id of the factory."""
    pipeline_names: dict[str, str]
    """Pipeline name per batch model."""
    trigger_names: dict[str, str]
    """Schedule trigger name per model (started by the deploy pipeline after ``pulumi up``)."""

    def __init__(
        self, name: str, args: BatchSchedulerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:datafactory:BatchScheduler", name, {}, opts)
        frequency, interval, hour = _validate(args)
        schedule = args["schedule"]
        tags = dict(args.get("tags", {}))
        rg = args["resource_group_name"]
        parent = pulumi.ResourceOptions(parent=self)

        factory = datafactory.Factory(
            f"{name}-factory",
            factory_name=args["factory_name"],
            resource_group_name=rg,
            location=args["location"],
            identity={
                "type": "SystemAssigned,UserAssigned",
                "user_assigned_identities": [args["runner_identity_id"]],
            },
            public_network_access="Enabled" if args.get("public_network_access", False) else "Disabled",
            tags=tags,
            opts=parent,
        )
        send_to_log_analytics(
            f"{name}-factory", resource_id=factory.id, workspace_id=args["log_analytics_id"], parent=self
        )
        credential = datafactory.CredentialOperation(
            f"{name}-runner-credential",
            credential_name=CREDENTIAL,
            factory_name=factory.name,
            resource_group_name=rg,
            properties={
                "type": "ManagedIdentity",
                "resource_id": args["runner_identity_id"],
                "description": "The Databricks job-runner identity",
            },
            opts=parent,
        )
        linked = datafactory.LinkedService(
            f"{name}-databricks",
            linked_service_name=LINKED_SERVICE,
            factory_name=factory.name,
            resource_group_name=rg,
            properties={
                "type": "AzureDatabricks",
                "description": "Databricks workspace, managed identity authentication (no tokens)",
                "domain": pulumi.Output.from_input(args["databricks_workspace_url"]).apply(
                    lambda u: f"https://{u}"
                ),
                "authentication": "MSI",
                "workspace_resource_id": args["databricks_workspace_id"],
                "credential": {"reference_name": CREDENTIAL, "type": "CredentialReference"},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[credential]),
        )
        recurrence: datafactory.ScheduleTriggerRecurrenceArgsDict = {
            "frequency": frequency,
            "interval": interval,
            "start_time": schedule.get("start_time", "2026-01-01T00:00:00Z"),
            "time_zone": "UTC",
        }
        if frequency != "Hour":
            recurrence["schedule"] = {"hours": [hour], "minutes": [0]}
        self.pipeline_names = {}
        self.trigger_names = {}
        for model in sorted(args["job_ids"]):
            self._schedule(name, model, args["job_ids"][model], factory, rg, linked, recurrence)
            self.pipeline_names[model] = f"{model}-batch-inference"
            self.trigger_names[model] = f"{model}-schedule"

        self.factory_id = factory.id
        self.register_outputs(
            {
                "factory_id": self.factory_id,
                "pipeline_names": self.pipeline_names,
                "trigger_names": self.trigger_names,
            }
        )

    def _schedule(
        self,
        name: str,
        model: str,
        job_id: pulumi.Input[str],
        factory: datafactory.Factory,
        rg: pulumi.Input[str],
        linked: datafactory.LinkedService,
        recurrence: datafactory.ScheduleTriggerRecurrenceArgsDict,
    ) -> None:
        """One model's pipeline (runs its Databricks job) and the schedule trigger that starts it."""
        pipeline_name = f"{model}-batch-inference"
        activity: datafactory.DatabricksJobActivityArgsDict = {
            "type": "DatabricksJob",
            "name": "run-batch-inference",
            "job_id": job_id,
            "linked_service_name": {
                "reference_name": LINKED_SERVICE,
                "type": "LinkedServiceReference",
            },
            "policy": {"retry": 1, "retry_interval_in_seconds": 300, "timeout": "0.04:00:00"},
        }
        trigger: datafactory.ScheduleTriggerArgsDict = {
            "type": "ScheduleTrigger",
            "description": f"Batch inference of {model}",
            "recurrence": recurrence,
            "pipelines": [
                {"pipeline_reference": {"reference_name": pipeline_name, "type": "PipelineReference"}}
            ],
        }
        pipeline = datafactory.Pipeline(
            f"{name}-{model}-pipeline",
            pipeline_name=pipeline_name,
            factory_name=factory.name,
            resource_group_name=rg,
            description=f"Runs the Databricks batch-inference job of {model}",
            concurrency=1,
            activities=[activity],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[linked]),
        )
        datafactory.Trigger(
            f"{name}-{model}-schedule",
            trigger_name=f"{model}-schedule",  # trigger_names below: the deploy pipeline starts it
            factory_name=factory.name,
            resource_group_name=rg,
            properties=trigger,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pipeline]),
        )


def _validate(args: BatchSchedulerArgs) -> tuple[str, int, int]:
    """Every argument check of :class:`BatchScheduler`; returns the schedule's frequency,
    interval and hour."""
    check_unknown_args(COMPONENT, args, BatchSchedulerArgs)
    require(
        COMPONENT,
        args,
        "resource_group_name",
        "location",
        "factory_name",
        "runner_identity_id",
        "databricks_workspace_id",
        "databricks_workspace_url",
        "log_analytics_id",
        "schedule",
    )
    if args.get("job_ids") is None:
        raise arg_error(COMPONENT, "job_ids", "is required (an empty dict for no jobs)")
    schedule = args["schedule"]
    check_unknown_args(COMPONENT, schedule, ScheduleArgs)
    frequency = schedule.get("frequency")
    if frequency not in ("Hour", "Day", "Week"):
        raise arg_error(COMPONENT, "schedule.frequency", f"'{frequency}' is not Hour, Day or Week")
    interval, hour = schedule.get("interval", 1), schedule.get("hour_utc", 2)
    if not 1 <= interval <= 24:
        raise arg_error(COMPONENT, "schedule.interval", f"{interval} is not 1-24")
    if not 0 <= hour <= 23:
        raise arg_error(COMPONENT, "schedule.hour_utc", f"{hour} is not an hour 0-23")
    return str(frequency), int(interval), int(hour)
