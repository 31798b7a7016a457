"""Capture real SDK registrations under Pulumi mocks and shape them as plan entries.

Fixtures for the policy tests are never hand-written dicts: each resource is built with the
real ``pulumi_azure_native`` / ``pulumi_azuredevops`` classes, registered against a recording
``Mocks`` (which reads ``MockResourceArgs.inputs``, camelCase, exactly as the engine receives
them) and a recording monitor (which reads the resource options the SDK sends: parent,
protect, retainOnDelete, ...). The result is a list of dicts with the keys of a plan entry in
docs/architecture.md, in registration order.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import resource_pb2

ARM_PREFIX = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-estate"

# ARM provider namespace/type per token, so mock ids look like real Azure ids.
_ARM_TYPES: dict[str, str] = {
    "azure-native:operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces",
    "azure-native:storage:StorageAccount": "Microsoft.Storage/storageAccounts",
    "azure-native:keyvault:Vault": "Microsoft.KeyVault/vaults",
    "azure-native:containerregistry:Registry": "Microsoft.ContainerRegistry/registries",
    "azure-native:machinelearningservices:Workspace": "Microsoft.MachineLearningServices/workspaces",
    "azure-native:machinelearningservices:Registry": "Microsoft.MachineLearningServices/registries",
    "azure-native:applicationinsights:Component": "Microsoft.Insights/components",
}


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every ``MockResourceArgs`` and answers with an ARM-like id and the inputs as state."""

    def __init__(self) -> None:
        self.registrations: dict[tuple[str, str], pulumi.runtime.MockResourceArgs] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Record the registration; the id is ARM-shaped and derived from the logical name."""
        self.registrations[(args.typ, args.name)] = args
        arm_type = _ARM_TYPES.get(args.typ, "Microsoft.Mock/" + args.typ.rsplit(":", 1)[-1].lower())
        return f"{ARM_PREFIX}/providers/{arm_type}/{args.name}", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """No invokes are needed by the fixtures."""
        return {}, None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also keeps the resource options of every registration request."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks
        self.entries: list[dict[str, Any]] = []

    def RegisterResource(self, request: resource_pb2.RegisterResourceRequest) -> Any:
        """Register through the stock mock monitor, then record a plan entry."""
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        # Registrations run on several threads: look the inputs up by (type, name), never "the last one".
        inputs = self.recording.registrations[(request.type, request.name)].inputs
        self.entries.append(
            {
                "urn": response.urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent or None,
                "custom": bool(request.custom),
                "provider": request.provider or None,
                "id": response.id or None,
                "inputs": inputs,
                "outputs": {},
                "dependencies": list(request.dependencies),
                "protect": bool(request.protect),
                "retainOnDelete": bool(request.retainOnDelete),
                "ignoreChanges": list(request.ignoreChanges),
                "deleteBeforeReplace": bool(request.deleteBeforeReplace),
            }
        )
        return response


def _current_loop() -> asyncio.AbstractEventLoop | None:
    """The thread's current event loop, if one is set and open (without creating one)."""
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    loop = getattr(local, "_loop", None)
    return loop if loop is not None and not loop.is_closed() else None


def capture(
    program: Callable[[], Any], *, stack: str = "dev", project: str = "mlops-estate"
) -> list[dict[str, Any]]:
    """Run ``program`` (which constructs SDK resources) under mocks and return its plan entries.

    The run gets its own event loop and a copied ``contextvars`` context with fresh runtime
    settings and root resource, so it neither depends on nor leaks into other tests' Pulumi state.
    """
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    saved_loop = _current_loop()
    loop = asyncio.new_event_loop()

    def body() -> None:
        asyncio.set_event_loop(loop)
        pulumi.runtime.settings.reset_options(project=project, stack=stack, preview=False)
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)

        @pulumi.runtime.test
        def run() -> Any:
            program()
            return None

        run()

    try:
        contextvars.copy_context().run(body)
    finally:
        loop.close()
        asyncio.set_event_loop(saved_loop)
    return monitor.entries
