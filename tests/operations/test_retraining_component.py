"""RetrainingLoop: defaults, max (every trigger, private), WAF-aligned shape, queue delivery, bad arguments."""

from __future__ import annotations

import json
from typing import cast

import pytest

from components.retraining import RetrainingLoop, app_contract
from components.retraining.component import RetrainingLoopArgs
from infra.errors import ConfigError
from tests.support.template import Match, Template

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-x/providers"
SUBNET = f"{SUB}/Microsoft.Network/virtualNetworks/vnet-x/subnets/snet-functions"
AGENTS = f"{SUB}/Microsoft.Network/virtualNetworks/vnet-x/subnets/snet-agents"
PE_SUBNET = f"{SUB}/Microsoft.Network/virtualNetworks/vnet-x/subnets/snet-pe"
LA = f"{SUB}/Microsoft.OperationalInsights/workspaces/log-x"
AI = f"{SUB}/Microsoft.Insights/components/appi-x"
ZONES = {
    z: f"{SUB}/Microsoft.Network/privateDnsZones/{z}"
    for z in (
        "privatelink.blob.core.windows.net",
        "privatelink.queue.core.windows.net",
        "privatelink.table.core.windows.net",
        "privatelink.azurewebsites.net",
    )
}
NAMES = {
    "plan": "asp-x",
    "app": "func-x",
    "host_storage": "stfnx",
    "landing_storage": "stlandx",
    "package_storage": "stpkgx",
    "identity": "id-x",
    "system_topic": "egst-x",
}
MINIMAL = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "environment": "dev",
    "names": NAMES,
    "models": {"diabetes": {"schedule": "0 0 2 * * 1"}},
    "train_pipeline": {
        "organization_url": "https://dev.azure.com/contoso",
        "project": "mlops",
        "definition_id": 7,
    },
    "functions_subnet_id": SUBNET,
    "log_analytics_id": LA,
    "app_insights_id": AI,
    "app_insights_connection_string": "InstrumentationKey=abc;IngestionEndpoint=https://x/",
}
MAX = {
    **MINIMAL,
    "environment": "prod",
    "models": {
        "diabetes": {"schedule": "0 0 2 * * 1", "new_data": True, "drift": True},
        "churn_byom": {"new_data": True, "landing_prefix": "incoming/"},
    },
    "cooldown_minutes": 720,
    "private_endpoints": True,
    "private_endpoint_subnet_id": PE_SUBNET,
    "private_dns_zone_ids": ZONES,
    "scm_subnet_id": AGENTS,
    "storage_sku": "Standard_ZRS",
    "max_instances": 5,
    "tags": {"environment": "prod"},
    "lifecycle": {"protect": True, "retain_on_delete": True},
}
APP = "azure-native:web:WebApp"
ROLE = "azure-native:authorization:RoleAssignment"
SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"
QUEUE = "azure-native:storage:Queue"
ROLE_IDS = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
    "Storage Queue Data Message Processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    "Storage Queue Data Message Sender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}

_cache: dict[str, Template] = {}


def build(kind: str, **extra: object) -> Template:
    args = cast("RetrainingLoopArgs", {**(MINIMAL if kind == "min" else MAX), **extra})
    if extra:
        return Template.from_function(lambda: RetrainingLoop("retraining", args))
    if kind not in _cache:
        _cache[kind] = Template.from_function(lambda: RetrainingLoop("retraining", args))
    return _cache[kind]


def settings_of(t: Template) -> dict[str, str]:
    return {
        s["name"]: s["value"]
        for s in t.resource(APP, "retraining-app")["inputs"]["siteConfig"]["appSettings"]
    }


def test_defaults_counts_and_settings():
    t = build("min")
    assert t.count_by_type() == {
        "pulumi:pulumi:Stack": 1,
        "mlops:retraining:RetrainingLoop": 1,
        "azure-native:managedidentity:UserAssignedIdentity": 1,
        "azure-native:storage:StorageAccount": 3,
        # state, releases, dead letters
        "azure-native:storage:BlobContainer": 3,
        # two event queues and their poison queues
        QUEUE: 4,
        # seven for the app's identity, its send grant on each poison queue
        ROLE: 9,
        "azure-native:web:AppServicePlan": 1,
        APP: 1,
        "azure-native:web:WebAppFtpAllowed": 1,
        "azure-native:web:WebAppScmAllowed": 1,
        # app, plan, three accounts (metrics) and their blob services (data-plane logs)
        "azure-native:monitor:DiagnosticSetting": 8,
    }
    identity = t.resource("azure-native:managedidentity:UserAssignedIdentity", "retraining-identity")
    client_id = identity["outputs"]["clientId"]
    host = t.resource("azure-native:storage:StorageAccount", "retraining-host-storage")
    assert settings_of(t) == {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "FUNCTIONS_EXTENSION_VERSION": "~4",
        "AzureWebJobsStorage__accountName": "stfnx",
        "AzureWebJobsStorage__credential": "managedidentity",
        "AzureWebJobsStorage__clientId": client_id,
        "AZURE_CLIENT_ID": client_id,
        "RetrainEvents__queueServiceUri": "https://stfnx.queue.core.windows.net/",
        "RetrainEvents__credential": "managedidentity",
        "RetrainEvents__clientId": client_id,
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=abc;IngestionEndpoint=https://x/",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": f"ClientId={client_id};Authorization=AAD",
        "WEBSITE_RUN_FROM_PACKAGE": "https://stpkgx.blob.core.windows.net/function-releases/retrain.zip",
        "WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID": identity["id"],
        "RETRAIN_MODELS": '{"diabetes":{"cooldownMinutes":1440,"triggers":{"drift":false,"newData":null,'
        '"schedule":"0 0 2 * * 1"}}}',
        "RETRAIN_STATE_ACCOUNT_URL": "https://stfnx.blob.core.windows.net/",
        "RETRAIN_STATE_CONTAINER": "retrain-state",
        "ADO_ORGANIZATION_URL": "https://dev.azure.com/contoso",
        "ADO_PROJECT": "mlops",
        "ADO_TRAIN_PIPELINE_ID": "7",
        "ENVIRONMENT": "dev",
    }
    assert host["inputs"]["networkRuleSet"]["virtualNetworkRules"] == [
        {"virtualNetworkResourceId": SUBNET, "action": "Allow"}
    ]
    assert host["inputs"]["publicNetworkAccess"] == "Enabled"
    for account in ("host", "landing", "package"):
        account_id = t.resource("azure-native:storage:StorageAccount", f"retraining-{account}-storage")["id"]
        t.has_resource_properties(
            "azure-native:monitor:DiagnosticSetting",
            {
                "resourceUri": f"{account_id}/blobServices/default",
                "logs": [{"categoryGroup": "allLogs", "enabled": True}],
            },
        )
    plan = t.resource("azure-native:web:AppServicePlan", "retraining-plan")["inputs"]
    assert (plan["zoneRedundant"], plan["sku"]) == (False, {"name": "EP1", "tier": "ElasticPremium"})
    site = t.resource(APP, "retraining-app")["inputs"]
    assert (site["publicNetworkAccess"], site["siteConfig"]["ipSecurityRestrictions"]) == ("Disabled", [])
    assert site["siteConfig"]["healthCheckPath"] == "/api/health"
    assert site["siteConfig"]["functionsRuntimeScaleMonitoringEnabled"] is True
    assert sorted(q["inputs"]["queueName"] for q in t.find_resources(QUEUE)) == [
        "retrain-drift-event",
        "retrain-drift-event-poison",
        "retrain-new-data",
        "retrain-new-data-poison",
    ]
    assert {q["inputs"]["accountName"] for q in t.find_resources(QUEUE)} == {"stfnx"}


def test_health_check_can_be_turned_off():
    site = build("min", health_check=False).resource(APP, "retraining-app")["inputs"]
    assert "healthCheckPath" not in site["siteConfig"]


def test_the_app_cannot_rewrite_its_own_package():
    t = build("min")
    package = t.resource("azure-native:storage:StorageAccount", "retraining-package-storage")["id"]
    releases = t.resource("azure-native:storage:BlobContainer", "retraining-releases")
    assert releases["inputs"]["accountName"] == "stpkgx"
    on_package = [r for r in t.find_resources(ROLE) if r["inputs"]["scope"].startswith(package)]
    assert [r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1] for r in on_package] == [
        ROLE_IDS["Storage Blob Data Reader"]
    ]


def test_zone_redundant_plan_keeps_three_instances():
    t = build("min", zone_redundant=True)
    plan = t.resource("azure-native:web:AppServicePlan", "retraining-plan")["inputs"]
    assert (plan["zoneRedundant"], plan["sku"]["capacity"]) == (True, 3)
    app = t.resource(APP, "retraining-app")["inputs"]
    assert app["siteConfig"]["minimumElasticInstanceCount"] == 3
    with pytest.raises(ConfigError, match="max_instances: 2 is below 3"):
        build("min", zone_redundant=True, max_instances=2)


def test_app_settings_satisfy_the_apps_own_loader():
    """The settings the component writes are exactly what ``retrain.settings.load_settings`` accepts."""
    _, app_settings, _ = app_contract()
    loaded = app_settings.load_settings(settings_of(build("max")))
    assert sorted(loaded.models) == ["churn_byom", "diabetes"]
    assert loaded.models["churn_byom"].new_data.container == "landing-churn-byom"
    assert loaded.models["churn_byom"].new_data.prefix == "incoming/"
    assert loaded.models["diabetes"].drift and loaded.ado_pipeline_id == 7 and loaded.environment == "prod"


def test_roles_name_each_scope():
    t = build("min")
    host = t.resource("azure-native:storage:StorageAccount", "retraining-host-storage")["id"]
    state = t.resource("azure-native:storage:BlobContainer", "retraining-state")["id"]
    releases = t.resource("azure-native:storage:BlobContainer", "retraining-releases")["id"]
    principal = t.resource("azure-native:managedidentity:UserAssignedIdentity", "retraining-identity")[
        "outputs"
    ]["principalId"]
    queue = {q["inputs"]["queueName"]: q["id"] for q in t.find_resources(QUEUE)}
    got = {
        (r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1], r["inputs"]["scope"])
        for r in t.find_resources(ROLE)
    }
    assert got == {
        (ROLE_IDS["Storage Blob Data Owner"], host),
        (ROLE_IDS["Storage Queue Data Reader"], host),
        (ROLE_IDS["Storage Queue Data Message Processor"], host),
        (ROLE_IDS["Storage Queue Data Message Sender"], queue["retrain-new-data-poison"]),
        (ROLE_IDS["Storage Queue Data Message Sender"], queue["retrain-drift-event-poison"]),
        (ROLE_IDS["Storage Table Data Contributor"], host),
        (ROLE_IDS["Storage Blob Data Contributor"], state),
        (ROLE_IDS["Storage Blob Data Reader"], releases),
        (ROLE_IDS["Monitoring Metrics Publisher"], AI),
    }
    for role in t.find_resources(ROLE):
        assert (
            role["inputs"]["principalId"] == principal
            and role["inputs"]["principalType"] == "ServicePrincipal"
        )
        subscription = "/".join(role["inputs"]["scope"].split("/")[:3])
        assert role["inputs"]["roleDefinitionId"].startswith(
            f"{subscription}/providers/Microsoft.Authorization/roleDefinitions/"
        )


def test_waf_aligned_app_and_storage():
    t = build("max")
    t.has_resource_properties(
        APP,
        {
            "kind": "functionapp,linux",
            "httpsOnly": True,
            "clientCertEnabled": False,
            "publicNetworkAccess": "Disabled",
            "virtualNetworkSubnetId": SUBNET,
            "outboundVnetRouting": {"allTraffic": True},
            "identity": {"type": "UserAssigned"},
            "siteConfig": {
                "linuxFxVersion": "Python|3.11",
                "minTlsVersion": "1.2",
                "scmMinTlsVersion": "1.2",
                "ftpsState": "Disabled",
                "remoteDebuggingEnabled": False,
                "vnetRouteAllEnabled": True,
                "http20Enabled": True,
                "ipSecurityRestrictionsDefaultAction": "Deny",
                "scmIpSecurityRestrictionsDefaultAction": "Deny",
                "scmIpSecurityRestrictionsUseMain": False,
                "functionAppScaleLimit": 5,
                "minimumElasticInstanceCount": 1,
                "ipSecurityRestrictions": Match.exact([]),
                "healthCheckPath": "/api/health",
                "scmIpSecurityRestrictions": [
                    {"name": "agents", "action": "Allow", "vnetSubnetResourceId": AGENTS}
                ],
            },
        },
    )
    t.has_resource_properties(
        "azure-native:web:AppServicePlan",
        {
            "sku": {"name": "EP1", "tier": "ElasticPremium"},
            "kind": "elastic",
            "reserved": True,
            "maximumElasticWorkerCount": 5,
        },
    )
    t.all_resources_properties(
        "azure-native:storage:StorageAccount",
        {
            "allowSharedKeyAccess": False,
            "allowBlobPublicAccess": False,
            "enableHttpsTrafficOnly": True,
            "minimumTlsVersion": "TLS1_2",
            "defaultToOAuthAuthentication": True,
            "networkRuleSet": {"defaultAction": "Deny", "virtualNetworkRules": []},
            "encryption": {"requireInfrastructureEncryption": True},
            "sku": {"name": "Standard_ZRS"},
        },
    )
    access = {
        a["name"]: (a["inputs"]["publicNetworkAccess"], a["inputs"]["networkRuleSet"]["bypass"])
        for a in t.find_resources("azure-native:storage:StorageAccount")
    }
    # Event Grid reaches the host account's queues only through the trusted-services exception.
    assert access == {
        "retraining-host-storage": ("Enabled", "AzureServices"),
        "retraining-landing-storage": ("Disabled", "AzureServices"),
        "retraining-package-storage": ("Disabled", "AzureServices"),
    }
    t.has_resource("azure-native:storage:StorageAccount", {"protect": True, "retainOnDelete": True})
    ftp = t.resource("azure-native:web:WebAppFtpAllowed", "retraining-ftp-disabled")
    scm = t.resource("azure-native:web:WebAppScmAllowed", "retraining-scm-basic-auth-disabled")
    assert ftp["inputs"]["allow"] is False and scm["inputs"]["allow"] is False


def test_max_private_endpoints_and_triggers():
    t = build("max")
    counts = t.count_by_type()
    assert counts["mlops:private_endpoint:PrivateEndpoint"] == 6
    assert counts["azure-native:network:PrivateEndpoint"] == 6
    assert counts["azure-native:network:PrivateDnsZoneGroup"] == 6
    groups = sorted(
        pe["inputs"]["privateLinkServiceConnections"][0]["groupIds"][0] + "@" + pe["name"].split("-")[1]
        for pe in t.find_resources("azure-native:network:PrivateEndpoint")
    )
    assert groups == ["blob@host", "blob@landing", "blob@package", "queue@host", "sites@app", "table@host"]
    app_id = t.resource(APP, "retraining-app")["id"]
    sites = t.resource("azure-native:network:PrivateEndpoint", "retraining-app-sites-pe")["inputs"]
    assert (
        sites["privateLinkServiceConnections"][0]["privateLinkServiceId"],
        sites["customNetworkInterfaceName"],
    ) == (
        app_id,
        "pe-func-x-nic",
    )
    # state, releases, dead letters, two landing containers
    assert counts["azure-native:storage:BlobContainer"] == 5
    assert counts[SUBSCRIPTION] == 2 and counts["azure-native:eventgrid:SystemTopic"] == 1
    assert "azure-native:monitor:ActionGroup" not in counts
    host = t.resource("azure-native:storage:StorageAccount", "retraining-host-storage")["id"]
    landing = t.resource("azure-native:storage:StorageAccount", "retraining-landing-storage")["id"]
    topic = t.resource("azure-native:eventgrid:SystemTopic", "retraining-landing-events")
    assert topic["inputs"]["source"] == landing and topic["inputs"]["identity"] == {"type": "SystemAssigned"}
    churn = t.resource(SUBSCRIPTION, "retraining-new-data-churn_byom")["inputs"]
    assert "destination" not in churn and "deadLetterDestination" not in churn
    assert churn["deliveryWithResourceIdentity"] == {
        "identity": {"type": "SystemAssigned"},
        "destination": {
            "endpointType": "StorageQueue",
            "resourceId": host,
            "queueName": "retrain-new-data",
            "queueMessageTimeToLiveInSeconds": 604800,
        },
    }
    assert churn["deadLetterWithResourceIdentity"] == {
        "identity": {"type": "SystemAssigned"},
        "deadLetterDestination": {
            "endpointType": "StorageBlob",
            "resourceId": host,
            "blobContainerName": "retrain-deadletter",
        },
    }
    assert churn["filter"] == {
        "includedEventTypes": ["Microsoft.Storage.BlobCreated"],
        "subjectBeginsWith": "/blobServices/default/containers/landing-churn-byom/blobs/incoming/",
        "isSubjectCaseSensitive": False,  # the SDK's default, stated by the typed filter
    }
    assert (churn["eventDeliverySchema"], churn["retryPolicy"]["maxDeliveryAttempts"]) == (
        "EventGridSchema",
        30,
    )
    # The topic's identity may add messages to its queue and write dead letters, nothing more.
    queue = t.resource(QUEUE, "retraining-queue-retrain-new-data")["id"]
    dead = t.resource("azure-native:storage:BlobContainer", "retraining-dead-letter")["id"]
    principal = topic["outputs"]["identity"]["principalId"]
    grants = sorted(
        (r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1], r["inputs"]["scope"])
        for r in t.find_resources(ROLE)
        if r["inputs"]["principalId"] == principal
    )
    assert grants == sorted(
        [
            (ROLE_IDS["Storage Queue Data Message Sender"], queue),
            (ROLE_IDS["Storage Blob Data Contributor"], dead),
        ]
    )
    # app, plan, three storage accounts and their blob services, system topic
    assert counts["azure-native:monitor:DiagnosticSetting"] == 9


def test_storage_endpoints_moved_into_private_endpoint_keep_their_resources():
    t = build("max")
    loop = t.resource("mlops:retraining:RetrainingLoop", "retraining")["urn"]
    for kind in ("azure-native:network:PrivateEndpoint", "azure-native:network:PrivateDnsZoneGroup"):
        for resource in t.find_resources(kind):
            moved = resource["name"].startswith(
                ("retraining-host-", "retraining-landing-", "retraining-package-")
            )
            assert (f"name=|type=|parent={loop}" in resource["aliases"]) is moved, resource["name"]
    host_blob = t.resource("azure-native:network:PrivateEndpoint", "retraining-host-blob-pe")["inputs"]
    assert "customNetworkInterfaceName" not in host_blob  # Azure's NIC name: renaming would replace
    assert host_blob["privateEndpointName"] == "pe-stfnx-blob"


def test_no_new_data_no_topic():
    counts = build("min").count_by_type()
    assert "azure-native:monitor:ActionGroup" not in counts
    assert "azure-native:eventgrid:SystemTopic" not in counts and SUBSCRIPTION not in counts


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"models": {}}, "RetrainingLoop args.models: must name at least one model"),
        ({"models": {"m": {}}}, "RetrainingLoop args.models.m: turns on no trigger"),
        ({"models": {"m": {"schedule": "0 0 2 * *"}}}, "RETRAIN_MODELS.m.triggers.schedule"),
        (
            {"models": {"m": {"drift": True, "landing_prefix": "x/"}}},
            "models.m.landing_prefix: only applies with new_data",
        ),
        (
            {"environment": "staging"},
            "RetrainingLoop args.environment: 'staging' is not one of dev, qa, prod",
        ),
        ({"names": {**NAMES, "app": ""}}, "RetrainingLoop args.names.app: is required"),
        ({"max_instances": 0}, "RetrainingLoop args.max_instances: 0 is not between 1 and 20"),
        ({"private_endpoints": True}, "RetrainingLoop args.private_endpoint_subnet_id: is required"),
        (
            {"private_endpoints": True, "private_endpoint_subnet_id": PE_SUBNET, "private_dns_zone_ids": {}},
            "has no 'privatelink.blob.core.windows.net'",
        ),
        ({"colour": "blue"}, "RetrainingLoop args.colour: is not an argument of RetrainingLoop"),
    ],
)
def test_bad_arguments(change, needle):
    with pytest.raises(ConfigError) as caught:
        Template.from_function(
            lambda: RetrainingLoop("retraining", cast("RetrainingLoopArgs", {**MINIMAL, **change}))
        )
    assert needle in str(caught.value)


def test_bad_schedule_is_the_apps_own_error():
    with pytest.raises(ConfigError) as caught:
        Template.from_function(
            lambda: RetrainingLoop(
                "retraining",
                cast("RetrainingLoopArgs", {**MINIMAL, "models": {"m": {"schedule": "0 0 25 * * *"}}}),
            )
        )
    assert caught.value.key == "RETRAIN_MODELS.m.triggers.schedule"
    assert "is not a valid NCRONTAB expression" in caught.value.detail
    assert json.loads(json.dumps(caught.value.detail))  # one plain message, no traceback text
