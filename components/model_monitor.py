"""Azure ML model monitoring of one online model (``mlops:monitoring:ModelMonitor``).

* a monitor schedule (``machinelearningservices.Schedule`` with a ``CreateMonitor`` action)
  that runs daily on serverless Spark and computes three signals on the champion
  deployment's production data — collected by the deployment's data collector as the data
  assets ``<endpoint>-<deployment>-model_inputs`` / ``-model_outputs`` — against the model's
  reference (training) data: **data drift** (normalized Wasserstein distance for numerical,
  Jensen-Shannon for categorical features), **prediction drift** (same metrics on the
  outputs) and **data quality** (null value rate);
* a monitor-run alert for the on-call team: a log alert on ``AmlRunStatusChangedEvent``
  (runs of this monitor that ended ``Failed``, for whatever reason) notifying the operations
  action group. It is an operational signal, not the drift trigger: a monitor run also fails
  for broken inputs.

The drift trigger is :class:`MonitorEvents`: a monitor run whose signals breach their
thresholds raises ``Microsoft.MachineLearningServices.RunStatusChanged`` on the workspace's
Event Grid topic with the run tag ``azureml_modelmonitor_threshold_breached`` (Azure ML's
documented way to act on a breach). One subscription per drift-retrained model filters on that
tag and on the monitor's experiment name and delivers, with the system topic's managed identity,
to the retraining Function's ``retrain-drift-event`` Storage queue (read by
``retrain_drift_event``); the queue exists before the Function's code does, so the first
``pulumi up`` creates the subscriptions (``components/retraining/events.py``).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import eventgrid, monitor
from pulumi_azure_native import machinelearningservices as ml

from components.common import arg_error, check_unknown_args, require
from components.retraining.events import grant_topic, queue_subscription

COMPONENT = "ModelMonitor"
MONITOR_SUFFIX = "-monitor"
RUN_STATUS_CHANGED = "Microsoft.MachineLearningServices.RunStatusChanged"
BREACH_TAG = "azureml_modelmonitor_threshold_breached"


MonitorSignal = (
    ml.DataDriftMonitoringSignalArgs
    | ml.PredictionDriftMonitoringSignalArgs
    | ml.DataQualityMonitoringSignalArgs
)
"""The signal kinds a :class:`ModelMonitor` computes."""


def monitor_name(model: str) -> str:
    """The monitor schedule's name, which its runs' experiment carries (the Function's contract)."""
    return f"{model.replace('_', '-')}{MONITOR_SUFFIX}"


class ModelMonitorArgs(TypedDict):
    """Arguments of :class:`ModelMonitor`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the workspace and the alert rule."""
    location: str
    """Required. Region of the alert rule."""
    workspace_name: pulumi.Input[str]
    """Required. The Azure ML workspace the schedule lives in."""
    model: str
    """Required. Model name (the alert's ``model`` custom property)."""
    endpoint_name: pulumi.Input[str]
    """Required. The online endpoint."""
    deployment_name: str
    """Required. The deployment whose production data is monitored (the champion slot)."""
    deployment_id: pulumi.Input[str]
    """Required. Its ARM id (the monitoring target)."""
    reference_data_uri: pulumi.Input[str]
    """Required. The reference (training) data asset, e.g. ``azureml:diabetes-training@latest``."""
    log_analytics_id: pulumi.Input[str]
    """Required. Where the workspace's run status events land (the drift alert's scope)."""
    action_group_ids: list[pulumi.Input[str]]
    """Required. Action groups notified on drift (operations; retraining when drift retrains)."""
    rule_name: str
    """Required. Name of the drift alert rule."""
    task_type: NotRequired[Literal["Classification", "Regression"]]
    """Optional. The model's task. @default Regression"""
    drift_threshold: NotRequired[float]
    """Optional. Data drift threshold (0-1]. @default 0.1"""
    prediction_drift_threshold: NotRequired[float]
    """Optional. Prediction drift threshold (0-1]. @default 0.1"""
    data_quality_threshold: NotRequired[float]
    """Optional. Null value rate threshold (0-1]. @default 0.05"""
    hour_utc: NotRequired[int]
    """Optional. Daily run hour (UTC). @default 3"""
    lookback_days: NotRequired[int]
    """Optional. Production data window. @default 7"""
    alert_emails: NotRequired[list[str]]
    """Optional. Azure ML's own e-mail notification of the monitor. @default []"""
    tags: NotRequired[dict[str, str]]
    """Optional. @default {}"""


def _rolling(endpoint: pulumi.Output[str], slot: str, collection: str, days: int) -> ml.RollingInputDataArgs:
    """The deployment's collected production data (``<endpoint>-<slot>-<collection>``), last days."""
    return ml.RollingInputDataArgs(
        input_data_type="Rolling",
        job_input_type="uri_folder",
        uri=endpoint.apply(lambda name: f"azureml:{name}-{slot}-{collection}:1"),
        window_size=f"P{days}D",
        window_offset="P0D",
    )


def monitor_signals(
    endpoint: pulumi.Output[str],
    slot: str,
    days: int,
    reference_data_uri: pulumi.Input[str],
    thresholds: dict[str, float],
) -> dict[str, MonitorSignal]:
    """Data drift, prediction drift and data quality of the deployment against the reference data
    (typed Args: the SDK writes their wire names, camelCase, also inside the ``signals`` map)."""
    reference = ml.FixedInputDataArgs(
        input_data_type="Fixed", job_input_type="mltable", uri=reference_data_uri
    )
    drift = thresholds["drift_threshold"]
    prediction = thresholds["prediction_drift_threshold"]
    quality = ml.MonitoringThresholdArgs(value=thresholds["data_quality_threshold"])
    return {
        "data-drift": ml.DataDriftMonitoringSignalArgs(
            signal_type="DataDrift",
            production_data=_rolling(endpoint, slot, "model_inputs", days),
            reference_data=reference,
            notification_types=["AmlNotification"],
            metric_thresholds=[
                ml.NumericalDataDriftMetricThresholdArgs(
                    data_type="Numerical",
                    metric="NormalizedWassersteinDistance",
                    threshold=ml.MonitoringThresholdArgs(value=drift),
                ),
                ml.CategoricalDataDriftMetricThresholdArgs(
                    data_type="Categorical",
                    metric="JensenShannonDistance",
                    threshold=ml.MonitoringThresholdArgs(value=drift),
                ),
            ],
        ),
        "prediction-drift": ml.PredictionDriftMonitoringSignalArgs(
            signal_type="PredictionDrift",
            production_data=_rolling(endpoint, slot, "model_outputs", days),
            reference_data=reference,
            notification_types=["AmlNotification"],
            metric_thresholds=[
                ml.NumericalPredictionDriftMetricThresholdArgs(
                    data_type="Numerical",
                    metric="NormalizedWassersteinDistance",
                    threshold=ml.MonitoringThresholdArgs(value=prediction),
                ),
                ml.CategoricalPredictionDriftMetricThresholdArgs(
                    data_type="Categorical",
                    metric="JensenShannonDistance",
                    threshold=ml.MonitoringThresholdArgs(value=prediction),
                ),
            ],
        ),
        "data-quality": ml.DataQualityMonitoringSignalArgs(
            signal_type="DataQuality",
            production_data=_rolling(endpoint, slot, "model_inputs", days),
            reference_data=reference,
            notification_types=["AmlNotification"],
            metric_thresholds=[
                ml.NumericalDataQualityMetricThresholdArgs(
                    data_type="Numerical", metric="NullValueRate", threshold=quality
                ),
                ml.CategoricalDataQualityMetricThresholdArgs(
                    data_type="Categorical", metric="NullValueRate", threshold=quality
                ),
            ],
        ),
    }


class ModelMonitor(pulumi.ComponentResource):
    """One model's monitor schedule and its drift alert."""

    schedule_name: str
    """Name of the monitor schedule in the workspace."""
    schedule_id: pulumi.Output[str]
    """ARM id of the schedule."""
    drift_alert_id: pulumi.Output[str]
    """ARM id of the drift alert rule."""

    def __init__(self, name: str, args: ModelMonitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:monitoring:ModelMonitor", name, {}, opts)
        check_unknown_args(COMPONENT, args, ModelMonitorArgs)
        require(
            COMPONENT,
            args,
            "resource_group_name",
            "location",
            "workspace_name",
            "model",
            "endpoint_name",
            "deployment_name",
            "deployment_id",
            "reference_data_uri",
            "log_analytics_id",
            "rule_name",
        )
        if not args.get("action_group_ids"):
            raise arg_error(COMPONENT, "action_group_ids", "needs at least one action group")
        thresholds: dict[str, float] = {
            "drift_threshold": args.get("drift_threshold", 0.1),
            "prediction_drift_threshold": args.get("prediction_drift_threshold", 0.1),
            "data_quality_threshold": args.get("data_quality_threshold", 0.05),
        }
        for key, value in thresholds.items():
            if not 0 < value <= 1:
                raise arg_error(COMPONENT, key, f"{value} is not in (0, 1]")
        hour = args.get("hour_utc", 3)
        if not 0 <= hour <= 23:
            raise arg_error(COMPONENT, "hour_utc", f"{hour} is not an hour 0-23")
        days = args.get("lookback_days", 7)
        if not 1 <= days <= 90:
            raise arg_error(COMPONENT, "lookback_days", f"{days} is not 1-90")
        task = args.get("task_type", "Regression")
        if task not in ("Classification", "Regression"):
            raise arg_error(COMPONENT, "task_type", f"'{task}' is not Classification or Regression")
        model, slot = args["model"], args["deployment_name"]
        tags = dict(args.get("tags", {}))
        self.schedule_name = monitor_name(model)

        signals = monitor_signals(
            pulumi.Output.from_input(args["endpoint_name"]),
            slot,
            days,
            args["reference_data_uri"],
            thresholds,
        )
        emails = list(args.get("alert_emails", []))
        # ``action``, ``trigger`` and ``compute_configuration`` are union types: typed Args make
        # the SDK emit the wire (camelCase) names.
        definition = ml.MonitorDefinitionArgs(
            compute_configuration=ml.MonitorServerlessSparkComputeArgs(
                compute_type="ServerlessSpark",
                instance_type="standard_e4s_v3",
                runtime_version="3.4",
                compute_identity=ml.AmlTokenComputeIdentityArgs(compute_identity_type="AmlToken"),
            ),
            monitoring_target=ml.MonitoringTargetArgs(task_type=task, deployment_id=args["deployment_id"]),
            signals=signals,
            alert_notification_settings=ml.MonitorNotificationSettingsArgs(
                email_notification_settings=ml.MonitorEmailNotificationSettingsArgs(emails=emails)
            )
            if emails
            else None,
        )
        schedule = ml.Schedule(
            f"{name}-schedule",
            name=self.schedule_name,
            resource_group_name=args["resource_group_name"],
            workspace_name=args["workspace_name"],
            properties=ml.SchedulePropertiesArgs(
                display_name=f"{model} model monitor",
                description=f"Daily data drift, prediction drift and data quality of {model} ({slot})",
                is_enabled=True,
                tags={**tags, "model": model},
                trigger=ml.RecurrenceTriggerArgs(
                    trigger_type="Recurrence",
                    frequency="Day",
                    interval=1,
                    schedule=ml.RecurrenceScheduleArgs(hours=[hour], minutes=[0]),
                    time_zone="UTC",
                ),
                action=ml.CreateMonitorActionArgs(action_type="CreateMonitor", monitor_definition=definition),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        query = (
            "AmlRunStatusChangedEvent\n"
            f'| where ExperimentName has "{self.schedule_name}" and Status == "Failed"\n'
            "| summarize BreachedRuns = count()"
        )
        alert = monitor.ScheduledQueryRule(
            f"{name}-drift-alert",
            rule_name=args["rule_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind="LogAlert",
            description=f"{model}: a model monitor run failed (drift retraining listens to Event Grid)",
            severity=2,
            enabled=True,
            scopes=[args["log_analytics_id"]],
            evaluation_frequency="PT1H",
            window_size="PT1H",
            auto_mitigate=False,
            criteria={
                "all_of": [
                    {
                        "query": query,
                        "time_aggregation": "Total",
                        "metric_measure_column": "BreachedRuns",
                        "operator": "GreaterThan",
                        "threshold": 0,
                        "failing_periods": {
                            "number_of_evaluation_periods": 1,
                            "min_failing_periods_to_alert": 1,
                        },
                    }
                ]
            },
            actions={"action_groups": list(args["action_group_ids"]), "custom_properties": {"model": model}},
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.schedule_id = schedule.id
        self.drift_alert_id = alert.id
        self.register_outputs({"schedule_id": self.schedule_id, "drift_alert_id": self.drift_alert_id})


class MonitorEventsArgs(TypedDict):
    """Arguments of :class:`MonitorEvents`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of the system topic."""
    location: str
    """Required. Region of the workspace."""
    workspace_id: pulumi.Input[str]
    """Required. The Azure ML workspace whose runs raise the events."""
    system_topic_name: str
    """Required. Name of the workspace's Event Grid system topic (one per workspace)."""
    queue_account_id: pulumi.Input[str]
    """Required. The storage account holding the retraining Function's event queues (it also
    holds the dead-letter container ``retrain-deadletter``)."""
    queue_name: str
    """Required. The queue ``retrain_drift_event`` reads (``RetrainingLoop.drift_queue``)."""
    queue_id: pulumi.Input[str]
    """Required. Its ARM id (``RetrainingLoop.drift_queue_id``): the topic's send grant."""
    dead_letter_container_id: pulumi.Input[str]
    """Required. The dead-letter container's ARM id (``RetrainingLoop.dead_letter_container_id``)."""
    models: list[str]
    """Required. Models whose monitor breach retrains them (at least one)."""
    tags: NotRequired[dict[str, str]]
    """Optional. @default {}"""


class MonitorEvents(pulumi.ComponentResource):
    """Model monitor threshold breaches → the retraining Function (``mlops:monitoring:MonitorEvents``)."""

    system_topic_id: pulumi.Output[str]
    """ARM id of the workspace's Event Grid system topic."""

    def __init__(
        self, name: str, args: MonitorEventsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:monitoring:MonitorEvents", name, {}, opts)
        check_unknown_args("MonitorEvents", args, MonitorEventsArgs)
        require(
            "MonitorEvents",
            args,
            "resource_group_name",
            "location",
            "workspace_id",
            "system_topic_name",
            "queue_account_id",
            "queue_name",
            "queue_id",
            "dead_letter_container_id",
            "models",
        )
        models = sorted(args["models"])
        if not models:
            raise arg_error("MonitorEvents", "models", "needs at least one model")
        topic = eventgrid.SystemTopic(
            f"{name}-topic",
            system_topic_name=args["system_topic_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            source=args["workspace_id"],
            topic_type="Microsoft.MachineLearningServices.Workspaces",
            identity={"type": "SystemAssigned"},
            tags=dict(args.get("tags", {})),
            opts=pulumi.ResourceOptions(parent=self),
        )
        grants = grant_topic(
            f"{name}-topic",
            topic=topic,
            topic_name=args["system_topic_name"],
            queue=args["queue_name"],
            queue_scope=args["queue_id"],
            dead_letter_scope=args["dead_letter_container_id"],
            parent=self,
        )
        for model in models:
            queue_subscription(
                f"{name}-{model}",
                subscription_name=f"{monitor_name(model)}-breach",
                topic=topic,
                resource_group_name=args["resource_group_name"],
                account_id=args["queue_account_id"],
                queue=args["queue_name"],
                filter=eventgrid.EventSubscriptionFilterArgs(
                    included_event_types=[RUN_STATUS_CHANGED],
                    advanced_filters=[
                        eventgrid.StringContainsAdvancedFilterArgs(
                            operator_type="StringContains",
                            key="data.ExperimentName",
                            values=[monitor_name(model)],
                        ),
                        eventgrid.IsNotNullAdvancedFilterArgs(
                            operator_type="IsNotNull", key=f"data.RunTags.{BREACH_TAG}"
                        ),
                    ],
                ),
                max_delivery_attempts=10,
                parent=self,
                depends_on=grants,
            )
        self.system_topic_id = topic.id
        self.register_outputs({"system_topic_id": self.system_topic_id})
