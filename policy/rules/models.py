"""Model and image pinning: deployments serve an exact registry model version, images carry a real tag."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from policy.rules import types
from policy.rules.common import Finding, get_path, iter_keys, iter_strings, resource_rule

ML_DEPLOYMENT_TYPES: frozenset[str] = frozenset({types.AML_ONLINE_DEPLOYMENT, types.AML_BATCH_DEPLOYMENT})
"""Azure ML deployments: what they serve must be pinned."""

MODEL_REFERENCE_PATHS: dict[str, str] = {
    types.AML_ONLINE_DEPLOYMENT: "properties.model",
    types.AML_BATCH_DEPLOYMENT: "properties.model.assetId",
}
"""Where each deployment type holds its model asset id."""

LATEST_REFERENCE = re.compile(r"@latest$|/versions/latest(?:$|/)|:latest$", re.IGNORECASE)
"""A floating reference: ``azureml:m@latest``, ``.../versions/latest``, ``name:latest``."""

PINNED_REGISTRY_MODEL = re.compile(r"^azureml://registries/[^/]+/models/[^/]+/versions/[0-9]+(?:\.[0-9]+)*$")
"""The only accepted model reference: an explicit numeric version in the shared model registry."""

IMAGE_KEYS: frozenset[str] = frozenset({"image", "containerImage", "imageName"})
"""Input keys that hold a container image reference."""

FX_VERSION_KEYS: frozenset[str] = frozenset({"linuxFxVersion", "windowsFxVersion"})
"""App Service keys that hold ``DOCKER|<image>`` for container-based apps."""


def _no_latest(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    for path, value in iter_strings(args.props):
        if LATEST_REFERENCE.search(value):
            yield Finding(path, value, "an explicit version, not a latest/label reference")


def _pinned_model(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    path = MODEL_REFERENCE_PATHS[args.resource_type]
    value = get_path(args.props, path)
    if isinstance(value, str) and PINNED_REGISTRY_MODEL.match(value):
        return
    yield Finding(path, value, "azureml://registries/<registry>/models/<model>/versions/<number>")


def image_tag(reference: str) -> str | None:
    """The tag of an image reference; ``None`` when it has none (pulls ``latest``) or is digest-pinned."""
    if "@sha256:" in reference:
        return "@digest"
    last_segment = reference.rsplit("/", 1)[-1]
    if ":" not in last_segment:
        return None
    return last_segment.rsplit(":", 1)[1]


def _images(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    for path, key, value in iter_keys(args.props):
        if not isinstance(value, str):
            continue
        if key in FX_VERSION_KEYS:
            if not value.upper().startswith("DOCKER|"):
                continue
            reference = value.split("|", 1)[1]
        elif key in IMAGE_KEYS:
            reference = value
        else:
            continue
        tag = image_tag(reference)
        if tag is None or tag.lower() == "latest":
            yield Finding(path, value, "an image with an explicit tag other than latest (or a digest)")


POLICIES = [
    resource_rule(
        "ml-deployment-no-latest-reference",
        "Azure ML deployments never reference a model, environment or code asset as latest.",
        sorted(ML_DEPLOYMENT_TYPES),
        _no_latest,
    ),
    resource_rule(
        "ml-deployment-pinned-registry-model",
        "Azure ML deployments serve an explicit numeric version from the shared model registry.",
        sorted(ML_DEPLOYMENT_TYPES),
        _pinned_model,
    ),
    resource_rule(
        "container-image-not-latest",
        "Container images are pinned to a tag other than latest (or a digest).",
        [],
        _images,
    ),
]
"""The model and image pinning rules, in report order."""
