"""The models a stack serves: endpoints, deployment slots pinned to registry versions, traffic.

The stack file is the promotion interface: changing one slot's ``version`` promotes a model.

Day 0: a slot without ``version`` is *declared, not yet registered*: the model's endpoint
deploys, but that slot gets no deployment and no traffic until a version is registered and
pinned (``estate promote``). Only dev may hold such slots (qa and prod serve promoted,
registered versions only; see :data:`UNREGISTERED_SLOT_ENVIRONMENTS`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from infra.settings.base import LooseStr, StrictModel
from infra.settings.vm_sizes import describe_unknown, is_managed_online_size

MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
SLOT_NAME = re.compile(r"^[a-z][a-z0-9-]{2,31}$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,2}$")


def _check_version(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise PydanticCustomError(
            "model_version", 'empty version; pin an explicit registry version such as "4"', {}
        )
    if stripped.lower() == "latest" or stripped.startswith("@"):
        raise PydanticCustomError(
            "model_version",
            "'{value}' is not an explicit registry version; deployments are pinned, e.g. version: \"4\"",
            {"value": value},
        )
    if not VERSION.match(stripped):
        raise PydanticCustomError(
            "model_version",
            '\'{value}\' is not an explicit registry version (a label or malformed); use digits such as "4" or "1.2.0"',
            {"value": value},
        )
    return stripped


ModelVersion = Annotated[LooseStr, AfterValidator(_check_version)]
"""An explicit registry model version: digits (``"4"``, ``"1.2.0"``), never ``latest`` or a label."""


UNREGISTERED_SLOT_ENVIRONMENTS: tuple[str, ...] = ("dev",)
"""Environments whose stack files may declare a slot without a registered version (day 0).
qa and prod are promoted to a registered version; an unpinned slot there is refused."""


class DeploymentSlot(StrictModel):
    """One deployment of an endpoint, pinned to one registry version (or declared, day 0)."""

    version: ModelVersion | None = None
    """Optional. The registry model version this slot serves. Without it the slot is declared but
    not yet registered: no deployment and no traffic until a version is pinned (dev only).
    @default none (declared, not yet registered)"""
    traffic: int = Field(default=0, ge=0, le=100)
    """Optional. Share of live traffic in percent. @default 0"""
    instance_type: str | None = Field(
        default=None, pattern=r"^(Standard_[A-Za-z0-9_]+|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$"
    )
    """Optional. Managed and batch: a VM size (``Standard_*``), overriding the spec's ``instance_type``;
    kubernetes: an instance type of the cluster's Azure ML extension. @default from deployment.yml
    (managed), ``defaultinstancetype`` (kubernetes)"""
    instance_count: int | None = Field(default=None, ge=1, le=50)
    """Optional. Instances; overrides the spec's ``instance_count``. @default from deployment.yml"""


class AutoscaleSettings(StrictModel):
    """Azure Monitor autoscale of a managed online deployment (CPU based)."""

    min_instances: int = Field(default=1, ge=1, le=50)
    """Optional. @default 1"""
    max_instances: int = Field(default=3, ge=1, le=50)
    """Optional. @default 3"""
    target_cpu_percent: int = Field(default=70, ge=10, le=95)
    """Optional. Scale out above, in below (minus 20 points). @default 70"""

    @model_validator(mode="after")
    def _check_bounds(self) -> AutoscaleSettings:
        if self.min_instances > self.max_instances:
            raise PydanticCustomError(
                "bounds",
                "minInstances {min} is greater than maxInstances {max}",
                {"min": self.min_instances, "max": self.max_instances},
            )
        return self


class RequestSettings(StrictModel):
    """Scoring request limits of online deployments (override the spec's ``request_settings``)."""

    request_timeout_ms: int | None = Field(default=None, ge=1, le=180000)
    """Optional. @default from deployment.yml (Azure: 5000)"""
    max_concurrent_requests_per_instance: int | None = Field(default=None, ge=1, le=1000)
    """Optional. @default from deployment.yml (Azure: 1)"""
    max_queue_wait_ms: int | None = Field(default=None, ge=0, le=600000)
    """Optional. @default from deployment.yml (Azure: 500)"""


class ProbeSettings(StrictModel):
    """A liveness or readiness probe of online deployments (overrides the spec's probe)."""

    initial_delay: int | None = Field(default=None, ge=1, le=3600)
    """Optional. Seconds. @default from deployment.yml (Azure: 10)"""
    period: int | None = Field(default=None, ge=1, le=600)
    """Optional. Seconds. @default from deployment.yml (Azure: 10)"""
    timeout: int | None = Field(default=None, ge=1, le=600)
    """Optional. Seconds. @default from deployment.yml (Azure: 2)"""
    success_threshold: int | None = Field(default=None, ge=1, le=10)
    """Optional. @default from deployment.yml (Azure: 1)"""
    failure_threshold: int | None = Field(default=None, ge=1, le=100)
    """Optional. @default from deployment.yml (Azure: 30)"""


class ByomSource(StrictModel):
    """Bring your own model: an externally trained artifact registered as a registry version."""

    artifact_uri: str = Field(pattern=r"^(azureml://|https://[a-z0-9]{3,24}\.blob\.core\.windows\.net/).+")
    """Required. Where the artifact lives: an ``azureml://`` datastore path or a blob URL."""
    version: ModelVersion
    """Required. The registry version to create for it."""
    model_type: Literal["custom_model", "mlflow_model", "triton_model"] = "custom_model"
    """Optional. @default custom_model"""
    description: str = ""
    """Optional. @default ''"""


class ModelSettings(StrictModel):
    """A model served by this stack."""

    kind: Literal["ml", "rule-based"]
    """Required. ``ml`` (trained) or ``rule-based`` (scored by rules, no training step)."""
    serving: Literal["online", "batch"]
    """Required. Real-time endpoint or batch endpoint."""
    target: Literal["managed", "kubernetes"] = "managed"
    """Optional. Online only: managed compute or the environment's AKS cluster. @default managed"""
    deployments: dict[str, DeploymentSlot] = Field(min_length=1, max_length=8)
    """Required. Slots by name (e.g. blue, green), each pinned to a version."""
    mirror_traffic: dict[str, int] = Field(default_factory=dict)
    """Optional. Shadow traffic per slot in percent (0-50), only on slots without live traffic. @default {}"""
    auth_mode: Literal["key", "aml_token", "aad_token"] | None = None
    """Optional. Endpoint auth. @default aad_token for managed online, aml_token for kubernetes,
    aad_token for batch (batch endpoints accept Entra tokens only)."""
    autoscale: AutoscaleSettings | None = None
    """Optional. Managed online only: CPU autoscale of every slot. @default none (fixed instance count)"""
    spec: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,30}$")
    """Optional. The folder under model_assets/ with this model's Azure ML specs and code, when it
    is not the model's own name (several endpoints can serve one spec). @default the model's name"""
    registry_model: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
    """Optional. The model's name in the shared registry, when it differs from the key.
    @default the model's name"""
    byom: ByomSource | None = None
    """Optional. Register an externally trained artifact as a registry version. @default none"""
    app_insights: bool | None = None
    """Optional. Online only: request logging to the workspace's Application Insights. @default from
    deployment.yml (``app_insights_enabled``)"""
    request_settings: RequestSettings | None = None
    """Optional. Online only: request limits of every slot. @default from deployment.yml"""
    liveness_probe: ProbeSettings | None = None
    """Optional. Online only: liveness probe of every slot. @default from deployment.yml"""
    readiness_probe: ProbeSettings | None = None
    """Optional. Online only: readiness probe of every slot. @default from deployment.yml"""
    user_assigned_identity_id: str | None = Field(
        default=None,
        pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/[^/]+$",
    )
    """Optional. Endpoint identity: this user-assigned identity instead of a system-assigned one.
    @default system-assigned"""

    @model_validator(mode="after")
    def _check_model(self) -> ModelSettings:
        for slot in self.deployments:
            if not SLOT_NAME.match(slot):
                raise PydanticCustomError(
                    "slot_name",
                    "deployment slot name '{slot}' is invalid (3-32 chars: lower-case letter first, then letters, digits, -)",
                    {"slot": slot},
                )
        total = sum(slot.traffic for slot in self.deployments.values())
        if self.serving == "online" and total != 100:
            raise PydanticCustomError(
                "traffic",
                "deployments traffic adds up to {total}, it must add up to 100 ({detail})",
                {
                    "total": total,
                    "detail": ", ".join(f"{k}={v.traffic}" for k, v in self.deployments.items()),
                },
            )
        if self.serving == "batch":
            defaults = [k for k, v in self.deployments.items() if v.traffic == 100]
            if len(defaults) != 1 or total != 100:
                raise PydanticCustomError(
                    "traffic",
                    "a batch model has exactly one default slot with traffic 100 and the others 0 (got {detail})",
                    {"detail": ", ".join(f"{k}={v.traffic}" for k, v in self.deployments.items())},
                )
            if self.target != "managed":
                raise PydanticCustomError(
                    "target", "batch models run on the workspace cluster; target must be managed", {}
                )
            if self.mirror_traffic:
                raise PydanticCustomError("mirror", "mirrorTraffic applies to online models only", {})
            if self.autoscale is not None:
                raise PydanticCustomError("autoscale", "autoscale applies to managed online models only", {})
        for message in unregistered_slot_problems(self):
            raise PydanticCustomError("unregistered", message, {})
        for slot, percent in self.mirror_traffic.items():
            if slot not in self.deployments:
                raise PydanticCustomError(
                    "mirror",
                    "mirrorTraffic.{slot}: no such deployment slot (slots: {slots})",
                    {"slot": slot, "slots": ", ".join(self.deployments)},
                )
            if not 0 <= percent <= 50:
                raise PydanticCustomError(
                    "mirror",
                    "mirrorTraffic.{slot} is {percent}; mirror traffic is 0-50 percent",
                    {"slot": slot, "percent": percent},
                )
            if percent > 0 and self.deployments[slot].traffic > 0:
                raise PydanticCustomError(
                    "mirror",
                    "mirrorTraffic.{slot} is {percent} but slot {slot} takes {live}% live traffic; mirror only a slot with traffic 0",
                    {"slot": slot, "percent": percent, "live": self.deployments[slot].traffic},
                )
        for slot_name, deployment in self.deployments.items():
            size = deployment.instance_type
            if size is None:
                continue
            if self.target == "kubernetes" and size.startswith("Standard_"):
                raise PydanticCustomError(
                    "instance_type",
                    "deployments.{slot}.instanceType '{size}' is a VM size; kubernetes deployments name an instance "
                    "type of the cluster's Azure ML extension (e.g. defaultinstancetype)",
                    {"slot": slot_name, "size": size},
                )
            if self.target == "managed" and not size.startswith("Standard_"):
                raise PydanticCustomError(
                    "instance_type",
                    "deployments.{slot}.instanceType '{size}' is not a VM size; use Standard_* (e.g. Standard_DS3_v2)",
                    {"slot": slot_name, "size": size},
                )
            if self.target == "managed" and self.serving == "online" and not is_managed_online_size(size):
                raise PydanticCustomError(
                    "instance_type",
                    "deployments.{slot}.instanceType {detail}",
                    {"slot": slot_name, "detail": describe_unknown(size)},
                )
        if self.serving == "batch":
            online_only = [
                key
                for key, value in (
                    ("appInsights", self.app_insights),
                    ("requestSettings", self.request_settings),
                    ("livenessProbe", self.liveness_probe),
                    ("readinessProbe", self.readiness_probe),
                )
                if value is not None
            ]
            if online_only:
                raise PydanticCustomError(
                    "online_only", "{keys} apply to online models only", {"keys": ", ".join(online_only)}
                )
        if self.target == "kubernetes" and self.auth_mode == "aad_token":
            raise PydanticCustomError(
                "auth_mode",
                "authMode aad_token is not available on kubernetes endpoints; use aml_token or key",
                {},
            )
        if self.target == "kubernetes" and self.autoscale is not None:
            raise PydanticCustomError(
                "autoscale",
                "autoscale applies to managed online deployments; kubernetes deployments scale in AKS",
                {},
            )
        if self.serving == "batch" and self.auth_mode not in (None, "aad_token"):
            raise PydanticCustomError(
                "auth_mode", "batch endpoints accept Entra tokens only; authMode must be aad_token", {}
            )
        return self

    @property
    def effective_auth_mode(self) -> str:
        """The auth mode after defaults."""
        if self.auth_mode is not None:
            return self.auth_mode
        return "aml_token" if self.target == "kubernetes" else "aad_token"

    @property
    def unregistered_slots(self) -> list[str]:
        """Slots declared without a registered version (day 0), in file order."""
        return [slot for slot, d in self.deployments.items() if d.version is None]

    @property
    def champion_slot(self) -> str:
        """The slot with the most live traffic (first in file order on a tie)."""
        return max(self.deployments, key=lambda k: self.deployments[k].traffic)


def check_model_name(name: str) -> str:
    """Validate a model key under ``mlops-estate:models``."""
    if not MODEL_NAME.match(name):
        raise PydanticCustomError(
            "model_name",
            "model name '{name}' is invalid (2-31 chars: lower-case letter first, then letters, digits, _)",
            {"name": name},
        )
    return name


def unregistered_note(model: str, slot: str) -> str:
    """The one line a preview prints for a slot declared without a registered version (day 0)."""
    return f"{model}/{slot}: no registered version yet; deploys after the first registration"


def unregistered_slot_problems(model: ModelSettings) -> list[str]:
    """What is wrong with a model's unregistered (version-less) slots, as messages (none = fine).

    Rules: either every slot is unregistered (day 0: the endpoint alone deploys), or the
    unregistered slots take no live or mirror traffic (the registered ones carry it all); a
    BYOM model registers its own version, so its slots are pinned to it.
    """
    pending = model.unregistered_slots
    if not pending:
        return []
    problems: list[str] = []
    if model.byom is not None:
        problems.append(
            f"deployments.{pending[0]} has no version, but byom registers version "
            f"'{model.byom.version}'; pin it: version: \"{model.byom.version}\""
        )
    if len(pending) < len(model.deployments):
        live = [s for s in pending if model.deployments[s].traffic or model.mirror_traffic.get(s)]
        if live:
            problems.append(
                f"deployments.{live[0]} has no registered version but takes traffic; while other slots "
                "are pinned, an unregistered slot takes traffic 0 (pin a version or move its traffic)"
            )
    return problems
