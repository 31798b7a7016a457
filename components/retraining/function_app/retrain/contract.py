"""Names the infrastructure and the Function App must agree on.

The Pulumi component that deploys this app reads these (by path) to set app settings, to
declare the Storage queues Event Grid delivers to (and their poison queues), to name the
identity-based queue connection and to point the health check at the health function.
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

# Functions.
FUNCTION_SCHEDULE = "retrain_schedule"
FUNCTION_NEW_DATA = "retrain_new_data"  # queue: Event Grid BlobCreated of a landing container
FUNCTION_DRIFT_EVENT = "retrain_drift_event"  # queue: a model monitor's threshold breach
FUNCTION_HEALTH = "retrain_health"
HEALTH_ROUTE = "health"  # served under /api/: App Service's health check path
HEALTH_CHECK_PATH = f"/api/{HEALTH_ROUTE}"

# Storage queues Event Grid delivers to (Event Grid schema, one event per message), in the
# app's host storage account, read through an identity-based connection: the app settings
# `<QUEUE_CONNECTION>__queueServiceUri`, `__credential` and `__clientId`.
QUEUE_CONNECTION = "RetrainEvents"
QUEUE_NEW_DATA = "retrain-new-data"
QUEUE_DRIFT_EVENT = "retrain-drift-event"
POISON_SUFFIX = "-poison"  # the Functions host's poison queue of each queue
EVENT_QUEUES = (QUEUE_NEW_DATA, QUEUE_DRIFT_EVENT)
MAX_DEQUEUE_COUNT = 8  # host.json: attempts before the host moves a message to the poison queue
VISIBILITY_TIMEOUT_MINUTES = 5  # host.json: wait between attempts (8 x 5 min outlasts a claim's lease)


def poison_queue(queue: str) -> str:
    """The poison queue the Functions host moves a message of ``queue`` to."""
    return f"{queue}{POISON_SUFFIX}"


SCHEDULE_TICK_NCRONTAB = "0 */5 * * * *"  # the timer that evaluates every model's schedule
SCHEDULE_TICK_MINUTES = 5

# Azure DevOps: the resource the managed identity asks a token for, and the REST version.
AZURE_DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
AZURE_DEVOPS_API_VERSION = "7.1"
# Template parameters the train pipeline must declare.
PIPELINE_PARAMETERS = ("model", "stack", "reason")
