"""ReleaseTrigger: ModelRegistered events of the workspace start the release pipeline through a
Logic App with a managed identity (no PAT, no client secret)."""

from __future__ import annotations

import pytest

from components.release_trigger import (
    AZURE_DEVOPS_RESOURCE,
    MODEL_REGISTERED,
    ReleaseTrigger,
    workflow_definition,
)
from infra.errors import ConfigError
from tests.support.template import Match, Template

WF = "azure-native:logic:Workflow"
TOPIC = "azure-native:eventgrid:SystemTopic"
SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"
DIAG = "azure-native:monitor:DiagnosticSetting"
ENTITLEMENT = "azuredevops:index/servicePrincipalEntitlement:ServicePrincipalEntitlement"
GROUP = "azuredevops:index/group:Group"
MEMBERSHIP = "azuredevops:index/groupMembership:GroupMembership"
PERMISSIONS = "azuredevops:index/buildDefinitionPermissions:BuildDefinitionPermissions"
WS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-x"
LA = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-x"
TAGS = {
    "environment": "qa",
    "workload": "mlops",
    "owner": "o@x.com",
    "costCenter": "CC-1",
    "managedBy": "pulumi",
}


def build(**extra):
    def program():
        import pulumi_azuredevops as azuredevops

        provider = azuredevops.Provider("ado", org_service_url="https://dev.azure.com/contoso")
        ReleaseTrigger(
            "release",
            {
                "resource_group_name": "rg",
                "location": "westeurope",
                "workspace_id": WS,
                "system_topic_name": "egst-mlops-mlw-qa-weu",
                "workflow_name": "logic-mlops-release-qa-weu",
                "organization_url": "https://dev.azure.com/contoso",
                "project_name": "mlops-estate",
                "project_id": "p-1",
                "release_pipeline_id": "42",
                "devops_provider": provider,
                "log_analytics_id": LA,
                "environment": "qa",
                **extra,
            },
        )

    return Template.from_function(program)


def test_defaults():
    t = build()
    assert {k: v for k, v in t.count_by_type().items() if not k.startswith("pulumi:")} == {
        "mlops:delivery:ReleaseTrigger": 1,
        WF: 1,
        TOPIC: 1,
        SUBSCRIPTION: 1,
        DIAG: 2,
        ENTITLEMENT: 1,
        GROUP: 1,
        MEMBERSHIP: 1,
        PERMISSIONS: 1,
    }
    wf = t.has_resource_properties(
        WF,
        {
            "workflowName": "logic-mlops-release-qa-weu",
            "state": "Enabled",
            "identity": {"type": "SystemAssigned"},
        },
    )
    http = wf["inputs"]["definition"]["actions"]["Route"]["cases"]["registered"]["actions"]["Run_release"][
        "actions"
    ]["Start_pipeline"]["inputs"]
    assert http["uri"] == "https://dev.azure.com/contoso/mlops-estate/_apis/pipelines/42/runs?api-version=7.1"
    assert http["authentication"] == {"type": "ManagedServiceIdentity", "audience": AZURE_DEVOPS_RESOURCE}
    assert http["body"]["resources"] == {"repositories": {"self": {"refName": "refs/heads/main"}}}
    assert set(http["body"]["templateParameters"]) == {"model", "version"}
    topic = t.has_resource_properties(
        TOPIC,
        {
            "source": WS,
            "topicType": "Microsoft.MachineLearningServices.Workspaces",
            "systemTopicName": "egst-mlops-mlw-qa-weu",
        },
    )
    sub = t.has_resource_properties(
        SUBSCRIPTION,
        {
            "systemTopicName": "egst-mlops-mlw-qa-weu",
            "eventDeliverySchema": "EventGridSchema",
            "filter": {"includedEventTypes": [MODEL_REGISTERED]},
            "retryPolicy": {"maxDeliveryAttempts": 10, "eventTimeToLiveInMinutes": 1440},
        },
    )
    assert "advancedFilters" not in sub["inputs"]["filter"]
    # the callback URL carries the workflow's SAS: the destination is a secret in the plan
    assert sub["inputs"]["destination"] == "[secret]"
    assert {d["inputs"]["resourceUri"] for d in t.find_resources(DIAG)} == {wf["id"], topic["id"]}
    t.has_resource_properties(
        ENTITLEMENT,
        {
            "origin": "aad",
            "originId": wf["outputs"]["identity"]["principalId"],
            "accountLicenseType": "express",
        },
    )
    group = t.has_resource_properties(
        GROUP, {"scope": "p-1", "displayName": "mlops-estate release trigger (qa)"}
    )
    entitlement = t.resource(ENTITLEMENT, "release-entitlement")
    t.has_resource_properties(
        MEMBERSHIP,
        {
            "group": group["outputs"]["descriptor"],
            "members": [entitlement["outputs"]["descriptor"]],
            "mode": "add",
        },
    )
    t.has_resource_properties(
        PERMISSIONS,
        {
            "projectId": "p-1",
            "buildDefinitionId": "42",
            "principal": group["id"],
            "replace": False,
            "permissions": Match.exact(
                {"ViewBuilds": "Allow", "ViewBuildDefinition": "Allow", "QueueBuilds": "Allow"}
            ),
        },
    )


def test_max_filters_to_the_served_models():
    t = build(models=["diabetes", "churn"], branch="trunk", tags=TAGS)
    t.has_resource_properties(
        SUBSCRIPTION,
        {
            "filter": {
                "advancedFilters": [
                    {"operatorType": "StringIn", "key": "data.modelName", "values": ["diabetes", "churn"]}
                ]
            }
        },
    )
    t.all_resources_properties(WF, {"tags": TAGS})
    t.all_resources_properties(TOPIC, {"tags": TAGS, "identity": {"type": "SystemAssigned"}})
    wf = t.resource(WF, "release-workflow")
    body = wf["inputs"]["definition"]["actions"]["Route"]["cases"]["registered"]["actions"]["Run_release"][
        "actions"
    ]["Start_pipeline"]["inputs"]["body"]
    assert body["resources"]["repositories"]["self"]["refName"] == "refs/heads/trunk"


def test_waf_aligned_workflow_answers_validation_and_rejects_other_events():
    definition = workflow_definition("https://dev.azure.com/contoso/", "p", "9", "main")
    route = definition["actions"]["Route"]
    assert route["expression"] == "@first(triggerBody())?['eventType']"
    assert route["cases"]["validation"]["case"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert route["cases"]["validation"]["actions"]["Validate"]["inputs"]["body"] == {
        "validationResponse": "@first(triggerBody())?['data']?['validationCode']"
    }
    assert route["cases"]["registered"]["case"] == MODEL_REGISTERED
    assert route["default"]["actions"]["Reject"]["inputs"]["statusCode"] == 400
    run = route["cases"]["registered"]["actions"]["Run_release"]
    assert run["runtimeConfiguration"] == {"concurrency": {"repetitions": 1}}
    assert (
        run["actions"]["Start_pipeline"]["inputs"]["uri"]
        == "https://dev.azure.com/contoso/p/_apis/pipelines/9/runs?api-version=7.1"
    )
    text = repr(definition).lower()
    assert "personalaccesstoken" not in text and "basic" not in text and "clientsecret" not in text


def test_waf_aligned_passes_policy():
    from infra.engine.policy_runner import evaluate

    t = build(models=["diabetes"], tags=TAGS)
    found = [v.to_json() for v in evaluate(t.resources, environment="qa", enforcement="mandatory")]
    assert {v["policy"] for v in found} == {"explicit-provider"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"workflow_name": "logic/release"},
            "ReleaseTrigger args.workflow_name: 'logic/release' must be 1-80",
        ),
        ({"system_topic_name": "eg"}, "ReleaseTrigger args.system_topic_name: 'eg' must be 3-50"),
        ({"release_pipeline_id": ""}, "ReleaseTrigger args.release_pipeline_id: is required"),
        ({"pipeline": "x"}, "ReleaseTrigger args.pipeline: is not an argument of ReleaseTrigger"),
    ],
)
def test_bad_args(extra, message):
    with pytest.raises(ConfigError) as err:
        build(**extra)
    assert message in str(err.value)
