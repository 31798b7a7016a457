"""The timed dependency graph of a plan.

Nodes are the plan's custom resources other than providers (components and providers take no
time, so they are not nodes). Edges:

- ``data`` / ``no-data``: an entry of ``dependencies``; a component there stands for every
  custom resource under it (the SDK waits for all of them); ``data`` when the dependent's
  inputs use a value of the dependency (:mod:`infra.timeline.datause`), else ``no-data``;
- ``parent``: a custom parent (its URN resolves only once it is created);
- ``azure-serial``: Azure-side serialization the IaC graph does not show (durations reference
  §1.3): subnets of one VNet, and writes to one App Service site, chained in plan order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.errors import ConfigError
from infra.timeline.datause import uses
from infra.timeline.durations import is_provider, normalize_type

SUBNET = "azure-native:network:Subnet"
SITE_PREFIX = "azure-native:web:WebApp"
KINDS = ("data", "no-data", "parent", "azure-serial")


@dataclass(frozen=True)
class Edge:
    """``source`` must finish before ``target`` starts."""

    source: str
    target: str
    kind: str


@dataclass
class Graph:
    """Timed nodes in plan order and the edges between them."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    _incoming: dict[str, list[Edge]] | None = field(default=None, repr=False)
    _indexed: int = field(default=-1, repr=False)

    def deps(self, urn: str, kinds: Iterable[str] = KINDS, *, without: Edge | None = None) -> tuple[str, ...]:
        """The sources of ``urn``'s incoming edges of the given kinds (deduplicated, in order)."""
        if self._incoming is None or self._indexed != len(self.edges):
            self._incoming = {}
            for edge in self.edges:
                self._incoming.setdefault(edge.target, []).append(edge)
            self._indexed = len(self.edges)
        wanted = set(kinds)
        seen: dict[str, None] = {}
        for edge in self._incoming.get(urn, ()):
            if edge.kind in wanted and edge != without:
                seen.setdefault(edge.source, None)
        return tuple(seen)


def _is_timed(resource: dict[str, Any]) -> bool:
    return bool(resource.get("custom")) and not is_provider(str(resource.get("type", "")))


def build_graph(plan: Mapping[str, Any]) -> Graph:
    """Build the :class:`Graph` of ``plan`` (see the module docstring)."""
    resources = plan.get("resources")
    if not isinstance(resources, list):
        raise ConfigError("the plan has no 'resources' list", key="plan.resources")
    by_urn: dict[str, dict[str, Any]] = {}
    children: dict[str, list[str]] = {}
    for resource in resources:
        by_urn[resource["urn"]] = resource
        parent = resource.get("parent")
        if parent:
            children.setdefault(parent, []).append(resource["urn"])

    def descendants(urn: str) -> list[str]:
        out: list[str] = []
        stack = list(children.get(urn, []))
        while stack:
            current = stack.pop(0)
            out.append(current)
            stack[0:0] = children.get(current, [])
        return out

    graph = Graph()
    for resource in resources:
        if _is_timed(resource):
            graph.nodes[resource["urn"]] = resource

    for index, resource in enumerate(resources):
        urn = resource["urn"]
        if urn not in graph.nodes:
            continue
        excluded = {urn, *descendants(urn)}
        seen: set[tuple[str, str]] = set()
        parent = resource.get("parent")
        if parent and parent in graph.nodes:
            graph.edges.append(Edge(parent, urn, "parent"))
            seen.add((parent, urn))
        for dep in resource.get("dependencies") or []:
            if dep not in by_urn:
                raise ConfigError(
                    f"resource {urn} depends on {dep!r}, which is not in the plan",
                    key=f"plan.resources[{index}].dependencies",
                )
            target = by_urn[dep]
            if _is_timed(target):
                sources = [dep]
            elif target.get("custom"):
                sources = []  # a provider: no time, no wait worth reporting
            else:
                sources = [d for d in descendants(dep) if d in graph.nodes]
            for source in sources:
                if source in excluded or (source, urn) in seen:
                    continue
                seen.add((source, urn))
                kind = "data" if uses(resource, by_urn[source]) else "no-data"
                graph.edges.append(Edge(source, urn, kind))

    graph.edges.extend(_serial_edges(graph))
    return graph


def serial_group(resource: dict[str, Any]) -> tuple[str, str, str] | None:
    """The Azure-side serialization group of a resource, or None (durations reference §1.3).

    Subnets of one VNet are written one at a time; writes to one App Service site (the site
    and its ``web:WebApp*`` settings resources) conflict ("another operation is in progress").
    """
    token = normalize_type(str(resource.get("type")))
    inputs = resource.get("inputs") or {}
    group = str(inputs.get("resourceGroupName", "")).lower()
    if token == SUBNET and inputs.get("virtualNetworkName"):
        return ("vnet", group, str(inputs["virtualNetworkName"]).lower())
    if token.startswith(SITE_PREFIX) and inputs.get("name"):
        return ("site", group, str(inputs["name"]).lower())
    return None


def _serial_edges(graph: Graph) -> list[Edge]:
    """Chain each serialization group in plan order."""
    last: dict[tuple[str, str, str], str] = {}
    existing = {(edge.source, edge.target) for edge in graph.edges}
    edges: list[Edge] = []
    for urn, resource in graph.nodes.items():
        key = serial_group(resource)
        if key is None:
            continue
        previous = last.get(key)
        if previous is not None and (previous, urn) not in existing:
            edges.append(Edge(previous, urn, "azure-serial"))
        last[key] = urn
    return edges
