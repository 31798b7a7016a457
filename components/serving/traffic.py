"""Endpoint traffic as its own resource: set after the deployments exist, never fought over.

Azure refuses a traffic split that names a deployment which does not exist yet, and a
deployment needs its endpoint first. If the endpoint resource carried ``traffic``, Pulumi
would have to create the endpoint with traffic before the deployments (refused), or the
endpoint would depend on its own deployments (a cycle). So the estate orders it:

    endpoint  →  deployments (one per slot)  →  EndpointTraffic (depends on all deployments)

``EndpointTraffic`` is a Pulumi dynamic resource (type ``pulumi-python:dynamic:Resource``,
``estateKind: endpointTraffic`` in its inputs) whose provider calls azure-ai-ml:
``online_endpoints.get`` then ``begin_create_or_update`` with only ``traffic`` and
``mirror_traffic`` changed (for batch endpoints, ``defaults.deployment_name``). The endpoint
resources get ``ignore_changes`` on those properties, so the two never fight.

- **create / update**: write the wanted split; ``diff`` reports a change only when the split,
  the mirror split or the endpoint revision (a hash of the endpoint's own inputs, so the split
  is re-asserted right after any endpoint update) differs; a different endpoint is a replace.
- **delete**: set traffic and mirror traffic to ``{}`` when the endpoint still exists. Pulumi
  deletes in reverse dependency order, so this runs before the deployments go, and Azure
  refuses to delete a deployment that still takes traffic. A 404 (endpoint already gone) is
  fine. Batch endpoints keep their default: it is deleted with the endpoint.
- Updates run before deletes: when a slot is removed, traffic moves off it first.

The provider's Azure calls go through azure-ai-ml's ``MLClient`` with ``credential`` (default
``DefaultAzureCredential``: ARM_*/OIDC); ``client_factory`` can replace the client.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

KIND = "endpointTraffic"
"""The ``estateKind`` input the offline engine dispatches on."""

ENDPOINT_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.MachineLearningServices"
    r"/workspaces/(?P<ws>[^/]+)/(?P<kind>onlineEndpoints|batchEndpoints)/(?P<name>[^/]+)$",
    re.IGNORECASE,
)


class TrafficClient(Protocol):
    """What the provider needs from Azure ML (one workspace)."""

    def set_online_traffic(self, endpoint: str, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        """Set an online endpoint's traffic and mirror traffic."""

    def set_batch_default(self, endpoint: str, deployment: str) -> None:
        """Set a batch endpoint's default deployment."""

    def endpoint_exists(self, endpoint: str, kind: str) -> bool:
        """Whether the endpoint exists (``kind``: online or batch)."""


ClientFactory = Callable[[str, str, str], TrafficClient]
"""``(subscription_id, resource_group, workspace) -> TrafficClient``."""


class AzureMLTrafficClient:
    """The real client: azure-ai-ml ``MLClient`` for one workspace."""

    def __init__(
        self,
        subscription_id: str,
        resource_group: str,
        workspace: str,
        credential: TokenCredential | None = None,
    ) -> None:
        from azure.ai.ml import MLClient

        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self._ml = MLClient(credential, subscription_id, resource_group, workspace, show_progress=False)

    def set_online_traffic(self, endpoint: str, traffic: dict[str, int], mirror: dict[str, int]) -> None:
        current = self._ml.online_endpoints.get(endpoint)
        current.traffic = dict(traffic)
        current.mirror_traffic = dict(mirror)
        self._ml.online_endpoints.begin_create_or_update(current).result()

    def set_batch_default(self, endpoint: str, deployment: str) -> None:
        current = self._ml.batch_endpoints.get(endpoint)
        current.defaults.deployment_name = deployment
        self._ml.batch_endpoints.begin_create_or_update(current).result()

    def endpoint_exists(self, endpoint: str, kind: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        operations = self._ml.online_endpoints if kind == "online" else self._ml.batch_endpoints
        try:
            operations.get(endpoint)
        except ResourceNotFoundError:
            return False
        return True


def azure_ml_client(subscription_id: str, resource_group: str, workspace: str) -> TrafficClient:
    """The default :data:`ClientFactory`."""
    return AzureMLTrafficClient(subscription_id, resource_group, workspace)


def parse_endpoint_id(endpoint_id: str) -> tuple[str, str, str, str, str]:
    """``(subscription, resource group, workspace, online|batch, endpoint name)`` of an endpoint ARM id."""
    match = ENDPOINT_ID.match(endpoint_id)
    if not match:
        raise ValueError(f"not an Azure ML endpoint id: {endpoint_id!r}")
    kind = "online" if match["kind"].lower() == "onlineendpoints" else "batch"
    return match["sub"], match["rg"], match["ws"], kind, match["name"]


def _ints(value: Mapping[str, Any] | None) -> dict[str, int]:
    return {str(k): int(v) for k, v in (value or {}).items()}


class EndpointTrafficProvider(ResourceProvider):
    """Sets an endpoint's traffic split (online) or default deployment (batch) through azure-ai-ml."""

    def __init__(
        self, client_factory: ClientFactory | None = None, credential: TokenCredential | None = None
    ) -> None:
        self.client_factory = client_factory
        self.credential = credential

    def _client(self, endpoint_id: str) -> tuple[TrafficClient, str, str]:
        sub, rg, ws, kind, name = parse_endpoint_id(endpoint_id)
        factory = getattr(self, "client_factory", None)  # providers pickled by older code lack newer fields
        if factory is not None:
            return factory(sub, rg, ws), kind, name
        return AzureMLTrafficClient(sub, rg, ws, getattr(self, "credential", None)), kind, name

    def _apply(self, props: Mapping[str, Any]) -> None:
        client, kind, name = self._client(str(props["endpointId"]))
        traffic = _ints(props.get("traffic"))
        if kind == "online":
            client.set_online_traffic(name, traffic, _ints(props.get("mirrorTraffic")))
        else:
            default = [slot for slot, percent in traffic.items() if percent == 100]
            if len(default) != 1:
                raise ValueError(f"a batch endpoint needs exactly one slot with traffic 100 (got {traffic})")
            client.set_batch_default(name, default[0])

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._apply(props)
        return CreateResult(id_=f"{props['endpointId']}/traffic", outs=dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [
            key
            for key in ("traffic", "mirrorTraffic", "endpointRevision")
            if (_ints(olds.get(key)) if key != "endpointRevision" else olds.get(key))
            != (_ints(news.get(key)) if key != "endpointRevision" else news.get(key))
        ]
        replaces = ["endpointId"] if olds.get("endpointId") != news.get("endpointId") else []
        return DiffResult(
            changes=bool(changed or replaces),
            replaces=replaces,
            stables=["endpointId"] if not replaces else [],
            delete_before_replace=False,
        )

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._apply(news)
        return UpdateResult(outs=dict(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=dict(props))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        client, kind, name = self._client(str(props["endpointId"]))
        if kind != "online" or not client.endpoint_exists(name, kind):
            return
        client.set_online_traffic(name, {}, {})


class EndpointTraffic(Resource):
    """The traffic split of one endpoint, applied after its deployments exist."""

    def __init__(
        self,
        name: str,
        *,
        endpoint_id: pulumi.Input[str],
        traffic: dict[str, int],
        mirror_traffic: dict[str, int] | None = None,
        endpoint_revision: str = "",
        opts: pulumi.ResourceOptions | None = None,
        provider: ResourceProvider | None = None,
    ) -> None:
        props = {
            "estateKind": KIND,
            "endpointId": endpoint_id,
            "traffic": dict(traffic),
            "mirrorTraffic": dict(mirror_traffic or {}),
            "endpointRevision": endpoint_revision,
        }
        super().__init__(provider or EndpointTrafficProvider(), name, props, opts)
