"""The engine side of the gRPC protocol the program talks: ResourceMonitor and Engine services.

The language host's program process connects to two addresses, ``--monitor`` and
``--engine``; this module serves both on one local port with the stubs the SDK ships
(``pulumi.runtime.proto``). Every monitor RPC is answered by
:class:`~infra.engine.monitor.RecordingMonitor` (recording and Azure-like answers, unchanged);
the Engine service records the program's log messages. An error the engine raises while
answering (an unanswerable type, a refused provider) is kept, so the preview reports the
engine's own message rather than the traceback it causes in the program.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import (
    callback_pb2,
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    resource_pb2,
    resource_pb2_grpc,
)

from infra.catalog import VersionNotFoundError
from infra.engine.monitor import RecordingMonitor

_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]

T = TypeVar("T")

_SEVERITY = {
    engine_pb2.DEBUG: "debug",
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}


@dataclass(frozen=True)
class LogEntry:
    """One message the program logged through the Engine service."""

    severity: str
    message: str
    urn: str


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """ResourceMonitor over gRPC, delegating to the recording monitor."""

    def __init__(self, monitor: RecordingMonitor, server: EngineServer) -> None:
        self._monitor = monitor
        self._server = server

    def _call(self, context: grpc.ServicerContext, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except VersionNotFoundError as exc:  # Azure's own 404: the program handles it, as under the CLI
            context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
            raise  # unreachable: abort raises
        except Exception as exc:
            self._server.record_failure(exc)
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))
            raise  # unreachable: abort raises

    def SupportsFeature(
        self, request: resource_pb2.SupportsFeatureRequest, context: grpc.ServicerContext
    ) -> resource_pb2.SupportsFeatureResponse:
        supported = set(self._monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures)
        names = {
            "secrets": resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS,
            "resourceReferences": resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
            "aliasSpecs": resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
            "deletedWith": resource_pb2.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
            "transforms": resource_pb2.RESOURCE_MONITOR_FEATURE_TRANSFORMS,
            "invokeTransforms": resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS,
            "parameterization": resource_pb2.RESOURCE_MONITOR_FEATURE_PARAMETERIZATION,
        }
        return resource_pb2.SupportsFeatureResponse(hasSupport=names.get(request.id, -1) in supported)

    def GetDeploymentInfo(
        self, request: empty_pb2.Empty, context: grpc.ServicerContext
    ) -> resource_pb2.DeploymentInfo:
        return self._monitor.GetDeploymentInfo(request)

    def RegisterResource(
        self, request: resource_pb2.RegisterResourceRequest, context: grpc.ServicerContext
    ) -> resource_pb2.RegisterResourceResponse:
        return self._call(context, lambda: self._monitor.RegisterResource(request))

    def RegisterResourceOutputs(
        self, request: resource_pb2.RegisterResourceOutputsRequest, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        return self._call(context, lambda: self._monitor.RegisterResourceOutputs(request))

    def Invoke(
        self, request: resource_pb2.ResourceInvokeRequest, context: grpc.ServicerContext
    ) -> resource_pb2.ResourceInvokeResponse:
        return self._call(context, lambda: self._monitor.Invoke(request))

    def ReadResource(
        self, request: resource_pb2.ReadResourceRequest, context: grpc.ServicerContext
    ) -> resource_pb2.ReadResourceResponse:
        return self._call(context, lambda: self._monitor.ReadResource(request))

    def Call(
        self, request: resource_pb2.ResourceCallRequest, context: grpc.ServicerContext
    ) -> provider_pb2.CallResponse:
        return self._call(context, lambda: self._refuse(f"method call '{request.tok}'"))

    def RegisterStackTransform(
        self, request: callback_pb2.Callback, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        return self._call(
            context, lambda: self._refuse("a stack transform (transforms= / register_resource_transform)")
        )

    def RegisterStackInvokeTransform(
        self, request: callback_pb2.Callback, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        return self._call(context, lambda: self._refuse("an invoke transform"))

    def RegisterPackage(
        self, request: resource_pb2.RegisterPackageRequest, context: grpc.ServicerContext
    ) -> resource_pb2.RegisterPackageResponse:
        return self._monitor.RegisterPackage(request)

    def RegisterResourceHook(
        self, request: resource_pb2.RegisterResourceHookRequest, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def RegisterErrorHook(
        self, request: resource_pb2.RegisterErrorHookRequest, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def SignalAndWaitForShutdown(
        self, request: empty_pb2.Empty, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    @staticmethod
    def _refuse(what: str) -> NoReturn:
        from infra.engine.monitor import EngineError

        raise EngineError(f"the program uses {what}, which the offline engine does not run")


class _Engine(engine_pb2_grpc.EngineServicer):
    """The Engine service: the program's log messages, and its root resource."""

    def __init__(self, server: EngineServer) -> None:
        self._server = server
        self._root = ""

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        self._server.record_log(
            LogEntry(
                severity=_SEVERITY.get(request.severity, "info"), message=request.message, urn=request.urn
            )
        )
        return empty_pb2.Empty()

    def GetRootResource(
        self, request: engine_pb2.GetRootResourceRequest, context: grpc.ServicerContext
    ) -> engine_pb2.GetRootResourceResponse:
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(
        self, request: engine_pb2.SetRootResourceRequest, context: grpc.ServicerContext
    ) -> engine_pb2.SetRootResourceResponse:
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()

    def RequirePulumiVersion(
        self, request: engine_pb2.RequirePulumiVersionRequest, context: grpc.ServicerContext
    ) -> engine_pb2.RequirePulumiVersionResponse:
        return engine_pb2.RequirePulumiVersionResponse()


class EngineServer:
    """A local gRPC server for one program run (``with EngineServer(monitor) as server: ...``)."""

    def __init__(self, monitor: RecordingMonitor, *, workers: int = 16) -> None:
        self.monitor = monitor
        self.logs: list[LogEntry] = []
        self.failures: list[BaseException] = []
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), options=_GRPC_OPTIONS)
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_Monitor(monitor, self), self._server)
        engine_pb2_grpc.add_EngineServicer_to_server(_Engine(self), self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"

    def record_log(self, entry: LogEntry) -> None:
        with self._lock:
            self.logs.append(entry)

    def record_failure(self, exc: BaseException) -> None:
        with self._lock:
            self.failures.append(exc)

    def __enter__(self) -> EngineServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None)
