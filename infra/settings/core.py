"""Settings every stack has: where it deploys, what it is called, how it is tagged."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from infra.settings.base import StrictModel, did_you_mean

Environment = Literal["shared", "dev", "qa", "prod"]
"""The kinds of stack. ``shared`` holds what every environment uses."""

# Azure public regions (short names, as `az account list-locations` prints them).
AZURE_REGIONS: frozenset[str] = frozenset(
    {
        "australiaeast",
        "australiasoutheast",
        "brazilsouth",
        "canadacentral",
        "canadaeast",
        "centralindia",
        "centralus",
        "eastasia",
        "eastus",
        "eastus2",
        "francecentral",
        "germanywestcentral",
        "italynorth",
        "japaneast",
        "japanwest",
        "koreacentral",
        "northcentralus",
        "northeurope",
        "norwayeast",
        "polandcentral",
        "qatarcentral",
        "southafricanorth",
        "southcentralus",
        "southeastasia",
        "southindia",
        "spaincentral",
        "swedencentral",
        "switzerlandnorth",
        "uaenorth",
        "uksouth",
        "ukwest",
        "westcentralus",
        "westeurope",
        "westus",
        "westus2",
        "westus3",
    }
)

# Short region codes used inside resource names (CAF abbreviations).
REGION_CODES: dict[str, str] = {
    "australiaeast": "aue",
    "australiasoutheast": "ause",
    "brazilsouth": "brs",
    "canadacentral": "cac",
    "canadaeast": "cae",
    "centralindia": "inc",
    "centralus": "cus",
    "eastasia": "ea",
    "eastus": "eus",
    "eastus2": "eus2",
    "francecentral": "frc",
    "germanywestcentral": "gwc",
    "italynorth": "itn",
    "japaneast": "jpe",
    "japanwest": "jpw",
    "koreacentral": "krc",
    "northcentralus": "ncus",
    "northeurope": "neu",
    "norwayeast": "nwe",
    "polandcentral": "plc",
    "qatarcentral": "qac",
    "southafricanorth": "san",
    "southcentralus": "scus",
    "southeastasia": "sea",
    "southindia": "ins",
    "spaincentral": "spc",
    "swedencentral": "sdc",
    "switzerlandnorth": "szn",
    "uaenorth": "uan",
    "uksouth": "uks",
    "ukwest": "ukw",
    "westcentralus": "wcus",
    "westeurope": "weu",
    "westus": "wus",
    "westus2": "wus2",
    "westus3": "wus3",
}


def _check_region(value: str) -> str:
    if value not in AZURE_REGIONS:
        raise PydanticCustomError(
            "region",
            "'{value}' is not an Azure region name{hint} (use short names such as westeurope, eastus2)",
            {"value": value, "hint": did_you_mean(value, AZURE_REGIONS)},
        )
    return value


Region = Annotated[str, AfterValidator(_check_region)]
"""An Azure region's short name, e.g. ``westeurope``."""

_TAG_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")


class TagSettings(StrictModel):
    """Tags applied to every taggable resource (merged with ``environment``, ``workload``, ``managedBy``)."""

    owner: str = Field(min_length=3, max_length=256)
    """Required. Who answers for the estate (an e-mail or team alias)."""
    cost_center: str = Field(min_length=1, max_length=64)
    """Required. The cost centre that pays."""
    extra: dict[str, str] = {}
    """Optional. More tags. @default {}"""

    @field_validator("extra")
    @classmethod
    def _check_extra(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = {"environment", "workload", "owner", "costCenter", "managedBy"}
        for key, tag_value in value.items():
            if key in reserved:
                raise PydanticCustomError(
                    "tag", "tag '{key}' is set by the estate; remove it from extra", {"key": key}
                )
            if not _TAG_KEY.match(key) or any(ch in key for ch in "<>%&\\?/"):
                raise PydanticCustomError(
                    "tag",
                    "tag name '{key}' is invalid (letters, digits, _ . -; 1-128 chars; no <>%&\\?/)",
                    {"key": key},
                )
            if len(tag_value) > 256:
                raise PydanticCustomError(
                    "tag", "tag '{key}' value is longer than 256 characters", {"key": key}
                )
        return value


class PolicySettings(StrictModel):
    """How the CrossGuard pack's violations count for this stack."""

    enforcement: Literal["mandatory", "advisory"] | None = None
    """Optional. ``mandatory`` fails the preview (exit 1); ``advisory`` only reports.
    @default advisory in dev, mandatory elsewhere (it cannot be advisory in qa or prod)."""


class LifecycleSettings(StrictModel):
    """Delete and replace behaviour of stateful resources."""

    protect: bool | None = None
    """Optional. ``protect`` stateful resources (registry, workspace, Key Vault, storage, ACR,
    Log Analytics). @default false in dev, true elsewhere (must be true in qa and prod)."""
    retain_on_delete: bool | None = None
    """Optional. Keep data-bearing resources in Azure when they leave the stack.
    @default false in dev, true elsewhere (must be true in prod)."""
    recreate_after_delete: bool = False
    """Optional. Dev only: lets a torn-down dev stack come back while Azure still holds the
    soft-deleted names (Key Vault, workspace, Log Analytics) by stepping the name suffix.
    See docs/runbooks/soft-delete.md. @default false"""
    name_generation: int = Field(default=0, ge=0, le=9)
    """Optional. Bumped to step around names Azure keeps reserved after a delete
    (only with ``recreateAfterDelete``). @default 0"""
