"""The dynamic providers (endpoint traffic, serving code) against fake Azure ML clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.serving.code_asset import ServingCodeProvider
from components.serving.traffic import EndpointTrafficProvider, parse_endpoint_id

WS = "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1"
ONLINE = f"{WS}/onlineEndpoints/diabetes-prod"
BATCH = f"{WS}/batchEndpoints/churn-prod"


class FakeAzureML:
    """Records calls; holds endpoints' traffic like the service does."""

    def __init__(self, endpoints: dict[str, dict] | None = None) -> None:
        self.endpoints = endpoints if endpoints is not None else {"diabetes-prod": {}, "churn-prod": {}}
        self.calls: list[tuple] = []
        self.workspaces: list[tuple[str, str, str]] = []

    def factory(self, sub: str, rg: str, ws: str) -> FakeAzureML:
        self.workspaces.append((sub, rg, ws))
        return self

    def set_online_traffic(self, endpoint: str, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        self.calls.append(("traffic", endpoint, traffic, mirror))
        self.endpoints[endpoint] = {"traffic": traffic, "mirror": mirror}

    def set_batch_default(self, endpoint: str, deployment: str) -> None:
        self.calls.append(("default", endpoint, deployment))

    def endpoint_exists(self, endpoint: str, kind: str) -> bool:
        self.calls.append(("exists", endpoint, kind))
        return endpoint in self.endpoints


def _props(**kwargs) -> dict:
    props = {
        "estateKind": "endpointTraffic",
        "endpointId": ONLINE,
        "traffic": {"blue": 90, "green": 10},
        "mirrorTraffic": {},
        "endpointRevision": "r1",
    }
    props.update(kwargs)
    return props


def test_create_sets_traffic_and_mirror_after_deployments() -> None:
    fake = FakeAzureML()
    result = EndpointTrafficProvider(fake.factory).create(_props(mirrorTraffic={"green": 0}))
    assert result.id == f"{ONLINE}/traffic"
    assert result.outs["traffic"] == {"blue": 90, "green": 10}
    assert fake.workspaces == [("sub-1", "rg-1", "ws-1")]
    assert fake.calls == [("traffic", "diabetes-prod", {"blue": 90, "green": 10}, {"green": 0})]


def test_update_writes_the_new_split() -> None:
    fake = FakeAzureML()
    result = EndpointTrafficProvider(fake.factory).update(
        "id", _props(), _props(traffic={"blue": 50, "green": 50}, mirrorTraffic={})
    )
    assert result.outs["traffic"] == {"blue": 50, "green": 50}
    assert fake.calls == [("traffic", "diabetes-prod", {"blue": 50, "green": 50}, {})]


def test_diff_reports_only_traffic_changes() -> None:
    provider = EndpointTrafficProvider(FakeAzureML().factory)
    same = provider.diff("id", _props(), _props(traffic={"green": 10, "blue": 90}))
    assert same.changes is False and same.replaces == []
    shifted = provider.diff("id", _props(), _props(traffic={"blue": 80, "green": 20}))
    assert shifted.changes is True and shifted.replaces == []
    mirrored = provider.diff("id", _props(), _props(mirrorTraffic={"green": 10}))
    assert mirrored.changes is True and mirrored.replaces == []
    revised = provider.diff("id", _props(), _props(endpointRevision="r2"))
    assert revised.changes is True and revised.replaces == []
    moved = provider.diff("id", _props(), _props(endpointId=ONLINE.replace("diabetes-prod", "other")))
    assert moved.changes is True and moved.replaces == ["endpointId"]


def test_delete_zeroes_the_split_before_deployments_go() -> None:
    fake = FakeAzureML()
    EndpointTrafficProvider(fake.factory).delete("id", _props())
    assert fake.calls == [("exists", "diabetes-prod", "online"), ("traffic", "diabetes-prod", {}, {})]


def test_delete_of_a_gone_endpoint_does_nothing() -> None:
    fake = FakeAzureML(endpoints={})
    EndpointTrafficProvider(fake.factory).delete("id", _props())
    assert fake.calls == [("exists", "diabetes-prod", "online")]


def test_batch_endpoint_gets_its_default_deployment() -> None:
    fake = FakeAzureML()
    provider = EndpointTrafficProvider(fake.factory)
    provider.create(_props(endpointId=BATCH, traffic={"blue": 100, "green": 0}))
    provider.delete("id", _props(endpointId=BATCH, traffic={"blue": 100, "green": 0}))
    assert fake.calls == [("default", "churn-prod", "blue")]
    with pytest.raises(ValueError, match="exactly one slot with traffic 100"):
        provider.create(_props(endpointId=BATCH, traffic={"blue": 50, "green": 50}))


def test_parse_endpoint_id() -> None:
    assert parse_endpoint_id(ONLINE) == ("sub-1", "rg-1", "ws-1", "online", "diabetes-prod")
    assert parse_endpoint_id(BATCH) == ("sub-1", "rg-1", "ws-1", "batch", "churn-prod")
    with pytest.raises(ValueError, match="not an Azure ML endpoint id"):
        parse_endpoint_id(WS)


def test_serving_code_uploads_once_per_content_version() -> None:
    uploads: list[tuple] = []
    provider = ServingCodeProvider(lambda *args: uploads.append(args))
    props = {
        "estateKind": "servingCode",
        "workspaceId": WS,
        "name": "diabetes-scoring",
        "version": "abc",
        "path": "model_assets/diabetes/src",
    }
    result = provider.create(props)
    assert result.id == f"{WS}/codes/diabetes-scoring/versions/abc"
    assert result.outs["assetId"] == result.id
    assert uploads == [
        ("sub-1", "rg-1", "ws-1", "diabetes-scoring", "abc", Path("model_assets/diabetes/src"))
    ]
    assert provider.diff(result.id, props, dict(props)).changes is False
    bumped = provider.diff(result.id, props, {**props, "version": "def"})
    assert bumped.changes is True and bumped.replaces == ["version"]
    assert provider.delete(result.id, props) is None and len(uploads) == 1  # immutable assets stay
