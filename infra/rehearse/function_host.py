"""The retraining Function App, loaded and invoked the way the Python worker does it.

The Azure Functions host cannot be installed here. What it does for a Python v2 app is
reproduced with the app's own code: ``function_app.py`` is imported as a module from the app
root (so ``retrain`` resolves as in the deployed package), its ``app.get_functions()`` index
gives each function, and ``get_user_function()`` is what gets called. Event Grid delivers to
Storage queues: an event is written as Event Grid writes it (its JSON, base64-encoded, one
event per message), the function whose ``queueTrigger`` binding names that queue is found
from the app's own bindings, and the message is bound with the ``azure-functions`` library's
``QueueMessageInConverter``; a message the function rejects lands in the poison queue its
output binding names.

At import the app builds its runtime from the app settings with a managed identity; the
rehearsal then rebuilds that runtime with the same ``build_runtime`` and settings, giving it
fakes only at the edges: the token credential, the Blob service's HTTP answers (under the
real azure-storage-blob client and the app's ``BlobStateStore``) and Azure DevOps' answers
(under the app's ``AdoPipelineQueue``).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import requests
from azure.core.pipeline.transport import RequestsTransport

from infra.rehearse.edges import BlobService, DevOps, FakeCredential

if TYPE_CHECKING:  # the app's own package, importable once its root is on sys.path
    from retrain.runtime import Runtime

APP_ROOT = Path(__file__).resolve().parents[2] / "components" / "retraining" / "function_app"
MODULE_NAME = "function_app"


@dataclass(frozen=True)
class Invocation:
    """What one function invocation answered."""

    function: str
    status: int | None
    body: Any
    error: str | None = None


@contextmanager
def _environment(settings: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class FunctionHost:
    """One loaded instance of the Function App with faked Azure edges."""

    def __init__(self, settings: Mapping[str, str], train_pipeline: Path):
        if str(APP_ROOT) not in sys.path:
            sys.path.insert(0, str(APP_ROOT))
        self.settings = dict(settings)
        self.credential = FakeCredential()
        self.blob = BlobService()
        self.devops = DevOps(train_pipeline)
        with _environment(self.settings):
            self.module = self._import()
        vars(self.module)["RUNTIME"] = self._runtime()  # what the app's module-level RUNTIME is rebound to
        self.functions = {fn.get_function_name(): fn for fn in self.module.app.get_functions()}
        self.poisoned: dict[str, list[str]] = {}

    def _import(self) -> ModuleType:
        sys.modules.pop(MODULE_NAME, None)  # a fresh app module, as a new worker process loads it
        spec = importlib.util.spec_from_file_location(MODULE_NAME, APP_ROOT / "function_app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE_NAME] = module
        spec.loader.exec_module(module)
        return module

    def _runtime(self) -> Runtime:
        from azure.storage.blob import ContainerClient
        from retrain.ado import AdoPipelineQueue
        from retrain.runtime import build_runtime
        from retrain.settings import load_settings
        from retrain.state import BlobStateStore

        parsed = load_settings(self.settings)
        session = requests.Session()
        session.mount("https://", self.blob)
        container = ContainerClient(
            parsed.state_account_url,
            parsed.state_container,
            credential=self.credential,
            transport=RequestsTransport(session=session, session_owner=False),
        )
        queue = AdoPipelineQueue(
            organization_url=parsed.ado_organization_url,
            project=parsed.ado_project,
            pipeline_id=parsed.ado_pipeline_id,
            stack=parsed.environment,
            credential=self.credential,
            transport=self.devops,
            sleep=lambda _: None,
        )
        return build_runtime(
            self.settings, credential=self.credential, store=BlobStateStore(container), queue=queue
        )

    def _function(self, name: str) -> Callable[..., object]:
        if name not in self.functions:
            raise KeyError(f"the app indexes no function {name!r} (it has {sorted(self.functions)})")
        return self.functions[name].get_user_function()

    def queue_function(self, queue: str) -> tuple[str, str | None]:
        """The function whose queue trigger reads ``queue``, and the queue its output binding writes
        (the poison queue), as the host finds them from the indexed bindings."""
        for name, fn in sorted(self.functions.items()):
            bindings = [json.loads(b) for b in fn.get_raw_bindings()]
            if any(b.get("type") == "queueTrigger" and b.get("queueName") == queue for b in bindings):
                out = [
                    b["queueName"] for b in bindings if b.get("type") == "queue" and b["direction"] == "OUT"
                ]
                return name, out[0] if out else None
        raise KeyError(f"no function of the app reads queue {queue!r}")

    def deliver_to_queue(self, queue: str, event: Mapping[str, Any]) -> Invocation:
        """Event Grid writing ``event`` (Event Grid schema) to ``queue``; the host invoking the
        function that reads it once. A failed invocation is reported (the host would retry it
        after the visibility timeout, then move it to the poison queue)."""
        from azure.functions import meta
        from azure.functions.queue import QueueMessageInConverter

        name, poison = self.queue_function(queue)
        body = base64.b64encode(json.dumps(event).encode("utf-8"))
        message = QueueMessageInConverter.decode(meta.Datum(body, "bytes"), trigger_metadata={})
        out = _Out()
        try:
            self._function(name)(message, out)
        except Exception as exc:
            return Invocation(name, None, None, f"{exc.__class__.__name__}: {exc}")
        if out.value is not None:
            self.poisoned.setdefault(str(poison), []).append(out.value)
            return Invocation(name, None, None, f"rejected: moved to {poison}")
        return Invocation(name, None, None)


class _Out:
    """The worker's ``func.Out`` for an output binding."""

    def __init__(self) -> None:
        self.value: str | None = None

    def set(self, value: str) -> None:
        self.value = value

    def get(self) -> str | None:
        return self.value
