"""The resource monitor the program talks to during an offline preview.

It subclasses the SDK's ``MockMonitor`` (the surface ``pulumi.runtime.set_mocks`` uses) and
records every ``RegisterResourceRequest`` field the plan needs — parent, dependencies,
provider and resource options, which ``MockResourceArgs`` does not expose — then answers
like Azure through :mod:`infra.engine.answers`. This is the one file that touches the
engine's internal protobuf surface; the pulumi version is pinned for it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import alias_pb2, resource_pb2
from pulumi.runtime.sync_await import _sync_await

from infra.engine.answers import INVOKES, ResourceContext, lookup
from infra.engine.answers.common import guid
from infra.engine.dynamic import DYNAMIC_TYPE, DynamicProviders
from infra.engine.urns import new_urn

STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


class EngineError(Exception):
    """The program did something the offline engine cannot answer (or the real engine would refuse)."""


@dataclass
class Registration:
    """Everything recorded about one resource registration."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    id: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    replace_on_changes: list[str]
    delete_before_replace: bool
    aliases: list[str]
    custom_timeouts: dict[str, str] | None
    additional_secret_outputs: list[str]
    deleted_with: str | None
    import_id: str | None
    read: bool = False


@dataclass
class ProviderInfo:
    """Config of an explicit provider, which tells resources their subscription and tenant."""

    urn: str
    type: str
    inputs: dict[str, Any]


@dataclass
class MonitorState:
    """What a run has recorded so far (shared across the monitor's threads)."""

    registrations: list[Registration] = field(default_factory=list)
    providers: dict[str, ProviderInfo] = field(default_factory=dict)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    stack_urn: str | None = None
    invokes: list[str] = field(default_factory=list)


class NoMocks(Mocks):
    """Placeholder ``Mocks``: this monitor answers everything itself."""

    def new_resource(  # pragma: no cover - never called
        self, args: MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        raise EngineError("unexpected call to Mocks.new_resource")

    def call(  # pragma: no cover - never called
        self, args: MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise EngineError("unexpected call to Mocks.call")


def _serialize(state: dict[str, Any]) -> Any:
    """Serialize plain answer data without pumping the event loop (it never awaits anything
    for plain values); fall back to the SDK's loop-pumping wait if it ever does."""
    coro = rpc.serialize_properties(state, {})
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    return _sync_await(rpc.serialize_properties(state, {}))


def _alias_text(alias: alias_pb2.Alias) -> str:
    """An alias as a URN, or ``name=..|type=..|parent=..`` for a spec alias."""
    if alias.WhichOneof("alias") == "urn" or alias.urn:
        return alias.urn
    spec = alias.spec
    parent = spec.parentUrn or ("root" if spec.noParent else "")
    return f"name={spec.name}|type={spec.type}|parent={parent}"


class RecordingMonitor(MockMonitor):
    """Records registrations and answers like Azure.

    ``stack_references`` maps a referenced stack's name to ``(outputs, secret_output_names)``.
    ``disabled_default_providers`` lists packages whose default provider is disabled (the
    stack's ``pulumi:disable-default-providers``): a custom resource of such a package without
    an explicit provider is an error, as it is for the real engine.
    """

    def __init__(
        self,
        *,
        stack_references: Mapping[str, tuple[dict[str, Any], list[str]]] | None = None,
        disabled_default_providers: list[str] | None = None,
        location: str = "westeurope",
        project: str | None = None,
        stack: str | None = None,
        dynamic: DynamicProviders | None = None,
    ):
        super().__init__(NoMocks())
        self._project = project
        self._stack = stack
        self._dynamic = dynamic
        self.state = MonitorState()
        self._lock = threading.RLock()
        self._stack_references = stack_references or {}
        self._disabled = set(disabled_default_providers or [])
        self._location = location

    def attach_dynamic(self, dynamic: DynamicProviders) -> None:
        """Check (and diff) every dynamic resource with its real provider through ``dynamic``."""
        self._dynamic = dynamic

    # -- helpers ---------------------------------------------------------------------------
    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the Pulumi engine forms (:func:`infra.engine.urns.new_urn`: the parent's whole
        type chain, never the root stack's type). Project and stack are this run's (the program
        runs in another process, so the SDK settings of this one do not name them)."""
        project = self._project if self._project is not None else pulumi.get_project()
        stack = self._stack if self._stack is not None else pulumi.get_stack()
        return new_urn(stack, project, parent or None, type_, name)

    def _provider_context(self, provider_ref: str | None) -> tuple[str, str, str]:
        if provider_ref:
            urn = provider_ref.rsplit("::", 1)[0]
            info = self.state.providers.get(urn)
            if info is not None:
                sub = info.inputs.get("subscriptionId") or guid("subscription", urn)
                tenant = info.inputs.get("tenantId") or guid("tenant", urn)
                return str(sub), str(tenant), str(info.inputs.get("location") or self._location)
        return guid("subscription", "default"), guid("tenant", "default"), self._location

    def _check_provider(self, type_: str, custom: bool, provider: str) -> None:
        if not custom or type_.startswith("pulumi:"):
            return
        package = type_.split(":", 1)[0]
        if not provider and (package in self._disabled or "*" in self._disabled):
            raise EngineError(
                f"resource of type {type_} has no explicit provider, and the default '{package}' provider is "
                "disabled by pulumi:disable-default-providers; pass a provider through ResourceOptions"
            )

    # -- RPCs ------------------------------------------------------------------------------
    def RegisterResource(
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            with self._lock:
                self.state.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        custom = bool(request.custom)
        if custom and request.type == DYNAMIC_TYPE and self._dynamic is not None:
            # The real provider checks (and diffs) it; the plan records the program's inputs, whose
            # secrets the engine keeps marked (the provider sees them unwrapped).
            self._dynamic.check_and_diff(urn=urn, name=request.name, news=request.object)
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        self._check_provider(request.type, custom, request.provider)
        resource_id, outputs = self._answer(request, urn, inputs, custom)
        timeouts = None
        if request.HasField("customTimeouts"):
            ct = request.customTimeouts
            timeouts = {
                k: v for k, v in (("create", ct.create), ("update", ct.update), ("delete", ct.delete)) if v
            }
            timeouts = timeouts or None
        aliases = sorted(set(request.aliasURNs) | {_alias_text(alias) for alias in request.aliases})
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=custom,
            provider=request.provider or None,
            id=resource_id if custom else None,
            inputs=inputs,
            outputs=outputs,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect) if request.HasField("protect") else False,
            retain_on_delete=bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            aliases=aliases,
            custom_timeouts=timeouts,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            deleted_with=request.deletedWith or None,
            import_id=request.importId or None,
        )
        with self._lock:
            self.state.registrations.append(registration)
            if request.type.startswith("pulumi:providers:"):
                self.state.providers[urn] = ProviderInfo(urn=urn, type=request.type, inputs=inputs)
        response_state = dict(inputs)
        response_state.update(outputs)
        obj = _serialize(response_state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id or "", object=obj)

    def _answer(
        self, request: resource_pb2.RegisterResourceRequest, urn: str, inputs: dict[str, Any], custom: bool
    ) -> tuple[str | None, dict[str, Any]]:
        type_ = request.type
        if not custom:
            return None, {}
        if type_.startswith("pulumi:providers:"):
            return guid("provider", urn), {}
        answer = lookup(type_)
        sub, tenant, location = self._provider_context(request.provider)
        ctx_inputs = dict(inputs)
        if answer.name_input and ctx_inputs.get(answer.name_input) is None:
            ctx_inputs[answer.name_input] = (
                request.name
            )  # what auto-naming would choose, minus the random part
        loc = inputs.get("location")
        ctx = ResourceContext(
            token=type_,
            logical_name=request.name,
            urn=urn,
            inputs=ctx_inputs,
            subscription_id=sub,
            tenant_id=tenant,
            location=str(loc) if isinstance(loc, str) else location,
        )
        resource_id = answer.id(ctx)
        outputs = answer.outputs(ctx) if answer.outputs else {}
        return resource_id, outputs

    def RegisterResourceOutputs(
        self, request: resource_pb2.RegisterResourceOutputsRequest
    ) -> empty_pb2.Empty:
        if request.urn and request.urn == self.state.stack_urn:
            outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
            with self._lock:
                self.state.stack_outputs = outputs
        return empty_pb2.Empty()

    def Invoke(self, request: resource_pb2.ResourceInvokeRequest) -> resource_pb2.ResourceInvokeResponse:
        args = rpc.deserialize_properties(request.args)
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)
        fn = INVOKES.get(request.tok)
        if fn is None:
            raise EngineError(
                f"the offline engine does not know the invoke '{request.tok}'; add an answer in "
                "infra/engine/answers/invokes.py"
            )
        sub, tenant, location = self._provider_context(request.provider)
        ctx = ResourceContext(
            token=request.tok,
            logical_name=request.tok,
            urn=request.tok,
            inputs=args,
            subscription_id=sub,
            tenant_id=tenant,
            location=location,
        )
        result = fn(args, ctx)
        with self._lock:
            self.state.invokes.append(request.tok)
        ret = _serialize(result)
        return resource_pb2.ResourceInvokeResponse(failures=None, **{"return": ret})

    def ReadResource(self, request: resource_pb2.ReadResourceRequest) -> resource_pb2.ReadResourceResponse:
        """Reads: only ``StackReference`` (answered from the referenced stack's offline preview)."""
        if request.type != STACK_REFERENCE_TYPE:
            raise EngineError(
                f"{request.type} '{request.name}' is read with .get(); the offline engine previews what the "
                "program creates — reference existing objects through settings or a StackReference"
            )
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = rpc.deserialize_properties(request.properties, keep_unknowns=True)
        name = str(inputs.get("name") or request.id)
        if name not in self._stack_references:
            known = ", ".join(sorted(self._stack_references)) or "none"
            raise EngineError(
                f"StackReference '{name}' is not a stack the offline engine previewed (known: {known})"
            )
        outputs, secret_names = self._stack_references[name]
        state = {"name": name, "outputs": outputs, "secretOutputNames": secret_names}
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=True,
            provider=request.provider or None,
            id=name,
            inputs={"name": name},
            outputs={},
            dependencies=list(request.dependencies),
            property_dependencies={},
            protect=False,
            retain_on_delete=False,
            ignore_changes=[],
            replace_on_changes=[],
            delete_before_replace=False,
            aliases=[],
            custom_timeouts=None,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            deleted_with=None,
            import_id=None,
            read=True,
        )
        with self._lock:
            self.state.registrations.append(registration)
        props = _serialize(state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=props)
