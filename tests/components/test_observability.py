"""Observability component: defaults, max and WAF-aligned scenarios, and bad arguments."""

from __future__ import annotations

from typing import cast

import pytest

from components.observability import Observability, ObservabilityArgs
from infra.errors import ConfigError
from tests.support.template import ABSENT, Template

LA = "azure-native:operationalinsights:Workspace"
AI = "azure-native:applicationinsights:Component"
DIAG = "azure-native:monitor:DiagnosticSetting"
MINIMAL = {
    "resource_group_name": "rg-x",
    "location": "westeurope",
    "log_analytics_name": "log-x",
    "app_insights_name": "appi-x",
}


def build(**extra):
    # Tests feed untyped (also invalid) args on purpose: the component validates them.
    return Template.from_function(lambda: Observability("obs", cast(ObservabilityArgs, {**MINIMAL, **extra})))


def test_defaults():
    t = build()
    assert t.count_by_type() == {
        "mlops:observability:Observability": 1,
        "pulumi:pulumi:Stack": 1,
        LA: 1,
        AI: 1,
        DIAG: 2,
    }
    t.has_resource_properties(
        LA,
        {
            "workspaceName": "log-x",
            "retentionInDays": 30,
            "sku": {"name": "PerGB2018"},
            "features": {"disableLocalAuth": True},
            "workspaceCapping": {"dailyQuotaGb": -1},
            "publicNetworkAccessForIngestion": "Enabled",
            "publicNetworkAccessForQuery": "Enabled",
            "tags": {},
        },
    )
    la = t.resource(LA, "obs-logs")
    t.has_resource_properties(
        AI,
        {
            "resourceName": "appi-x",
            "applicationType": "web",
            "ingestionMode": "LogAnalytics",
            "workspaceResourceId": la["id"],
            "disableLocalAuth": True,
            "retentionInDays": 30,
        },
    )
    t.has_resource(LA, {"protect": False, "retainOnDelete": False})
    for diag in t.find_resources(DIAG):
        assert diag["inputs"]["workspaceId"] == la["id"]
        assert diag["inputs"]["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
        assert diag["inputs"]["metrics"] == [{"category": "AllMetrics", "enabled": True}]
    assert {d["inputs"]["resourceUri"] for d in t.find_resources(DIAG)} == {
        la["id"],
        t.resource(AI, "obs-appinsights")["id"],
    }


def test_max():
    t = build(
        retention_days=730,
        daily_quota_gb=5.0,
        public_network_access=False,
        tags={"environment": "prod"},
        lifecycle={"protect": True, "retain_on_delete": True},
    )
    t.has_resource_properties(
        LA,
        {
            "retentionInDays": 730,
            "workspaceCapping": {"dailyQuotaGb": 5},
            "publicNetworkAccessForQuery": "Disabled",
            "tags": {"environment": "prod"},
        },
    )
    t.has_resource(LA, {"protect": True, "retainOnDelete": True})
    t.has_resource(AI, {"protect": False})


def test_waf_aligned():
    t = build(retention_days=90, lifecycle={"protect": True, "retain_on_delete": True})
    t.has_resource_properties(LA, {"features": {"disableLocalAuth": True}, "retentionInDays": 90})
    t.has_resource_properties(
        AI, {"disableLocalAuth": True, "disableIpMasking": False, "instrumentationKey": ABSENT}
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"retention_days": 45}, "Observability args.retention_days: 45 is not one of 30, 60, 90"),
        (
            {"daily_quota_gb": 0},
            "Observability args.daily_quota_gb: 0 must be -1 (unlimited) or greater than 0",
        ),
        ({"log_analytics_name": ""}, "Observability args.log_analytics_name: is required"),
        ({"retention": 30}, "Observability args.retention: is not an argument of Observability"),
    ],
)
def test_bad_args_fail_at_construction(extra, message):
    with pytest.raises(Exception) as err:
        build(**extra)
    assert isinstance(err.value, ConfigError)
    assert message in str(err.value)
