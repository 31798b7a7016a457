"""Fakes at the HTTP edge of Azure and Azure DevOps, and the payloads Azure sends.

* :class:`FakeCredential` - the Entra token endpoint (any scope gets a short-lived token).
* :class:`BlobService` - a ``requests`` adapter that answers the Blob REST calls the retraining
  state store makes (GET with a range, PUT with ``If-Match``/``If-None-Match: *``) with the
  status codes, headers and XML errors the service sends; everything above it (azure-core's
  pipeline, azure-storage-blob, the app's ``BlobStateStore``) is the real code.
* :class:`DevOps` - the app's own HTTP transport seam, answering ``Runs - Run Pipeline`` as
  Azure DevOps does, refusing template parameters the train pipeline does not declare.
* ``*_event`` - Event Grid events (``ModelRegistered``, ``BlobCreated``, a model monitor's
  threshold-breach ``RunStatusChanged``) in the shape Azure sends them.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from azure.core.credentials import AccessToken
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from ruamel.yaml import YAML

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


class FakeCredential:
    """Stands in for the managed identity's token endpoint; records the scopes asked for."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        """A token for ``scopes`` valid for an hour."""
        self.scopes.extend(scopes)
        return AccessToken("rehearsal-token", int(time.time()) + 3600)


@dataclass
class _Blob:
    body: bytes
    etag: str


class BlobService(BaseAdapter):
    """Answers Blob REST calls for one storage account, in memory, with ETag semantics."""

    def __init__(self) -> None:
        super().__init__()
        self.blobs: dict[str, _Blob] = {}
        self.calls: list[str] = []
        self._lock = threading.Lock()
        self._version = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Answer one request (GET or PUT of a blob)."""
        path = urlsplit(request.url or "").path
        headers = CaseInsensitiveDict(request.headers)
        self.calls.append(f"{request.method} {path}")
        auth = headers.get("Authorization", "")
        if isinstance(auth, bytes):
            auth = auth.decode("latin-1")
        if not auth.startswith("Bearer "):
            return self._error(request, 401, "NoAuthenticationInformation")
        with self._lock:
            blob = self.blobs.get(path)
            if request.method == "GET":
                if blob is None:
                    return self._error(request, 404, "BlobNotFound")
                size = len(blob.body)
                return self._answer(
                    request,
                    206,
                    blob.body,
                    {
                        "ETag": blob.etag,
                        "Content-Range": f"bytes 0-{max(size - 1, 0)}/{size}",
                        "Content-Type": "application/json",
                        "x-ms-blob-type": "BlockBlob",
                    },
                )
            if request.method == "PUT":
                if headers.get("If-None-Match") == "*" and blob is not None:
                    return self._error(request, 409, "BlobAlreadyExists")
                match = headers.get("If-Match")
                if match is not None and (blob is None or blob.etag != match):
                    return self._error(request, 412, "ConditionNotMet")
                body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
                self._version += 1
                etag = f'"0x8DD{self._version:012X}"'
                self.blobs[path] = _Blob(body, etag)
                md5 = hashlib.md5(body, usedforsecurity=False).digest()  # the service's Content-MD5
                import base64

                return self._answer(
                    request,
                    201,
                    b"",
                    {
                        "ETag": etag,
                        "Content-MD5": base64.b64encode(md5).decode(),
                        "x-ms-request-server-encrypted": "true",
                    },
                )
        return self._error(request, 405, "UnsupportedHttpVerb")

    def close(self) -> None:
        """Nothing to release."""

    def _error(self, request: requests.PreparedRequest, status: int, code: str) -> requests.Response:
        body = (
            f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
            f"<Message>{code}</Message></Error>"
        ).encode()
        return self._answer(
            request, status, body, {"x-ms-error-code": code, "Content-Type": "application/xml"}
        )

    def _answer(
        self, request: requests.PreparedRequest, status: int, body: bytes, extra: Mapping[str, str]
    ) -> requests.Response:
        headers = {
            "Content-Length": str(len(body)),
            "Last-Modified": formatdate(usegmt=True),
            "Date": formatdate(usegmt=True),
            "x-ms-request-id": str(uuid.uuid4()),
            "x-ms-version": str(request.headers.get("x-ms-version", "2025-01-05")),
            **extra,
        }
        response = requests.Response()
        response.status_code = status
        response.reason = {200: "OK", 201: "Created", 206: "Partial Content"}.get(status, "Error")
        response.headers = CaseInsensitiveDict(headers)
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(body), headers=headers, status=status, preload_content=False, decode_content=False
        )
        response.url = request.url or ""
        response.request = request
        return response


@dataclass
class DevOps:
    """Azure DevOps ``Runs - Run Pipeline`` for the train pipeline; records every queued run."""

    train_pipeline: Path
    runs: list[dict[str, Any]] = field(default_factory=list)

    def declared_parameters(self) -> set[str]:
        """The train pipeline's declared template parameters."""
        data = YAML(typ="safe").load(self.train_pipeline.read_text(encoding="utf-8")) or {}
        return {str(p["name"]) for p in data.get("parameters") or [] if isinstance(p, dict) and "name" in p}

    def post(self, url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> Any:
        """Answer one POST as Azure DevOps does (the app's ``HttpTransport`` seam)."""
        from retrain.ado import HttpResponse  # the app's own type (its folder is on sys.path)

        def answer(status: int, payload: dict[str, Any]) -> Any:
            return HttpResponse(status, {"content-type": "application/json"}, json.dumps(payload).encode())

        if not str(headers.get("Authorization", "")).startswith("Bearer "):
            return answer(401, {"message": "TF400813: The user is not authorized to access this resource."})
        if "/_apis/pipelines/" not in url or "/runs?" not in url:
            return answer(404, {"message": f"no such route {url}"})
        try:
            parameters = json.loads(body)["templateParameters"]
        except (ValueError, KeyError, TypeError):
            return answer(400, {"message": "the request body is not a run request"})
        unknown = sorted(set(parameters) - self.declared_parameters())
        if unknown:
            return answer(
                400, {"message": f"Unexpected parameter(s) {unknown} for {self.train_pipeline.name}"}
            )
        run_id = 4000 + len(self.runs) + 1
        self.runs.append({"id": run_id, "url": url, "templateParameters": parameters})
        return answer(
            200,
            {
                "id": run_id,
                "name": f"train-{parameters.get('model')}-{parameters.get('stack')}",
                "state": "inProgress",
                "_links": {
                    "web": {"href": f"https://dev.azure.com/rehearsal/_build/results?buildId={run_id}"}
                },
            },
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def model_registered_event(
    registry: str, model: str, version: str, tags: Mapping[str, str]
) -> dict[str, Any]:
    """Event Grid ``Microsoft.MachineLearningServices.ModelRegistered`` (Event Grid schema)."""
    return {
        "id": str(uuid.uuid4()),
        "topic": (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-mlops-shared/providers/"
            f"Microsoft.MachineLearningServices/registries/{registry}"
        ),
        "subject": f"models/{model}:{version}",
        "eventType": "Microsoft.MachineLearningServices.ModelRegistered",
        "eventTime": _now(),
        "data": {"modelName": model, "modelVersion": version, "modelTags": dict(tags), "modelProperties": {}},
        "dataVersion": "2",
        "metadataVersion": "1",
    }


def blob_created_event(account: str, container: str, name: str, size: int) -> dict[str, Any]:
    """Event Grid ``Microsoft.Storage.BlobCreated`` (Event Grid schema) for a block blob."""
    request = str(uuid.uuid4())
    return {
        "topic": (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-mlops-prod-data/providers/"
            f"Microsoft.Storage/storageAccounts/{account}"
        ),
        "subject": f"/blobServices/default/containers/{container}/blobs/{name}",
        "eventType": "Microsoft.Storage.BlobCreated",
        "id": request,
        "data": {
            "api": "PutBlob",
            "clientRequestId": str(uuid.uuid4()),
            "requestId": request,
            "eTag": "0x8DD0000000000001",
            "contentType": "text/csv",
            "contentLength": size,
            "blobType": "BlockBlob",
            "url": f"https://{account}.blob.core.windows.net/{container}/{name}",
            "sequencer": "0000000000000000000000000001a2b30000000000c0ffee",
            "storageDiagnostics": {"batchId": str(uuid.uuid4())},
        },
        "dataVersion": "",
        "metadataVersion": "1",
        "eventTime": _now(),
    }


def monitor_breach_event(model_dashed: str, detail: str) -> dict[str, Any]:
    """Event Grid ``Microsoft.MachineLearningServices.RunStatusChanged`` of a model monitor run
    that breached its thresholds (run tag ``azureml_modelmonitor_threshold_breached``)."""
    run = f"{model_dashed}-monitor-{uuid.uuid4().hex[:12]}"
    return {
        "id": str(uuid.uuid4()),
        "topic": (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-mlops-prod/providers/"
            "Microsoft.MachineLearningServices/workspaces/mlw-prod"
        ),
        "subject": f"experiments/{uuid.uuid4()}/runs/{run}",
        "eventType": "Microsoft.MachineLearningServices.RunStatusChanged",
        "eventTime": _now(),
        "data": {
            "ExperimentId": str(uuid.uuid4()),
            "ExperimentName": f"{model_dashed}-monitor",
            "RunId": run,
            "RunType": "azureml.PipelineRun",
            "RunTags": {"azureml_modelmonitor_threshold_breached": detail},
            "RunProperties": {},
            "RunStatus": "Failed",
        },
        "dataVersion": "2",
        "metadataVersion": "1",
    }
