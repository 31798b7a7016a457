"""The dynamic providers (endpoint traffic, serving code) against azure-ai-ml's real classes.

Only the HTTP edge is fake (:mod:`tests.support.azure_http`): the providers build a real
``MLClient``; the requests it sends (ARM, Blob storage) are answered like Azure answers them.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _deserialize

from components.serving import traffic as traffic_module
from components.serving.code_asset import ServingCodeProvider, code_folder, project_directory
from components.serving.traffic import EndpointTrafficProvider, parse_endpoint_id
from tests.support.azure_http import Call, FakeAzure, StaticToken

WS = "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1"
ONLINE = f"{WS}/onlineEndpoints/diabetes-prod"
BATCH = f"{WS}/batchEndpoints/churn-prod"
BLOB = "https://stmlws1.blob.core.windows.net"


def _workspace(call: Call, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
    return 200, {"id": WS, "name": "ws-1", "location": "westeurope", "kind": "Default", "properties": {}}, {}


class Endpoint:
    """One online endpoint with deployments blue and green, as ARM holds it."""

    def __init__(self, fake: FakeAzure, *, exists: bool = True) -> None:
        self.exists = exists
        self.properties: dict[str, Any] = {"authMode": "Key", "traffic": {"blue": 100}, "mirrorTraffic": {}}
        self.puts: list[dict[str, Any]] = []
        fake.route("GET", WS, _workspace)
        fake.route("GET", ONLINE, self.get)
        fake.route("PUT", ONLINE, self.put)
        fake.route("GET", f"{ONLINE}/deployments", self.deployments)

    def _body(self) -> dict[str, Any]:
        return {
            "id": ONLINE,
            "name": "diabetes-prod",
            "location": "westeurope",
            "identity": {"type": "SystemAssigned"},
            "properties": {**self.properties, "provisioningState": "Succeeded"},
        }

    def get(self, call: Call, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        if not self.exists:
            return 404, {"error": {"code": "ResourceNotFound", "message": "endpoint not found"}}, {}
        return 200, self._body(), {}

    def put(self, call: Call, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        body = json.loads(call.body or b"{}")
        self.puts.append(body["properties"])
        self.properties.update(body["properties"])
        return 200, self._body(), {}

    def deployments(self, call: Call, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        return 200, {"value": [self._deployment(name) for name in ("blue", "green")]}, {}

    @staticmethod
    def _deployment(name: str) -> dict[str, Any]:
        return {
            "id": f"{ONLINE}/deployments/{name}",
            "name": name,
            "location": "westeurope",
            "sku": {"name": "Default", "capacity": 1},
            "properties": {
                "endpointComputeType": "Managed",
                "model": "azureml:diabetes:1",
                "instanceType": "Standard_DS3_v2",
                "scaleSettings": {"scaleType": "Default"},
                "provisioningState": "Succeeded",
            },
        }


def _props(**kwargs: Any) -> dict[str, Any]:
    props = {
        "estateKind": "endpointTraffic",
        "endpointId": ONLINE,
        "traffic": {"blue": 90, "green": 10},
        "mirrorTraffic": {},
        "endpointRevision": "r1",
    }
    props.update(kwargs)
    return props


def test_create_puts_the_split_on_the_endpoint(monkeypatch) -> None:
    fake = FakeAzure().install(monkeypatch)
    endpoint = Endpoint(fake)
    result = EndpointTrafficProvider(credential=StaticToken()).create(_props(mirrorTraffic={"green": 5}))
    assert result.id == f"{ONLINE}/traffic"
    assert result.outs is not None
    assert result.outs["traffic"] == {"blue": 90, "green": 10}
    assert [p["traffic"] for p in endpoint.puts] == [{"blue": 90, "green": 10}]
    assert endpoint.puts[0]["mirrorTraffic"] == {"green": 5}
    assert endpoint.puts[0]["authMode"] == "Key"  # the rest of the endpoint is sent back unchanged
    assert all(c.url.startswith("https://management.azure.com/") for c in fake.calls)


def test_update_moves_traffic(monkeypatch) -> None:
    fake = FakeAzure().install(monkeypatch)
    endpoint = Endpoint(fake)
    provider = EndpointTrafficProvider(credential=StaticToken())
    provider.update(f"{ONLINE}/traffic", _props(), _props(traffic={"blue": 0, "green": 100}))
    assert endpoint.properties["traffic"] == {"green": 100}  # azure-ai-ml sends no 0 % entries
    assert len(endpoint.puts) == 1


def test_delete_clears_traffic_on_an_existing_endpoint(monkeypatch) -> None:
    fake = FakeAzure().install(monkeypatch)
    endpoint = Endpoint(fake)
    EndpointTrafficProvider(credential=StaticToken()).delete(f"{ONLINE}/traffic", _props())
    assert [(p["traffic"], p["mirrorTraffic"]) for p in endpoint.puts] == [({}, {})]


def test_delete_of_a_gone_endpoint_changes_nothing(monkeypatch) -> None:
    fake = FakeAzure().install(monkeypatch)
    endpoint = Endpoint(fake, exists=False)
    EndpointTrafficProvider(credential=StaticToken()).delete(f"{ONLINE}/traffic", _props())
    assert endpoint.puts == []
    assert fake.seen("PUT") == []


def test_delete_of_batch_traffic_calls_nothing(monkeypatch) -> None:
    fake = FakeAzure().install(monkeypatch)
    EndpointTrafficProvider(credential=StaticToken()).delete(f"{BATCH}/traffic", _props(endpointId=BATCH))
    assert fake.calls == []


def test_diff_reports_split_mirror_and_revision_changes_and_endpoint_replaces() -> None:
    provider = EndpointTrafficProvider()
    assert provider.diff("id", _props(), _props()).changes is False
    assert provider.diff("id", _props(), _props(traffic={"blue": 100})).changes is True
    assert provider.diff("id", _props(), _props(endpointRevision="r2")).changes is True
    moved = provider.diff("id", _props(), _props(endpointId=f"{WS}/onlineEndpoints/other"))
    assert moved.changes is True and moved.replaces == ["endpointId"]


def test_parse_endpoint_id() -> None:
    assert parse_endpoint_id(ONLINE) == ("sub-1", "rg-1", "ws-1", "online", "diabetes-prod")
    assert parse_endpoint_id(BATCH) == ("sub-1", "rg-1", "ws-1", "batch", "churn-prod")
    with pytest.raises(ValueError, match="not an Azure ML endpoint id"):
        parse_endpoint_id(WS)


def test_a_provider_pickled_under_the_old_module_path_still_deletes(monkeypatch) -> None:
    """State written before the move names ``model_assets.traffic``: it must unpickle (the shim
    aliases the new module) and its delete must run."""
    provider = EndpointTrafficProvider(credential=StaticToken())
    monkeypatch.setattr(EndpointTrafficProvider, "__module__", "model_assets.traffic")
    serialized = serialize_provider(provider)  # what pulumi.dynamic stores in the state
    monkeypatch.undo()
    raw = base64.b64decode(serialized)
    assert b"model_assets.traffic" in raw and b"components.serving" not in raw
    loaded = _deserialize(lambda: dill.loads(raw))  # what the provider process does
    assert type(loaded) is traffic_module.EndpointTrafficProvider
    fake = FakeAzure().install(monkeypatch)
    endpoint = Endpoint(fake)
    loaded.delete(f"{ONLINE}/traffic", _props())
    assert [p["traffic"] for p in endpoint.puts] == [{}]


# -- serving code ------------------------------------------------------------------------------


class Workspace:
    """The ARM and Blob storage side of a workspace code upload."""

    def __init__(self, fake: FakeAzure) -> None:
        self.blobs: dict[str, bytes] = {}
        self.versions: list[dict[str, Any]] = []
        fake.route("GET", WS, _workspace)
        fake.route("GET", rf"{WS}/codes/(?P<name>[^/]+)/versions", lambda c, m: (200, {"value": []}, {}))
        fake.route(
            "POST", rf"{WS}/codes/(?P<name>[^/]+)/versions/(?P<v>[^/]+)/startPendingUpload", self.pending
        )
        fake.route("PUT", rf"{WS}/codes/(?P<name>[^/]+)/versions/(?P<v>[^/]+)", self.put_version)
        fake.route("GET", r"/upload-[^/]+(/.*)?", self.get_blob)
        fake.route("HEAD", r"/upload-[^/]+(/.*)?", self.get_blob)
        fake.route("PUT", r"/upload-[^/]+(/.*)?", self.put_blob)

    def pending(self, call: Call, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        folder = f"{BLOB}/upload-{match['v']}"  # a temporary container per pending upload
        return (
            200,
            {
                "blobReferenceForConsumption": {
                    "blobUri": folder,
                    "storageAccountArmId": "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/stmlws1",
                    "credential": {"credentialType": "SAS", "sasUri": f"{folder}?sv=2021&sig=fake"},
                },
                "pendingUploadId": match["v"],
                "pendingUploadType": "TemporaryBlobReference",
            },
            {},
        )

    def get_blob(self, call: Call, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        if "comp=list" in call.url:
            body = b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs /><NextMarker /></EnumerationResults>'
            return 200, body, {"Content-Type": "application/xml"}
        return 404, b"", {"x-ms-error-code": "BlobNotFound"}

    def put_blob(self, call: Call, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        headers = {"ETag": '"0x1"', "Last-Modified": "Thu, 03 Dec 2026 20:00:00 GMT"}
        if "comp=metadata" in call.url:
            return 200, b"", headers
        self.blobs[call.path] = call.body or b""
        return 201, b"", headers

    def put_version(self, call: Call, match: re.Match[str]) -> tuple[int, Any, dict[str, str]]:
        body = json.loads(call.body or b"{}")
        self.versions.append(body["properties"])
        version_id = f"{WS}/codes/{match['name']}/versions/{match['v']}"
        return 200, {"id": version_id, "name": match["v"], "properties": body["properties"]}, {}


def _code_props(**kwargs: Any) -> dict[str, Any]:
    props = {
        "estateKind": "servingCode",
        "workspaceId": WS,
        "name": "diabetes-scoring",
        "version": "abc",
        "path": "model_assets/diabetes/src",
    }
    props.update(kwargs)
    return props


def test_serving_code_uploads_the_folder_and_registers_the_version(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # the folder resolves against the project, not the working directory
    fake = FakeAzure().install(monkeypatch)
    workspace = Workspace(fake)
    result = ServingCodeProvider(credential=StaticToken()).create(_code_props())
    assert result.id == f"{WS}/codes/diabetes-scoring/versions/abc"
    assert result.outs is not None and result.outs["assetId"] == result.id
    folder = code_folder("model_assets/diabetes/src")
    expected = sorted(p.name for p in folder.rglob("*") if p.is_file())
    uploaded = sorted(path.rsplit("/", 1)[1] for path in workspace.blobs)
    assert uploaded == expected
    assert len(workspace.versions) == 1
    assert workspace.versions[0]["codeUri"].startswith(f"{BLOB}/upload-abc")


def test_serving_code_diff_and_delete_keep_immutable_versions(monkeypatch) -> None:
    fake = FakeAzure().install(monkeypatch)
    provider = ServingCodeProvider(credential=StaticToken())
    props = _code_props()
    assert provider.diff("id", props, dict(props)).changes is False
    bumped = provider.diff("id", props, {**props, "version": "def"})
    assert bumped.changes is True and bumped.replaces == ["version"]
    provider.delete("id", props)
    assert fake.calls == []  # code versions stay: older deployments and rollbacks use them


def test_code_folder_resolves_against_the_project_directory(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        code_folder("model_assets/diabetes/src") == project_directory() / "model_assets" / "diabetes" / "src"
    )
    assert (project_directory() / "Pulumi.yaml").is_file()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        code_folder("model_assets/nothing-here")
