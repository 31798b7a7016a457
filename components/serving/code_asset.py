"""The scoring code of a model as an Azure ML code asset, uploaded by azure-ai-ml.

A deployment's ``codeConfiguration.codeId`` must name a code asset, and the CLI uploads the
spec's ``code`` folder to the workspace's default datastore to make one. Storage shared keys
are disabled in the estate, so the upload goes through azure-ai-ml (the caller's Entra
identity against the identity-mode datastore) rather than an azure-native ``Blob``.

``ServingCode`` is a dynamic resource (``estateKind: servingCode``). Its version is the content
hash of the folder (see :mod:`components.serving.specs`), so editing ``score.py`` creates a new code
version and updates the deployments' ``codeId``; an unchanged folder changes nothing. Code
versions are immutable and older deployments or rollbacks may still use them, so delete
leaves the asset in the workspace. ``path`` is relative to the project directory, so plans do
not depend on the checkout location; the provider resolves it against the directory holding
``Pulumi.yaml`` above this module (:func:`project_directory`), never against the working
directory of whatever process runs it. The upload uses azure-ai-ml's own ``Code`` entity and
code operations (``credential`` defaults to ``DefaultAzureCredential``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

KIND = "servingCode"
"""The ``estateKind`` input the offline engine dispatches on."""

Uploader = Callable[[str, str, str, str, str, Path], None]
"""``(subscription, resource group, workspace, name, version, folder) -> None``."""


def project_directory() -> Path:
    """The project this module belongs to: the nearest directory above it with a ``Pulumi.yaml``."""
    here = Path(__file__).resolve().parent
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"no Pulumi.yaml above {here}")


def code_folder(path: str) -> Path:
    """The scoring-code folder ``path`` names (relative: to the project directory)."""
    folder = Path(path)
    folder = folder if folder.is_absolute() else project_directory() / folder
    if not folder.is_dir():
        raise FileNotFoundError(f"scoring code folder {folder} does not exist")
    return folder


def asset_id(workspace_id: str, name: str, version: str) -> str:
    """The ARM id of a workspace code version."""
    return f"{workspace_id}/codes/{name}/versions/{version}"


def azure_ml_upload(
    subscription: str,
    resource_group: str,
    workspace: str,
    name: str,
    version: str,
    folder: Path,
    credential: TokenCredential | None = None,
) -> None:
    """The default uploader: ``MLClient._code.create_or_update(Code(...))`` as the Azure ML CLI
    does (azure-ai-ml 1.35 exports ``Code`` only from ``azure.ai.ml.entities._assets``)."""
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities._assets import Code

    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    client = MLClient(credential, subscription, resource_group, workspace, show_progress=False)
    client._code.create_or_update(Code(name=name, version=version, path=str(folder)))


def _workspace_parts(workspace_id: str) -> tuple[str, str, str]:
    parts = workspace_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        return (
            parts[lowered.index("subscriptions") + 1],
            parts[lowered.index("resourcegroups") + 1],
            parts[lowered.index("workspaces") + 1],
        )
    except (ValueError, IndexError):
        raise ValueError(f"not an Azure ML workspace id: {workspace_id!r}") from None


class ServingCodeProvider(ResourceProvider):
    """Uploads a code folder as ``<name>:<version>`` (content-hashed) in a workspace."""

    def __init__(self, uploader: Uploader | None = None, credential: TokenCredential | None = None) -> None:
        self.uploader = uploader
        self.credential = credential

    def create(self, props: dict[str, Any]) -> CreateResult:
        sub, rg, ws = _workspace_parts(str(props["workspaceId"]))
        folder = code_folder(str(props["path"]))
        uploader = getattr(self, "uploader", None)  # providers pickled by older code lack newer fields
        if uploader is not None:
            uploader(sub, rg, ws, str(props["name"]), str(props["version"]), folder)
        else:
            azure_ml_upload(
                sub,
                rg,
                ws,
                str(props["name"]),
                str(props["version"]),
                folder,
                getattr(self, "credential", None),
            )
        outs = dict(props)
        outs["assetId"] = asset_id(str(props["workspaceId"]), str(props["name"]), str(props["version"]))
        return CreateResult(id_=outs["assetId"], outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in ("workspaceId", "name", "version", "path") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=dict(props))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class ServingCode(Resource):
    """One content-versioned code asset; ``asset_id`` is what deployments reference."""

    asset_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        workspace_id: pulumi.Input[str],
        asset_name: str,
        version: str,
        path: str,
        opts: pulumi.ResourceOptions | None = None,
        provider: ResourceProvider | None = None,
    ) -> None:
        props = {
            "estateKind": KIND,
            "workspaceId": workspace_id,
            "name": asset_name,
            "version": version,
            "path": path,
            "assetId": None,
        }
        super().__init__(provider or ServingCodeProvider(), name, props, opts)
