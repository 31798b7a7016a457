"""The retraining Function App, loaded and invoked the way the Python worker does it.

The Azure Functions host cannot be installed here. What it does for a Python v2 app is
reproduced with the app's own code: ``function_app.py`` is imported as a module from the app
root (so ``retrain`` resolves as in the deployed package), its ``app.get_functions()`` index
gives each function, and ``get_user_function()`` is what gets called. Payloads are bound with
the ``azure-functions`` library's own binding code: an Event Grid event goes through
``EventGridEventInConverter.decode`` from the JSON the host passes, an HTTP call becomes a
``func.HttpRequest``.

At import the app builds its runtime from the app settings with a managed identity; the
rehearsal then rebuilds that runtime with the same ``build_runtime`` and settings, giving it
fakes only at the edges: the token credential, the Blob service's HTTP answers (under the
real azure-storage-blob client and the app's ``BlobStateStore``) and Azure DevOps' answers
(under the app's ``AdoPipelineQueue``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransport

from infra.rehearse.edges import BlobService, DevOps, FakeCredential

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
        self.module.RUNTIME = self._runtime()
        self.functions = {fn.get_function_name(): fn for fn in self.module.app.get_functions()}

    def _import(self) -> ModuleType:
        sys.modules.pop(MODULE_NAME, None)  # a fresh app module, as a new worker process loads it
        spec = importlib.util.spec_from_file_location(MODULE_NAME, APP_ROOT / "function_app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE_NAME] = module
        spec.loader.exec_module(module)
        return module

    def _runtime(self) -> Any:
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

    def _function(self, name: str) -> Any:
        if name not in self.functions:
            raise KeyError(f"the app indexes no function {name!r} (it has {sorted(self.functions)})")
        return self.functions[name].get_user_function()

    def post_alert(self, name: str, route: str, payload: Mapping[str, Any]) -> Invocation:
        """An action group's Azure Function receiver POSTing a common-schema alert."""
        import azure.functions as func

        request = func.HttpRequest(
            method="POST",
            url=f"https://func-retrain.azurewebsites.net/api/{route}",
            headers={"content-type": "application/json"},
            params={"code": "function-key"},
            route_params={},
            body=json.dumps(payload).encode("utf-8"),
        )
        response = self._function(name)(request)
        return Invocation(name, response.status_code, json.loads(response.get_body() or b"null"))

    def deliver_event(self, name: str, event: Mapping[str, Any]) -> Invocation:
        """Event Grid delivering one event (Event Grid schema) to an Event Grid trigger."""
        from azure.functions import meta
        from azure.functions.eventgrid import EventGridEventInConverter

        bound = EventGridEventInConverter.decode(meta.Datum(json.dumps(event), "json"), trigger_metadata={})
        try:
            self._function(name)(bound)
        except Exception as exc:  # the host reports a failed invocation; Event Grid redelivers
            return Invocation(name, None, None, f"{exc.__class__.__name__}: {exc}")
        return Invocation(name, None, None)
