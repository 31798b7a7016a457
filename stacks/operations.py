"""Composition step: monitoring, retraining loop, Databricks, Data Factory, maturity level.

Order inside an environment: operational alerts (``Monitoring``) → the retraining loop (its
drift queue receives the monitors' threshold breaches) → one ``ModelMonitor`` per online
model → Databricks (batch-inference jobs) → Data Factory (schedules those jobs). What a stack
provisions follows its maturity level; ``infra/settings/stack.py`` refuses settings that
enable more or less than the claimed level includes, and ``infra/maturity.py`` reads the
resulting plan back to prove the level.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from infra.errors import ConfigError
from infra.settings.stack import EnvironmentStackSettings
from infra.vocabulary import TRAINING_STACK
from stacks.context import StackContext

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
BATCH_ENTRY = "model_assets/{model}/src/score.py"
"""Where a batch model's scoring entry lives in this repository (the Databricks job runs it)."""
"""The stack whose workspace trains and whose identities write the shared registry: every
retraining trigger (drift, schedule, new data) queues the train pipeline there, never in the
stack that serves (pipelines/train.yml accepts only this stack)."""
REFERENCE_DATA = "azureml://registries/{registry}/data/{model}-training/labels/latest"
"""The reference data asset a model monitor compares production data with: the training split
the train pipeline's register step puts into the shared registry as ``<model>-training`` (an
MLTable) together with each registered version (``model_assets/<model>/src/register.py``)."""


def _reference_data_uri(registry: str, *, model: str) -> str:
    """The model's labelled training data in the shared registry (the drift baseline)."""
    return REFERENCE_DATA.format(registry=registry, model=model.replace("_", "-"))


def compose_operations(ctx: StackContext) -> None:
    """Monitoring, alerts, retraining, Databricks, Data Factory for an environment."""
    settings = ctx.environment_settings
    ctx.outputs["maturityLevel"] = settings.maturity_level
    monitoring = _monitoring(ctx, settings) if settings.monitoring.enabled else None
    if settings.budget.enabled and settings.budget.amount_usd is not None:
        _budget(ctx, settings, monitoring)
    retraining = _retraining(ctx, settings) if settings.retraining.enabled else None
    if settings.monitoring.model_monitoring and monitoring is not None:
        _model_monitors(ctx, settings, monitoring, retraining)
    if settings.databricks.enabled:
        workspace = _databricks(ctx, settings)
        if settings.data_factory.enabled:
            _data_factory(ctx, settings, workspace)


def _budget(ctx: StackContext, settings: EnvironmentStackSettings, monitoring: Any) -> None:
    """The stack's Azure budget (alerts to the ops e-mails and action group)."""
    from components.budget import Budget, BudgetArgs

    budget = settings.budget
    if budget.amount_usd is None:
        return
    args = BudgetArgs(
        scope=ctx.resource_group_id,
        budget_name="budget-" + ctx.namer.name("resource_group").removeprefix("rg-"),
        amount_usd=budget.amount_usd,
        thresholds=list(budget.thresholds),
        forecast_threshold=budget.forecast_threshold,
        start_date=budget.start_date,
        contact_emails=list(budget.contact_emails or settings.monitoring.alert_emails),
    )
    if monitoring is not None:
        args["action_group_id"] = monitoring.action_group_id
    ctx.parts.budget = Budget("budget", args, opts=ctx.opts())


def _online_models(ctx: StackContext, settings: EnvironmentStackSettings) -> dict[str, Any]:
    parts = ctx.parts.models
    return {
        name: parts[name]
        for name, model in settings.models.items()
        if model.serving == "online" and name in parts
    }


def _monitoring(ctx: StackContext, settings: EnvironmentStackSettings) -> Any:
    from components.monitoring import Monitoring

    thresholds = settings.monitoring.thresholds
    args: dict[str, Any] = {
        "resource_group_name": ctx.resource_group_name,
        "location": ctx.location,
        "name_prefix": f"{settings.workload}-{settings.environment}",
        "action_group_name": ctx.namer.name("action_group", "ops"),
        "log_analytics_id": ctx.parts.observability.log_analytics_id,
        "workspace_id": ctx.parts.workspace.workspace_id,
        "alert_emails": list(settings.monitoring.alert_emails),
        "endpoints": {
            name: {
                "endpoint_id": part.endpoint_id,
                "endpoint_name": part.endpoint_name,
                "deployment_ids": dict(part.deployment_ids),
            }
            for name, part in _online_models(ctx, settings).items()
        },
        "thresholds": thresholds.model_dump(by_alias=False),
        "failed_runs_threshold": settings.monitoring.failed_runs_threshold,
        "tags": ctx.tags,
    }
    if ctx.parts.aks is not None:
        args["aks_cluster_id"] = ctx.parts.aks.cluster_id
    monitoring = Monitoring("monitoring", args, opts=ctx.opts())  # type: ignore[arg-type]
    ctx.parts.monitoring = monitoring
    ctx.outputs["alertActionGroupId"] = monitoring.action_group_id
    return monitoring


def _retraining(ctx: StackContext, settings: EnvironmentStackSettings) -> Any:
    from components.retraining import RetrainingLoop
    from components.retraining.component import PACKAGE_BLOB, RELEASE_CONTAINER

    network = ctx.parts.network
    observability = ctx.parts.observability
    pipeline = settings.retraining.train_pipeline
    if pipeline is not None:  # an explicit override (another organisation or project)
        train_pipeline: dict[str, Any] = {
            "organization_url": pipeline.organization_url,
            "project": pipeline.project,
            "definition_id": pipeline.definition_id,
        }
    else:  # the train pipeline the shared stack defines (pipelines/train.yml)
        train_pipeline = {
            "organization_url": ctx.shared_output("devopsOrganizationUrl"),
            "project": ctx.shared_output("devopsProjectName"),
            "definition_id": ctx.shared_output("devopsPipelineIds").apply(lambda ids: ids["train"]),
        }
    private = settings.network.private_endpoints
    args: dict[str, Any] = {
        "resource_group_name": ctx.resource_group_name,
        "location": ctx.location,
        "environment": TRAINING_STACK,  # the train pipeline's stack parameter
        "names": {
            "plan": ctx.namer.name("app_service_plan", "retrain", key="mlops-estate:retraining"),
            "app": ctx.namer.name("function_app", "retrain", key="mlops-estate:retraining"),
            "host_storage": ctx.namer.name("storage_account", "fn", key="mlops-estate:retraining"),
            "landing_storage": ctx.namer.name("storage_account", "land", key="mlops-estate:retraining"),
            "package_storage": ctx.namer.name("storage_account", "pkg", key="mlops-estate:retraining"),
            "identity": ctx.namer.name("user_assigned_identity", "retrain", key="mlops-estate:retraining"),
            "system_topic": ctx.namer.name("eventgrid_topic", "landing", key="mlops-estate:retraining"),
        },
        "models": {
            name: {
                "schedule": t.schedule,
                "new_data": t.new_data,
                "landing_prefix": t.landing_prefix,
                "drift": t.drift,
            }
            for name, t in settings.retraining.models.items()
            if t.any
        },
        "cooldown_minutes": settings.retraining.cooldown_minutes,
        "train_pipeline": train_pipeline,
        "functions_subnet_id": network.subnet_ids["functions"],
        "log_analytics_id": observability.log_analytics_id,
        "app_insights_id": observability.app_insights_id,
        "app_insights_connection_string": observability.app_insights_connection_string,
        "private_endpoints": private,
        "scm_subnet_id": network.subnet_ids["agents"],
        "storage_sku": "Standard_ZRS" if settings.environment == "prod" else "Standard_LRS",
        "max_instances": settings.retraining.max_instances,
        "zone_redundant": settings.retraining.zone_redundant
        if settings.retraining.zone_redundant is not None
        else settings.environment == "prod",
        "tags": ctx.tags,
        "lifecycle": ctx.lifecycle,
    }
    if private:
        args["private_endpoint_subnet_id"] = network.subnet_ids["privateEndpoints"]
        args["private_dns_zone_ids"] = network.private_dns_zone_ids
    try:
        loop = RetrainingLoop("retraining", args, opts=ctx.opts())  # type: ignore[arg-type]
    except ConfigError as exc:
        raise ConfigError(exc.detail, file=ctx.loaded.file, key=exc.key) from None
    ctx.parts.retraining = loop
    ctx.outputs["retrainingFunctionApp"] = loop.function_app_name
    # Where the deploy pipeline uploads the app's package (WEBSITE_RUN_FROM_PACKAGE reads it).
    ctx.outputs["retrainingPackage"] = {
        "storageAccount": args["names"]["host_storage"],
        "container": RELEASE_CONTAINER,
        "blob": PACKAGE_BLOB,
        "functionApp": loop.function_app_name,
        "resourceGroup": ctx.resource_group_name,
    }
    ctx.outputs["retrainingPrincipalId"] = loop.principal_id
    ctx.outputs["landingContainers"] = loop.landing_containers
    return loop


def _model_monitors(
    ctx: StackContext, settings: EnvironmentStackSettings, monitoring: Any, retraining: Any
) -> None:
    from components.model_monitor import ModelMonitor, MonitorEvents

    config = settings.monitoring
    drift = sorted(
        name
        for name in _online_models(ctx, settings)
        if (t := settings.retraining.models.get(name)) and t.drift
    )
    if retraining is not None and drift:
        # The drift trigger: a monitor's threshold breach event → the retraining Function's queue.
        MonitorEvents(
            "monitor-events",
            {
                "resource_group_name": ctx.resource_group_name,
                "location": ctx.location,
                "workspace_id": ctx.parts.workspace.workspace_id,
                "system_topic_name": ctx.namer.name("eventgrid_topic", "mlw"),
                "queue_account_id": retraining.event_account_id,
                "queue_name": retraining.drift_queue,
                "queue_id": retraining.drift_queue_id,
                "dead_letter_container_id": retraining.dead_letter_container_id,
                "models": drift,
                "tags": ctx.tags,
            },
            opts=ctx.opts(),
        )
    for name, part in sorted(_online_models(ctx, settings).items()):
        model = settings.models[name]
        slot = model.champion_slot
        if slot not in part.deployment_ids:
            continue  # declared, not yet registered: nothing to monitor before the first version
        groups = [monitoring.action_group_id]  # on-call only: a failed monitor run is not drift
        ModelMonitor(
            f"monitor-{name}",
            {
                "resource_group_name": ctx.resource_group_name,
                "location": ctx.location,
                "workspace_name": ctx.parts.workspace.workspace_name,
                "model": name,
                "endpoint_name": part.endpoint_name,
                "deployment_name": slot,
                "deployment_id": part.deployment_ids[slot],
                "task_type": config.task_types.get(name, "Regression"),
                "reference_data_uri": ctx.shared_output("registryName").apply(
                    functools.partial(_reference_data_uri, model=name)
                ),
                "log_analytics_id": ctx.parts.observability.log_analytics_id,
                "action_group_ids": groups,
                "rule_name": f"{settings.workload}-{settings.environment}-{name}-drift",
                "drift_threshold": config.drift_threshold,
                "prediction_drift_threshold": config.prediction_drift_threshold,
                "data_quality_threshold": config.data_quality_threshold,
                "hour_utc": config.monitor_hour_utc,
                "lookback_days": config.lookback_days,
                "alert_emails": list(config.alert_emails),
                "tags": ctx.tags,
            },
            opts=ctx.opts(),
        )


BATCH_DATA = "/dbfs/mlops-batch/{model}"
"""Where a batch job reads ``input/*.csv`` and writes ``output/predictions.csv`` (DBFS)."""


def _batch_jobs(ctx: StackContext, settings: EnvironmentStackSettings) -> dict[str, Any]:
    import pulumi

    catalog = ctx.shared_output("databricksRegistryCatalog")
    jobs: dict[str, Any] = {}
    for name, model in settings.models.items():
        if model.serving != "batch":
            continue
        entry = BATCH_ENTRY.format(model=name)
        if not (REPOSITORY_ROOT / entry).is_file():
            raise ConfigError(
                f"batch model '{name}' has no scoring entry {entry} in the repository; the Databricks "
                "batch-inference job runs it",
                file=ctx.loaded.file,
                key=f"mlops-estate:models.{name}",
            )
        version = model.deployments[model.champion_slot].version
        if version is None:
            raise ConfigError(
                f"batch model '{name}' has no version in its champion slot "
                f"'{model.champion_slot}'; the Databricks batch-inference job runs a pinned version",
                file=ctx.loaded.file,
                key=f"mlops-estate:models.{name}.deployments.{model.champion_slot}.version",
            )
        data = BATCH_DATA.format(model=name)
        jobs[name] = {
            "entry": entry,
            "parameters": [
                "--model",
                name,
                "--environment",
                settings.environment,
                "--input",
                f"{data}/input",
                "--output",
                f"{data}/output",
                "--model-uri",
                # The version this stack pins, from the central MLflow (Unity Catalog) registry.
                pulumi.Output.concat("models:/", catalog, ".models.", name, "/", version),
            ],
        }
    return jobs


def _databricks(ctx: StackContext, settings: EnvironmentStackSettings) -> Any:
    from components.databricks import DNS_ZONE, DatabricksWorkspace

    network, workspace = ctx.parts.network, ctx.parts.workspace
    config = settings.databricks
    args: dict[str, Any] = {
        "resource_group_name": ctx.resource_group_name,
        "resource_group_id": ctx.resource_group_id,
        "location": ctx.location,
        "workspace_name": ctx.namer.name("databricks_workspace", key="mlops-estate:databricks"),
        "identity_name": ctx.namer.name("user_assigned_identity", "dbxjobs", key="mlops-estate:databricks"),
        "vnet_id": network.vnet_id,
        "public_subnet_id": network.subnet_ids["databricksPublic"],
        "private_subnet_id": network.subnet_ids["databricksPrivate"],
        "log_analytics_id": ctx.parts.observability.log_analytics_id,
        "key_vault_id": workspace.key_vault_id,
        "key_vault_uri": workspace.key_vault_uri,
        "environment": settings.environment,
        "public_network_access": config.public_network_access,
        "spark_version": config.spark_version,
        "node_types": list(config.node_types),
        "max_workers": config.max_workers,
        "batch_jobs": _batch_jobs(ctx, settings),
        "repository_url": config.repository_url,
        "repository_branch": config.repository_branch,
        **({"repository_commit": config.repository_commit} if config.repository_commit else {}),
        "tags": ctx.tags,
    }
    if not config.public_network_access:
        args["private_endpoint_subnet_id"] = network.subnet_ids["privateEndpoints"]
        args["private_dns_zone_id"] = network.private_dns_zone_ids.get(DNS_ZONE)
    databricks = DatabricksWorkspace("databricks", args, opts=ctx.opts())  # type: ignore[arg-type]
    ctx.parts.databricks = databricks
    ctx.outputs["databricksWorkspaceUrl"] = databricks.workspace_url
    ctx.outputs["databricksJobIds"] = databricks.job_ids
    return databricks


def _data_factory(ctx: StackContext, settings: EnvironmentStackSettings, databricks: Any) -> None:
    from components.data_factory import BatchScheduler

    config = settings.data_factory
    factory = BatchScheduler(
        "data-factory",
        {
            "resource_group_name": ctx.resource_group_name,
            "location": ctx.location,
            "factory_name": ctx.namer.name("data_factory", key="mlops-estate:dataFactory"),
            "runner_identity_id": databricks.runner_identity_id,
            "databricks_workspace_id": databricks.workspace_id,
            "databricks_workspace_url": databricks.workspace_url,
            "job_ids": databricks.job_ids,
            "log_analytics_id": ctx.parts.observability.log_analytics_id,
            "schedule": {
                "frequency": config.frequency,
                "interval": config.interval,
                "hour_utc": config.hour_utc,
                "start_time": config.start_time,
            },
            "public_network_access": not settings.network.private_endpoints,
            "tags": ctx.tags,
        },
        opts=ctx.opts(),
    )
    ctx.parts.data_factory = factory
    ctx.outputs["dataFactoryId"] = factory.factory_id
    # ARM creates triggers stopped; pipelines/scripts/post_deploy.sh starts these after pulumi up.
    ctx.outputs["dataFactoryTriggers"] = {
        "factory": ctx.namer.name("data_factory", key="mlops-estate:dataFactory"),
        "resourceGroup": ctx.resource_group_name,
        "triggers": sorted(factory.trigger_names.values()),
    }


def compose_central_registry_workspace(ctx: StackContext) -> None:
    """The central registry Databricks workspace in the shared stack."""
    settings = ctx.shared_settings
    if not settings.databricks.enabled:
        return
    from components.databricks import CentralRegistryWorkspace

    registry = CentralRegistryWorkspace(
        "central-registry-databricks",
        {
            "resource_group_name": ctx.resource_group_name,
            "resource_group_id": ctx.resource_group_id,
            "location": ctx.location,
            "workspace_name": ctx.namer.name(
                "databricks_workspace", "registry", key="mlops-estate:databricks"
            ),
            "log_analytics_id": ctx.parts.observability.log_analytics_id,
            "catalog": settings.databricks.registry_catalog,
            "public_network_access": settings.databricks.public_network_access,
            "tags": ctx.tags,
        },
        opts=ctx.opts(),
    )
    ctx.parts.central_registry_databricks = registry
    ctx.outputs["databricksRegistryWorkspaceUrl"] = registry.workspace_url
    ctx.outputs["databricksRegistryCatalog"] = registry.catalog_name
