"""Monitoring (alerts per endpoint, AKS, failed runs) and ModelMonitor (schedule + drift alert)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from components.model_monitor import ModelMonitor, ModelMonitorArgs
from components.monitoring import EndpointArgs, Monitoring, MonitoringArgs
from infra.errors import ConfigError
from tests.support.template import ABSENT, Template

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-x/providers"
WS = f"{SUB}/Microsoft.MachineLearningServices/workspaces/mlw-x"
LA = f"{SUB}/Microsoft.OperationalInsights/workspaces/log-x"
AKS = f"{SUB}/Microsoft.ContainerService/managedClusters/aks-x"
METRIC = "azure-native:monitor:MetricAlert"
LOG = "azure-native:monitor:ScheduledQueryRule"
GROUP = "azure-native:monitor:ActionGroup"


def endpoint(model: str, *slots: str) -> EndpointArgs:
    base = f"{WS}/onlineEndpoints/{model}-prod"
    return {
        "endpoint_id": base,
        "endpoint_name": f"{model}-prod",
        "deployment_ids": {slot: f"{base}/deployments/{slot}" for slot in slots},
    }


MINIMAL: MonitoringArgs = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "name_prefix": "mlops-prod",
    "action_group_name": "ag-ops",
    "log_analytics_id": LA,
    "workspace_id": WS,
}


def build(**extra) -> Template:
    # ``extra`` carries deliberately bad arguments too: the component validates them at runtime.
    return Template.from_function(
        lambda: Monitoring("monitoring", cast(MonitoringArgs, {**MINIMAL, **extra}))
    )


def test_defaults_failed_runs_only():
    t = build()
    assert t.count_by_type() == {
        "pulumi:pulumi:Stack": 1,
        "mlops:monitoring:Monitoring": 1,
        GROUP: 1,
        METRIC: 1,
    }
    t.has_resource_properties(
        GROUP,
        {
            "actionGroupName": "ag-ops",
            "groupShortName": "mlops-ops",
            "location": "Global",
            "enabled": True,
            "emailReceivers": [],
        },
    )
    t.has_resource_properties(
        METRIC,
        {
            "ruleName": "mlops-prod-failed-runs",
            "scopes": [WS],
            "windowSize": "PT15M",
            "evaluationFrequency": "PT5M",
            "criteria": {
                "odataType": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                "allOf": [
                    {
                        "metricName": "Failed Runs",
                        "metricNamespace": "Microsoft.MachineLearningServices/workspaces",
                        "operator": "GreaterThanOrEqual",
                        "threshold": 1,
                        "timeAggregation": "Total",
                    }
                ],
            },
        },
    )


def test_alerts_per_endpoint_exact():
    """Per online endpoint: latency + 5xx rate; per deployment: CPU, memory, disk; plus AKS and failed runs."""
    t = build(
        endpoints={"diabetes": endpoint("diabetes", "blue", "green"), "fraud": endpoint("fraud", "main")},
        aks_cluster_id=AKS,
        alert_emails=["a@contoso.com", "b@contoso.com"],
        thresholds={"latency_ms": 250, "cpu_percent": 70, "window_minutes": 60},
        failed_runs_threshold=2,
        tags={"environment": "prod"},
    )
    rules = sorted(r["inputs"]["ruleName"] for r in t.find_resources(METRIC))
    assert rules == sorted(
        [
            "mlops-prod-diabetes-latency",
            "mlops-prod-diabetes-blue-cpu",
            "mlops-prod-diabetes-blue-memory",
            "mlops-prod-diabetes-blue-disk",
            "mlops-prod-diabetes-green-cpu",
            "mlops-prod-diabetes-green-memory",
            "mlops-prod-diabetes-green-disk",
            "mlops-prod-fraud-latency",
            "mlops-prod-fraud-main-cpu",
            "mlops-prod-fraud-main-memory",
            "mlops-prod-fraud-main-disk",
            "mlops-prod-aks-node-health",
            "mlops-prod-failed-runs",
        ]
    )
    assert sorted(r["inputs"]["ruleName"] for r in t.find_resources(LOG)) == [
        "mlops-prod-diabetes-error-rate",
        "mlops-prod-fraud-error-rate",
    ]
    group = t.resource(GROUP, "monitoring-action-group")
    assert group["inputs"]["emailReceivers"] == [
        {"name": "email-0", "emailAddress": "a@contoso.com", "useCommonAlertSchema": True},
        {"name": "email-1", "emailAddress": "b@contoso.com", "useCommonAlertSchema": True},
    ]
    latency = t.resource(METRIC, "monitoring-diabetes-latency")["inputs"]
    assert latency["scopes"] == [f"{WS}/onlineEndpoints/diabetes-prod"] and latency["windowSize"] == "PT1H"
    assert latency["criteria"]["allOf"][0]["threshold"] == 250
    assert latency["actions"] == [{"actionGroupId": group["id"], "webHookProperties": {"model": "diabetes"}}]
    cpu = t.resource(METRIC, "monitoring-diabetes-green-cpu")["inputs"]
    assert cpu["scopes"] == [f"{WS}/onlineEndpoints/diabetes-prod/deployments/green"]
    assert cpu["criteria"]["allOf"][0]["metricName"] == "CpuUtilizationPercentage"
    assert cpu["criteria"]["allOf"][0]["threshold"] == 70
    assert (
        t.resource(METRIC, "monitoring-diabetes-green-memory")["inputs"]["criteria"]["allOf"][0]["threshold"]
        == 85
    )
    node = t.resource(METRIC, "monitoring-aks-node-health")["inputs"]
    assert node["scopes"] == [AKS] and node["severity"] == 1
    assert node["criteria"]["allOf"][0]["dimensions"] == [
        {"name": "status2", "operator": "Include", "values": ["NotReady"]}
    ]
    errors = t.resource(LOG, "monitoring-diabetes-error-rate")["inputs"]
    assert errors["scopes"] == [LA] and errors["kind"] == "LogAlert"
    assert 'where EndpointName == "diabetes-prod"' in errors["criteria"]["allOf"][0]["query"]
    assert errors["criteria"]["allOf"][0]["threshold"] == 1.0
    assert errors["actions"] == {"actionGroups": [group["id"]], "customProperties": {"model": "diabetes"}}
    t.all_resources_properties(
        METRIC, {"tags": {"environment": "prod"}, "autoMitigate": True, "location": "global"}
    )


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"thresholds": {"latency": 5}}, "Monitoring args.thresholds.latency: is not a threshold"),
        (
            {"thresholds": {"window_minutes": 10}},
            "Monitoring args.thresholds.window_minutes: 10 is not one of 5, 15, 30, 60",
        ),
        (
            {"endpoints": {"m": {"endpoint_id": "x", "endpoint_name": "m"}}},
            "Monitoring args.endpoints.m.deployment_ids",
        ),
        ({"failed_runs_threshold": 0}, "Monitoring args.failed_runs_threshold: 0 must be at least 1"),
        ({"workspace_id": ""}, "Monitoring args.workspace_id: is required"),
    ],
)
def test_bad_monitoring_arguments(change, needle):
    with pytest.raises(ConfigError) as caught:
        build(**change)
    assert needle in str(caught.value)


MONITOR: ModelMonitorArgs = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "workspace_name": "mlw-x",
    "model": "diabetes",
    "endpoint_name": "diabetes-prod",
    "deployment_name": "blue",
    "deployment_id": f"{WS}/onlineEndpoints/diabetes-prod/deployments/blue",
    "reference_data_uri": "azureml:diabetes-training@latest",
    "log_analytics_id": LA,
    "action_group_ids": [
        f"{SUB}/Microsoft.Insights/actionGroups/ag-ops",
        f"{SUB}/Microsoft.Insights/actionGroups/ag-retrain",
    ],
    "rule_name": "mlops-prod-diabetes-drift",
}


def test_model_monitor_schedule_and_drift_alert():
    t = Template.from_function(
        lambda: ModelMonitor(
            "monitor-diabetes",
            {**MONITOR, "alert_emails": ["a@contoso.com"], "drift_threshold": 0.2, "hour_utc": 4},
        )
    )
    assert t.count_by_type() == {
        "pulumi:pulumi:Stack": 1,
        "mlops:monitoring:ModelMonitor": 1,
        "azure-native:machinelearningservices:Schedule": 1,
        LOG: 1,
    }
    schedule = t.resource("azure-native:machinelearningservices:Schedule", "monitor-diabetes-schedule")[
        "inputs"
    ]
    assert schedule["name"] == "diabetes-monitor" and schedule["workspaceName"] == "mlw-x"
    props = schedule["properties"]
    assert props["trigger"] == {
        "triggerType": "Recurrence",
        "frequency": "Day",
        "interval": 1,
        "schedule": {"hours": [4], "minutes": [0]},
        "timeZone": "UTC",
    }
    definition = props["action"]["monitorDefinition"]
    assert props["action"]["actionType"] == "CreateMonitor"
    assert definition["monitoringTarget"] == {
        "taskType": "Regression",
        "deploymentId": MONITOR["deployment_id"],
    }
    assert definition["alertNotificationSettings"] == {
        "emailNotificationSettings": {"emails": ["a@contoso.com"]}
    }
    signals = definition["signals"]
    assert {k: v["signalType"] for k, v in signals.items()} == {
        "data-drift": "DataDrift",
        "prediction-drift": "PredictionDrift",
        "data-quality": "DataQuality",
    }
    assert signals["data-drift"]["productionData"] == {
        "inputDataType": "Rolling",
        "jobInputType": "uri_folder",
        "uri": "azureml:diabetes-prod-blue-model_inputs:1",
        "windowSize": "P7D",
        "windowOffset": "P0D",
    }
    assert (
        signals["prediction-drift"]["productionData"]["uri"] == "azureml:diabetes-prod-blue-model_outputs:1"
    )
    assert signals["data-drift"]["metricThresholds"][0] == {
        "dataType": "Numerical",
        "metric": "NormalizedWassersteinDistance",
        "threshold": {"value": 0.2},
    }
    assert signals["data-quality"]["metricThresholds"][0]["threshold"] == {"value": 0.05}
    alert = t.resource(LOG, "monitor-diabetes-drift-alert")["inputs"]
    assert alert["ruleName"] == "mlops-prod-diabetes-drift" and alert["scopes"] == [LA]
    assert alert["actions"] == {
        "actionGroups": MONITOR["action_group_ids"],
        "customProperties": {"model": "diabetes"},
    }
    assert (
        'ExperimentName has "diabetes-monitor" and Status == "Failed"'
        in alert["criteria"]["allOf"][0]["query"]
    )


def test_model_monitor_without_emails_has_no_notification_settings():
    t = Template.from_function(lambda: ModelMonitor("m", MONITOR))
    definition = t.resource("azure-native:machinelearningservices:Schedule", "m-schedule")["inputs"][
        "properties"
    ]["action"]
    assert definition["monitorDefinition"].get("alertNotificationSettings", ABSENT) is ABSENT


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"action_group_ids": []}, "ModelMonitor args.action_group_ids: needs at least one action group"),
        ({"drift_threshold": 1.5}, "ModelMonitor args.drift_threshold: 1.5 is not in (0, 1]"),
        ({"hour_utc": 24}, "ModelMonitor args.hour_utc: 24 is not an hour 0-23"),
        ({"task_type": "Forecasting"}, "ModelMonitor args.task_type: 'Forecasting'"),
        ({"reference_data_uri": ""}, "ModelMonitor args.reference_data_uri: is required"),
    ],
)
def test_bad_monitor_arguments(change, needle):
    with pytest.raises(ConfigError) as caught:
        Template.from_function(lambda: ModelMonitor("m", {**MONITOR, **change}))
    assert needle in str(caught.value)


def test_monitor_events_route_threshold_breaches_to_the_retraining_queue():
    from components.model_monitor import MonitorEvents

    account = f"{SUB}/Microsoft.Storage/storageAccounts/stfn"
    queue = f"{account}/queueServices/default/queues/retrain-drift-event"
    dead = f"{account}/blobServices/default/containers/retrain-deadletter"
    t = Template.from_function(
        lambda: MonitorEvents(
            "monitor-events",
            {
                "resource_group_name": "rg-x",
                "location": "westeurope",
                "workspace_id": WS,
                "system_topic_name": "evgt-mlw",
                "queue_account_id": account,
                "queue_name": "retrain-drift-event",
                "queue_id": queue,
                "dead_letter_container_id": dead,
                "models": ["fraud_rules", "diabetes"],
                "tags": {"owner": "o"},
            },
        )
    )
    sub = "azure-native:eventgrid:SystemTopicEventSubscription"
    role = "azure-native:authorization:RoleAssignment"
    assert t.count_by_type() == {
        "pulumi:pulumi:Stack": 1,
        "mlops:monitoring:MonitorEvents": 1,
        "azure-native:eventgrid:SystemTopic": 1,
        role: 2,
        sub: 2,
    }
    topic = t.resource("azure-native:eventgrid:SystemTopic", "monitor-events-topic")
    assert (topic["inputs"]["source"], topic["inputs"]["topicType"], topic["inputs"]["identity"]) == (
        WS,
        "Microsoft.MachineLearningServices.Workspaces",
        {"type": "SystemAssigned"},
    )
    principal = topic["outputs"]["identity"]["principalId"]
    assert sorted(
        (r["inputs"]["scope"], r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1], r["inputs"]["principalId"])
        for r in t.find_resources(role)
    ) == [
        (dead, "ba92f5b4-2d11-453d-a403-e96b0029c9fe", principal),  # Storage Blob Data Contributor
        (queue, "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", principal),  # Storage Queue Data Message Sender
    ]
    fraud = t.resource(sub, "monitor-events-fraud_rules")
    assert fraud["inputs"]["eventSubscriptionName"] == "fraud-rules-monitor-breach"
    assert fraud["inputs"]["filter"] == {
        "includedEventTypes": ["Microsoft.MachineLearningServices.RunStatusChanged"],
        "advancedFilters": [
            {
                "operatorType": "StringContains",
                "key": "data.ExperimentName",
                "values": ["fraud-rules-monitor"],
            },
            {"operatorType": "IsNotNull", "key": "data.RunTags.azureml_modelmonitor_threshold_breached"},
        ],
        "isSubjectCaseSensitive": False,
    }
    assert fraud["inputs"]["deliveryWithResourceIdentity"]["destination"] == {
        "endpointType": "StorageQueue",
        "resourceId": account,
        "queueName": "retrain-drift-event",
        "queueMessageTimeToLiveInSeconds": 604800,
    }
    assert fraud["inputs"]["deadLetterWithResourceIdentity"]["deadLetterDestination"][
        "blobContainerName"
    ] == ("retrain-deadletter")
    # The subscription waits for the topic identity's grants.
    grants = {r["urn"] for r in t.find_resources(role)}
    assert grants <= set(fraud["dependencies"])


def test_monitor_name_is_the_retraining_functions_contract():
    """The Function finds the model from the monitor's experiment name; both sides name it alike."""
    import importlib.util

    from components.model_monitor import BREACH_TAG, monitor_name
    from components.retraining.events import DEAD_LETTER_CONTAINER

    path = Path(__file__).resolve().parents[2] / "components/retraining/function_app/retrain"
    spec = importlib.util.spec_from_file_location("retrain_contract_probe", path / "contract.py")
    assert spec is not None and spec.loader is not None
    contract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(contract)
    text = (path / "monitor_events.py").read_text()
    assert (
        contract.QUEUE_DRIFT_EVENT in contract.EVENT_QUEUES and DEAD_LETTER_CONTAINER == "retrain-deadletter"
    )
    assert f'BREACH_TAG = "{BREACH_TAG}"' in text and 'MONITOR_SUFFIX = "-monitor"' in text
    assert monitor_name("fraud_rules") == "fraud-rules-monitor"
