"""Maturity: the level a plan proves (synthetic plans), its rendering, and the committed stacks."""

from __future__ import annotations

import collections

import pytest

from infra.maturity import LEVELS, assess, render_maturity
from tests.support.template import Template

RG = {
    "urn": "urn:rg",
    "type": "azure-native:resources:ResourceGroup",
    "name": "resource-group",
    "id": "/rg",
    "inputs": {},
}
COMPUTE = {
    "urn": "urn:compute",
    "type": "azure-native:machinelearningservices:Compute",
    "name": "workspace-training",
    "id": "/c",
    "inputs": {"properties": {"computeType": "AmlCompute"}},
}
AKS_COMPUTE = {
    "urn": "urn:aks",
    "type": "azure-native:machinelearningservices:Compute",
    "name": "aks-attach",
    "id": "/k",
    "inputs": {"properties": {"computeType": "Kubernetes"}},
}
RELEASE = {
    "urn": "urn:release",
    "type": "azuredevops:index/pipelineAuthorization:PipelineAuthorization",
    "name": "devops-environment-environment-release",
    "id": "/r",
    "inputs": {"type": "environment", "pipelineId": 77, "resourceId": "5"},
}
OTHER_PIPELINE = {
    "urn": "urn:otherpipeline",
    "type": "azuredevops:index/pipelineAuthorization:PipelineAuthorization",
    "name": "devops-environment-environment-infra-deploy",
    "id": "/ip",
    "inputs": {"type": "environment", "pipelineId": 78, "resourceId": "5"},
}
NEW_DATA = {
    "urn": "urn:newdata",
    "type": "azure-native:eventgrid:SystemTopicEventSubscription",
    "name": "retraining-new-data-diabetes",
    "id": "/n",
    "inputs": {
        "filter": {"includedEventTypes": ["Microsoft.Storage.BlobCreated"]},
        "deliveryWithResourceIdentity": {
            "destination": {"endpointType": "StorageQueue", "queueName": "retrain-new-data"}
        },
    },
}
OTHER_BLOB = {
    "urn": "urn:otherblob",
    "type": "azure-native:eventgrid:SystemTopicEventSubscription",
    "name": "audit",
    "id": "/o",
    "inputs": {
        "filter": {"includedEventTypes": ["Microsoft.Storage.BlobCreated"]},
        "deliveryWithResourceIdentity": {
            "destination": {"endpointType": "StorageQueue", "queueName": "audit"}
        },
    },
}
MONITOR = {
    "urn": "urn:monitor",
    "type": "azure-native:machinelearningservices:Schedule",
    "name": "monitor-diabetes-schedule",
    "id": "/s",
    "inputs": {"properties": {"action": {"actionType": "CreateMonitor"}}},
}
GROUP = {  # a RunStatusChanged subscription without the breach filter: not a drift trigger
    "urn": "urn:group",
    "type": "azure-native:eventgrid:SystemTopicEventSubscription",
    "name": "any-run-status",
    "id": "/ag",
    "inputs": {
        "filter": {"includedEventTypes": ["Microsoft.MachineLearningServices.RunStatusChanged"]},
        "deliveryWithResourceIdentity": {
            "destination": {"endpointType": "StorageQueue", "queueName": "retrain-drift-event"}
        },
    },
}
ALERT = {
    "urn": "urn:alert",
    "type": "azure-native:eventgrid:SystemTopicEventSubscription",
    "name": "monitor-events-diabetes",
    "id": "/al",
    "inputs": {
        "filter": {
            "includedEventTypes": ["Microsoft.MachineLearningServices.RunStatusChanged"],
            "advancedFilters": [
                {
                    "key": "data.ExperimentName",
                    "operatorType": "StringContains",
                    "values": ["diabetes-monitor"],
                },
                {"key": "data.RunTags.azureml_modelmonitor_threshold_breached", "operatorType": "IsNotNull"},
            ],
        },
        "deliveryWithResourceIdentity": {
            "destination": {"endpointType": "StorageQueue", "queueName": "retrain-drift-event"}
        },
    },
}


def plan(*resources, claimed=5):
    outputs = {"maturityLevel": claimed, "releasePipelineId": "77"} if claimed else {}
    return {"resources": [dict(r) for r in resources], "outputs": outputs}


def test_full_estate_is_level_5_with_exact_evidence():
    result = assess(
        plan(RG, COMPUTE, AKS_COMPUTE, RELEASE, OTHER_PIPELINE, NEW_DATA, OTHER_BLOB, MONITOR, GROUP, ALERT)
    )
    assert result == {
        "level": 5,
        "claimed": 5,
        "evidence": {
            "1": ["urn:rg"],
            "2": ["urn:compute"],
            "3": ["urn:release"],
            "4": ["urn:newdata"],
            "5": ["urn:monitor", "urn:alert"],
        },
    }


def test_a_gap_caps_the_level():
    """Retraining on new data without the release wiring is still level 2."""
    assert assess(plan(RG, COMPUTE, NEW_DATA, MONITOR, GROUP, ALERT))["level"] == 2


@pytest.mark.parametrize(
    ("resources", "level"),
    [
        ((RG,), 1),
        ((RG, AKS_COMPUTE), 1),
        ((RG, COMPUTE), 2),
        ((RG, COMPUTE, RELEASE), 3),
        ((RG, COMPUTE, RELEASE, OTHER_BLOB), 3),
        ((RG, COMPUTE, RELEASE, NEW_DATA), 4),
        ((RG, COMPUTE, RELEASE, NEW_DATA, MONITOR), 4),  # a monitor without the drift → retrain alert
        ((RG, COMPUTE, RELEASE, NEW_DATA, MONITOR, GROUP), 4),  # any run status change is not drift
        ((RG, COMPUTE, OTHER_PIPELINE), 2),  # another pipeline's authorisation is not the release's
        ((RG, COMPUTE, RELEASE, NEW_DATA, MONITOR, GROUP, ALERT), 5),
    ],
)
def test_levels(resources, level):
    assert assess(plan(*resources))["level"] == level


def test_render_level_5():
    text = render_maturity(plan(RG, COMPUTE, RELEASE, NEW_DATA, MONITOR, GROUP, ALERT))
    assert text.splitlines() == [
        "Maturity: level 5 (automated operations)",
        "  + level 2 automated training: Compute workspace-training",
        "  + level 3 automated deployment: PipelineAuthorization devops-environment-environment-release",
        "  + level 4 retraining on new data: SystemTopicEventSubscription retraining-new-data-diabetes",
        "  + level 5 automated operations: Schedule monitor-diabetes-schedule, SystemTopicEventSubscription "
        "monitor-events-diabetes",
    ]


def test_render_a_claim_the_plan_does_not_prove():
    text = render_maturity(plan(RG, COMPUTE, NEW_DATA, claimed=4))
    assert text.splitlines() == [
        "Maturity: level 2 (automated training) — the stack claims level 4 (retraining on new data)",
        "  + level 2 automated training: Compute workspace-training",
        "  - level 3 automated deployment: missing",
        "  - level 4 retraining on new data: SystemTopicEventSubscription retraining-new-data-diabetes",
    ]


def test_render_shared_stack():
    assert render_maturity(plan(RG, claimed=None)).startswith("Maturity: not claimed (the shared stack")
    assert LEVELS[5] == "automated operations"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stack", "level", "evidence"),
    [
        ("dev", 2, {"2": ["workspace-training"], "3": [], "4": [], "5": []}),
        (
            "qa",
            3,
            {"2": ["workspace-training"], "3": ["devops-environment-environment-release"], "4": [], "5": []},
        ),
        (
            "prod",
            5,
            {
                "2": ["workspace-training"],
                "3": ["devops-environment-environment-release"],
                "4": ["retraining-new-data-diabetes"],
                "5": [
                    "monitor-diabetes-schedule",
                    "monitor-fraud_rules-schedule",
                    "monitor-events-diabetes",
                    "monitor-events-fraud_rules",
                ],
            },
        ),
    ],
)
def test_committed_stacks_reach_their_claimed_level(stack, level, evidence):
    t = Template.from_stack(stack)
    result = assess(t.plan)
    names = {k: [t.by_urn(u)["name"] for u in v] for k, v in result["evidence"].items() if k != "1"}
    assert (result["level"], result["claimed"], names) == (level, level, evidence)


OPERATIONS = ("mlops:monitoring:", "mlops:retraining:", "mlops:databricks:", "mlops:datafactory:")


def _operations_types(t: Template) -> collections.Counter:
    """Custom resources under the operations components, by type."""

    def under(r):
        while r is not None:
            if r["type"].startswith(OPERATIONS):
                return True
            r = t.by_urn(r["parent"]) if r["parent"] else None
        return False

    return collections.Counter(r["type"] for r in t.resources if r["custom"] and under(r))


@pytest.mark.slow
def test_dev_level_2_provisions_no_operations_resources():
    assert _operations_types(Template.from_stack("dev")) == collections.Counter()


NS = "mlops-estate"
_TRAIN = {"organizationUrl": "https://dev.azure.com/contoso", "project": "mlops-estate", "definitionId": 12}
_ALERTS = {"alertEmails": ["mlops-oncall@contoso.com"]}
PROD_AT_LEVEL = {
    2: {f"{NS}:maturityLevel": 2, f"{NS}:monitoring": _ALERTS, f"{NS}:retraining": {"enabled": False}},
    3: {f"{NS}:maturityLevel": 3, f"{NS}:monitoring": _ALERTS, f"{NS}:retraining": {"enabled": False}},
    4: {
        f"{NS}:maturityLevel": 4,
        f"{NS}:monitoring": _ALERTS,
        f"{NS}:retraining": {
            "enabled": True,
            "trainPipeline": _TRAIN,
            "models": {"diabetes": {"newData": True}},
        },
    },
    5: None,  # the committed prod stack
}
LEVEL_ADDS = {
    3: {  # the release pipeline may use the environment, its connections, variables and agents,
        # and its own stack-file writer (identity, federation, connection, checks, push rights)
        "azuredevops:index/pipelineAuthorization:PipelineAuthorization": 5,
        "azure-native:managedidentity:UserAssignedIdentity": 1,
        "azure-native:managedidentity:FederatedIdentityCredential": 1,
        "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM": 1,
        "azuredevops:index/checkApproval:CheckApproval": 1,
        "azuredevops:index/checkBranchControl:CheckBranchControl": 1,
        "azuredevops:index/servicePrincipalEntitlement:ServicePrincipalEntitlement": 1,
        "azuredevops:index/gitPermissions:GitPermissions": 2,  # push rights on main, read on the repository
    },
    4: {
        "mlops:retraining:RetrainingLoop": 1,
        "azure-native:managedidentity:UserAssignedIdentity": 1,
        "azure-native:storage:StorageAccount": 3,  # host, landing, package
        "azure-native:storage:BlobContainer": 4,  # state, releases, dead letters, one landing container
        "azure-native:storage:Queue": 4,  # two event queues and their poison queues
        # the app's identity 7 (+ a send grant on each poison queue), the landing topic's 2
        "azure-native:authorization:RoleAssignment": 11,
        "mlops:private_endpoint:PrivateEndpoint": 6,  # host blob/queue/table, landing, package, the app
        "azure-native:network:PrivateEndpoint": 6,
        "azure-native:network:PrivateDnsZoneGroup": 6,
        "azure-native:web:AppServicePlan": 1,
        "azure-native:web:WebApp": 1,
        "azure-native:web:WebAppFtpAllowed": 1,
        "azure-native:web:WebAppScmAllowed": 1,
        "azure-native:eventgrid:SystemTopic": 1,
        "azure-native:eventgrid:SystemTopicEventSubscription": 1,
        # app, plan, system topic, three accounts and their blob services
        "azure-native:monitor:DiagnosticSetting": 9,
    },
    5: {
        "mlops:monitoring:ModelMonitor": 2,
        "azure-native:machinelearningservices:Schedule": 2,
        "azure-native:monitor:ScheduledQueryRule": 2,
        "mlops:monitoring:MonitorEvents": 1,
        "azure-native:authorization:RoleAssignment": 2,  # the workspace topic: send, dead-letter
        "azure-native:eventgrid:SystemTopic": 1,
        "azure-native:eventgrid:SystemTopicEventSubscription": 2,
    },
}


@pytest.mark.slow
def test_resources_each_level_adds_to_prod_exact():
    """prod at levels 2..5 (only the maturity settings differ): what each step adds, exactly."""
    counts, levels = {}, {}
    for level, overrides in PROD_AT_LEVEL.items():
        t = Template.from_stack("prod", overrides=overrides)
        counts[level] = collections.Counter(r["type"] for r in t.resources)
        levels[level] = assess(t.plan)["level"]
    assert levels == {2: 2, 3: 3, 4: 4, 5: 5}
    for level in (3, 4, 5):
        added = counts[level] - counts[level - 1]
        removed = counts[level - 1] - counts[level]
        assert (dict(added), dict(removed)) == (LEVEL_ADDS[level], {}), f"level {level}"


def test_the_queue_names_are_the_functions_contract():
    from components.retraining import app_contract
    from infra.maturity import DRIFT_QUEUE, NEW_DATA_QUEUE

    contract, _, _ = app_contract()
    assert (NEW_DATA_QUEUE, DRIFT_QUEUE) == (contract.QUEUE_NEW_DATA, contract.QUEUE_DRIFT_EVENT)
