"""Where per-model state lives: one blob per model, written with ETag conditions.

``save`` succeeds only if the record is unchanged since ``load`` (``If-Match``) or, for a new
record, still absent (``If-None-Match: *``); otherwise it raises :class:`StateConflict` and the
caller reads again and re-decides. That is what keeps two instances from both submitting.
"""

from __future__ import annotations

from typing import Any, Protocol

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import ContentSettings

from .errors import StateConflict
from .record import ModelState


class StateStore(Protocol):
    """Compare-and-swap storage of :class:`ModelState` records, one per model."""

    def load(self, model: str) -> tuple[ModelState | None, str | None]:
        """The model's record and its ETag, or ``(None, None)`` if there is none yet."""
        ...

    def save(self, model: str, state: ModelState, etag: str | None) -> str:
        """Write if unchanged since ``etag`` (absent if ``None``); return the new ETag.

        Raises :class:`StateConflict` if another writer got there first.
        """
        ...


class BlobStateStore:
    """State records as blobs ``<prefix><model>.json`` in one container, with ETag conditions.

    ``container`` is an ``azure.storage.blob.ContainerClient`` built with a token credential
    (the Function App's managed identity); no keys, no connection strings.
    """

    def __init__(self, container: Any, *, prefix: str = "models/"):
        self._container = container
        self._prefix = prefix

    @classmethod
    def from_account(cls, account_url: str, container_name: str, credential: Any) -> BlobStateStore:
        """A store on ``account_url``/``container_name`` signed in with ``credential``."""
        from azure.storage.blob import ContainerClient

        return cls(ContainerClient(account_url, container_name, credential=credential))

    def blob_name(self, model: str) -> str:
        """The blob that holds ``model``'s record."""
        return f"{self._prefix}{model}.json"

    def load(self, model: str) -> tuple[ModelState | None, str | None]:
        """See :meth:`StateStore.load`."""
        blob = self._container.get_blob_client(self.blob_name(model))
        try:
            downloader = blob.download_blob()
        except ResourceNotFoundError:
            return None, None
        data = downloader.readall()
        try:
            state = ModelState.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(
                f"state blob {self.blob_name(model)!r} is not a retraining state record ({exc}); "
                "delete it to start the model's state afresh"
            ) from None
        return state, downloader.properties.etag

    def save(self, model: str, state: ModelState, etag: str | None) -> str:
        """See :meth:`StateStore.save`."""
        blob = self._container.get_blob_client(self.blob_name(model))
        condition: dict[str, Any]
        if etag is None:
            condition = {"match_condition": MatchConditions.IfMissing}
        else:
            condition = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        try:
            result = blob.upload_blob(
                state.to_json(),
                overwrite=True,
                content_settings=ContentSettings(content_type="application/json"),
                **condition,
            )
        except (ResourceModifiedError, ResourceExistsError):
            raise StateConflict(f"state blob {self.blob_name(model)!r} changed since it was read") from None
        return result["etag"]
