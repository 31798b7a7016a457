"""Names the infrastructure and the Function App must agree on.

The Pulumi component that deploys this app reads these (by path) to set app settings, to
point the Event Grid subscription at the new-data function and the action group's Azure
Function receiver at the drift function.
"""

from __future__ import annotations

# App settings the app reads (all required).
SETTING_MODELS = "RETRAIN_MODELS"
SETTING_STATE_ACCOUNT_URL = "RETRAIN_STATE_ACCOUNT_URL"
SETTING_STATE_CONTAINER = "RETRAIN_STATE_CONTAINER"
SETTING_ADO_ORGANIZATION_URL = "ADO_ORGANIZATION_URL"
SETTING_ADO_PROJECT = "ADO_PROJECT"
SETTING_ADO_TRAIN_PIPELINE_ID = "ADO_TRAIN_PIPELINE_ID"
SETTING_ENVIRONMENT = "ENVIRONMENT"
REQUIRED_SETTINGS = (
    SETTING_MODELS,
    SETTING_STATE_ACCOUNT_URL,
    SETTING_STATE_CONTAINER,
    SETTING_ADO_ORGANIZATION_URL,
    SETTING_ADO_PROJECT,
    SETTING_ADO_TRAIN_PIPELINE_ID,
    SETTING_ENVIRONMENT,
)
ENVIRONMENTS = ("dev", "qa", "prod")

# Functions (their names are the `functionName` an Event Grid subscription or an action
# group's Azure Function receiver refers to).
FUNCTION_SCHEDULE = "retrain_schedule"
FUNCTION_NEW_DATA = "retrain_new_data"
FUNCTION_DRIFT_ALERT = "retrain_drift_alert"
FUNCTION_DRIFT_EVENT = "retrain_drift_event"  # Event Grid: a model monitor's threshold breach
DRIFT_ALERT_ROUTE = "retrain/drift-alert"  # served under /api/
SCHEDULE_TICK_NCRONTAB = "0 */5 * * * *"  # the timer that evaluates every model's schedule
SCHEDULE_TICK_MINUTES = 5

# Azure DevOps: the resource the managed identity asks a token for, and the REST version.
AZURE_DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
AZURE_DEVOPS_API_VERSION = "7.1"
# Template parameters the train pipeline must declare.
PIPELINE_PARAMETERS = ("model", "stack", "reason")
