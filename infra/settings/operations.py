"""Operations: monitoring and alerts, the retraining loop, Databricks and Data Factory."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from infra.settings.base import StrictModel

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class AlertThresholds(StrictModel):
    """Metric alert thresholds of online endpoints and the cluster."""

    latency_ms: int = Field(default=500, ge=10, le=60000)
    """Optional. Request latency (average over the window) that fires an alert. @default 500"""
    error_rate_percent: float = Field(default=1.0, gt=0, le=100)
    """Optional. 5xx responses as a share of requests. @default 1.0"""
    cpu_percent: int = Field(default=80, ge=10, le=100)
    """Optional. @default 80"""
    memory_percent: int = Field(default=85, ge=10, le=100)
    """Optional. @default 85"""
    disk_percent: int = Field(default=85, ge=10, le=100)
    """Optional. @default 85"""
    window_minutes: Literal[5, 15, 30, 60] = 15
    """Optional. Evaluation window. @default 15"""


class MonitoringSettings(StrictModel):
    """Alerts and Azure ML model monitoring."""

    enabled: bool = True
    """Optional. @default true"""
    alert_emails: list[str] = Field(default_factory=list, max_length=20)
    """Optional. Receivers of the action group. @default []"""
    thresholds: AlertThresholds = AlertThresholds()
    """Optional. @default see AlertThresholds"""
    drift_threshold: float = Field(default=0.1, gt=0, le=1)
    """Optional. Normalized Wasserstein / Jensen-Shannon distance that counts as drift. @default 0.1"""

    @field_validator("alert_emails")
    @classmethod
    def _check_emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not _EMAIL.match(email):
                raise PydanticCustomError("email", "'{email}' is not an e-mail address", {"email": email})
        return value


class RetrainingTriggers(StrictModel):
    """Which events retrain one model."""

    schedule: str | None = None
    """Optional. NCRONTAB (6 fields) schedule, e.g. '0 0 2 * * 1'. @default none"""
    new_data: bool = False
    """Optional. Retrain when a blob lands in the model's landing container. @default false"""
    drift: bool = False
    """Optional. Retrain when the model monitor's drift alert fires. @default false"""

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 6:
            raise PydanticCustomError(
                "schedule", "'{value}' is not a 6-field NCRONTAB expression (sec min hour day month weekday)",
                {"value": value},
            )
        return value


class RetrainingSettings(StrictModel):
    """The retraining loop (Function App)."""

    enabled: bool = False
    """Optional. @default false"""
    cooldown_minutes: int = Field(default=1440, ge=10, le=43200)
    """Optional. At most one retrain per model in this window, whatever fires. @default 1440"""
    models: dict[str, RetrainingTriggers] = Field(default_factory=dict)
    """Optional. Triggers per model (keys are models of this stack). @default {}"""


class DatabricksSettings(StrictModel):
    """Databricks workspace for batch work (VNet-injected, no public IP)."""

    enabled: bool = False
    """Optional. @default false"""
    public_network_access: bool = False
    """Optional. @default false"""


class DataFactorySettings(StrictModel):
    """Data Factory that schedules the Databricks batch-inference job."""

    enabled: bool = False
    """Optional. @default false"""
