"""Operations: monitoring and alerts, the retraining loop, Databricks and Data Factory."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from infra import vocabulary
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
    prediction_drift_threshold: float = Field(default=0.1, gt=0, le=1)
    """Optional. Jensen-Shannon distance of the prediction distribution that counts as drift. @default 0.1"""
    data_quality_threshold: float = Field(default=0.05, gt=0, le=1)
    """Optional. Share of null / out-of-range / wrong-type values that fails data quality. @default 0.05"""
    model_monitoring: bool = False
    """Optional. Azure ML model monitors (data drift, prediction drift, data quality) on every
    online model's production data; maturity level 5 only. @default false"""
    monitor_hour_utc: int = Field(default=3, ge=0, le=23)
    """Optional. Hour (UTC) at which the daily model monitors run. @default 3"""
    lookback_days: int = Field(default=7, ge=1, le=90)
    """Optional. Production data window each monitor run compares with the training data. @default 7"""
    task_types: dict[str, Literal["Classification", "Regression"]] = Field(default_factory=dict)
    """Optional. The monitored task per online model (keys are models of this stack). @default Regression"""
    failed_runs_threshold: int = Field(default=1, ge=1, le=100)
    """Optional. Failed Azure ML runs (training pipelines, monitors) in a window that fire an alert. @default 1"""

    @field_validator("alert_emails")
    @classmethod
    def _check_emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not _EMAIL.match(email):
                raise PydanticCustomError("email", "'{email}' is not an e-mail address", {"email": email})
        return value


class BudgetSettings(StrictModel):
    """The stack's Azure budget (Cost Management) at resource-group scope, with alerts."""

    enabled: bool = True
    """Optional. @default true"""
    amount_usd: float | None = Field(default=None, gt=0, le=10_000_000)
    """Optional. Monthly amount in USD. @default the stack's own estimate: ``estate cost STACK``'s
    idle monthly total, which ``estate cost STACK --set-budget`` writes here"""
    thresholds: list[int] = Field(default_factory=lambda: [80, 100, 120], min_length=1, max_length=5)
    """Optional. Alert at these percentages of the amount (actual cost; 1-1000). @default [80, 100, 120]"""
    forecast_threshold: int | None = Field(default=100, ge=1, le=1000)
    """Optional. Also alert when the month's *forecast* passes this percentage (none to skip). @default 100"""
    start_date: str = Field(default="2026-01-01", pattern=r"^\d{4}-\d{2}-01$")
    """Optional. First month the budget tracks (the first of a month). @default 2026-01-01"""
    contact_emails: list[str] = Field(default_factory=list, max_length=20)
    """Optional. Who gets the budget alerts. @default monitoring.alertEmails"""

    @field_validator("contact_emails")
    @classmethod
    def _check_emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not _EMAIL.match(email):
                raise PydanticCustomError("email", "'{email}' is not an e-mail address", {"email": email})
        return value

    @field_validator("thresholds")
    @classmethod
    def _check_thresholds(cls, value: list[int]) -> list[int]:
        for percent in value:
            if not 1 <= percent <= 1000:
                raise PydanticCustomError(
                    "threshold", "{percent} is not a percentage of the budget (1-1000)", {"percent": percent}
                )
        if len(set(value)) != len(value):
            raise PydanticCustomError("threshold", "thresholds repeat a value: {value}", {"value": value})
        return sorted(value)


class RetrainingTriggers(StrictModel):
    """Which events retrain one model."""

    schedule: str | None = None
    """Optional. NCRONTAB (6 fields) schedule, e.g. '0 0 2 * * 1'. @default none"""
    new_data: bool = False
    """Optional. Retrain when a blob lands in the model's landing container. @default false"""
    drift: bool = False
    """Optional. Retrain when the model monitor's drift alert fires. @default false"""
    landing_prefix: str = Field(default="", max_length=200, pattern=r"^([A-Za-z0-9_.=-][A-Za-z0-9_./=-]*)?$")
    """Optional. With ``newData``: only blobs whose name starts with this prefix retrain ('' for all). @default ''"""

    @property
    def any(self) -> bool:
        """Whether any trigger is on."""
        return self.schedule is not None or self.new_data or self.drift

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 6:
            raise PydanticCustomError(
                "schedule",
                "'{value}' is not a 6-field NCRONTAB expression (sec min hour day month weekday)",
                {"value": value},
            )
        return value


class TrainPipelineSettings(StrictModel):
    """The Azure DevOps train pipeline the retraining Function App queues."""

    organization_url: str = Field(
        pattern=r"^https://(dev\.azure\.com/[A-Za-z0-9][A-Za-z0-9-]{0,48}|[A-Za-z0-9][A-Za-z0-9-]{0,48}\.visualstudio\.com)/?$"
    )
    """Required. e.g. https://dev.azure.com/contoso."""
    project: str = Field(min_length=1, max_length=64)
    """Required. The Azure DevOps project holding the train pipeline."""
    definition_id: int = Field(ge=1)
    """Required. The train pipeline's definition id (it declares the parameters model, stack, reason)."""


class RetrainingSettings(StrictModel):
    """The retraining loop (Function App)."""

    enabled: bool = False
    """Optional. @default false"""
    train_pipeline: TrainPipelineSettings | None = None
    """Optional. The pipeline every trigger queues. @default the shared stack's train pipeline
    (its outputs devopsOrganizationUrl, devopsProjectName, devopsPipelineIds.train)"""
    max_instances: int = Field(default=3, ge=1, le=20)
    """Optional. Elastic Premium burst limit of the Function App. @default 3"""
    zone_redundant: bool | None = None
    """Optional. Zone-redundant Function plan keeping three EP1 instances (about three times the
    cost of one). @default true in prod, false elsewhere"""
    cooldown_minutes: int = Field(default=vocabulary.RETRAIN_COOLDOWN_MINUTES, ge=10, le=43200)
    """Optional. At most one retrain per model in this window, whatever fires. @default 1440"""
    models: dict[str, RetrainingTriggers] = Field(default_factory=dict)
    """Optional. Triggers per model (keys are models of this stack). @default {}"""


class DatabricksSettings(StrictModel):
    """Databricks workspace for batch work (VNet-injected, no public IP)."""

    enabled: bool = False
    """Optional. @default false"""
    public_network_access: bool = False
    """Optional. @default false"""
    spark_version: str = Field(default="15.4.x-scala2.12", pattern=r"^[0-9]+\.[0-9]+\.x-[a-z0-9.-]+$")
    """Optional. Databricks Runtime (LTS) of job clusters. @default 15.4.x-scala2.12"""
    node_types: list[str] = Field(default_factory=lambda: ["Standard_D4ds_v5"], min_length=1, max_length=10)
    """Optional. VM sizes the cluster policy allows (the first is the default). @default [Standard_D4ds_v5]"""
    max_workers: int = Field(default=4, ge=1, le=100)
    """Optional. Autoscale ceiling the cluster policy allows. @default 4"""
    repository_url: str | None = Field(default=None, pattern=r"^https://\S+$")
    """Conditional. Git URL of this repository (batch jobs run their scoring entry from it);
    required when a batch model exists. @default none"""
    repository_branch: str = Field(default="main", min_length=1, max_length=100)
    """Optional. Branch batch jobs run from when no ``repositoryCommit`` pins them (dev). @default main"""
    repository_commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
    """Conditional. The commit batch jobs run from (full SHA-1, e.g. the release commit); required in
    prod when a batch model exists, so prod never runs the head of a branch. Overrides
    ``repositoryBranch``. @default none (the branch head: dev and qa)"""
    registry_catalog: str = Field(default="mlops_models", pattern=r"^[a-z][a-z0-9_]{1,62}$")
    """Optional. Shared stack: the Unity Catalog catalog that holds the shared models. @default mlops_models"""


class DataFactorySettings(StrictModel):
    """Data Factory that schedules the Databricks batch-inference job."""

    enabled: bool = False
    """Optional. @default false"""
    frequency: Literal["Hour", "Day", "Week"] = "Day"
    """Optional. How often each batch-inference job runs. @default Day"""
    interval: int = Field(default=1, ge=1, le=24)
    """Optional. Every ``interval`` frequency units. @default 1"""
    hour_utc: int = Field(default=2, ge=0, le=23)
    """Optional. Hour (UTC) of the run for Day and Week. @default 2"""
    start_time: str = Field(default="2026-01-01T00:00:00Z", pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
    """Optional. When the schedule starts (UTC, ISO 8601). @default 2026-01-01T00:00:00Z"""
