"""The retraining loop's infrastructure (``mlops:retraining:RetrainingLoop``).

What it deploys, for the Function App whose code lives in ``function_app/`` beside this file:

* **Plan: Elastic Premium (EP1), Linux.** Both Flex Consumption and Elastic Premium support
  VNet integration; Elastic Premium is chosen because the app's settings contract
  (``FUNCTIONS_WORKER_RUNTIME`` / ``FUNCTIONS_EXTENSION_VERSION`` app settings, run-from-package
  with a managed identity) is the classic Functions host contract that Flex Consumption
  rejects (Flex moves runtime and deployment into ``functionAppConfig``), because it keeps
  one warm instance (the 5-minute schedule timer and the queues never wait on a cold start),
  and because it supports every trigger the app uses with ``vnetRouteAllEnabled`` (queue
  triggers behind a storage firewall scale with runtime scale monitoring). The cost (one EP1 instance, about 150 USD a month) is paid only by
  stacks that reach maturity level 4.
* **Identity-based storage, no keys.** A user-assigned identity (so role assignments exist
  before the app starts) reaches the host storage through ``AzureWebJobsStorage__accountName``
  + ``__credential`` + ``__clientId`` and its event queues through ``RetrainEvents__queueServiceUri``
  (same identity); shared-key access is disabled on every storage account.
  The code is run from a package blob read with the same identity
  (``WEBSITE_RUN_FROM_PACKAGE`` + ``WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID``).
* **Roles of the identity** (each the narrowest built-in role that does the job):
  Storage Blob Data Owner and Storage Table Data Contributor on the host storage account (the
  Functions host keeps leases and timer state there); Storage Queue Data Reader and Storage
  Queue Data Message Processor on the host account (the queue triggers receive and delete
  messages, nothing more) and Storage Queue Data Message Sender on each poison queue only;
  Storage Blob Data Contributor on the state container (the app's cooldown/de-duplication
  records, written with ETags); Storage Blob Data Reader on the release container (the
  package); Monitoring Metrics Publisher on Application Insights (ingestion with Entra ID,
  local auth is off).
* **No public inbound.** Every trigger is a timer or a Storage queue read outbound through an
  identity-based connection (``RetrainEvents__queueServiceUri``), so the app's public network
  access is off and no IP rule exists; with private endpoints (qa/prod) the app (``sites``,
  which also serves the SCM site to the agents) and the storage sub-resources it uses (host:
  blob, queue, table; landing and package: blob) are reached through private endpoints. The
  only HTTP function is the health check App Service calls from inside the platform.
* **Outbound.** VNet integration on the functions subnet with all outbound traffic routed
  through the VNet. The landing and package accounts have public access off in qa/prod. The
  host account keeps its firewall (default deny, no IP or VNet rule) with the trusted-services
  exception, because Event Grid delivers to its queues through that exception with the system
  topics' managed identities (Azure does not evaluate the exception once public network
  access is ``Disabled``); every other client reaches it through its private endpoints.
* **Triggers** (``events.py``). A landing-zone container per model with ``newData``, an Event
  Grid system topic on the landing storage and one ``BlobCreated`` subscription per such model
  delivering to the ``retrain-new-data`` queue; the model monitors' threshold breaches are
  delivered to ``retrain-drift-event`` by :class:`components.model_monitor.MonitorEvents`.
  Both queues, their poison queues and the dead-letter container are declared here, so the
  first ``pulumi up`` creates every subscription without the app's code being deployed.
* **Availability.** Elastic Premium supports zone redundancy (three instances kept, one per
  zone; ``zone_redundant``, on in prod) and App Service's health check (``health_check``: an
  instance whose ``/api/health`` fails is taken out of rotation and replaced).

The app's names (settings, functions, route) come from ``function_app/retrain/contract.py``
and ``RETRAIN_MODELS`` is validated with the app's own parser, both loaded by path, so the
infrastructure and the app cannot disagree.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization, eventgrid, managedidentity, storage, web

from components.common import LifecycleArgs, arg_error, check_unknown_args, require, stateful_options
from components.diagnostics import send_to_log_analytics
from components.dns_zones import GROUP_ZONES
from components.private_endpoint import PrivateEndpoint, PrivateEndpointArgs
from components.retraining.events import (
    DEAD_LETTER_CONTAINER,
    declare_queues,
    grant,
    grant_topic,
    queue_subscription,
)
from components.roles import BY_NAME, RETRAINING_NAMESPACE, assignment_name
from components.storage import secure_storage_account
from infra.errors import ConfigError
from infra.vocabulary import DEFAULT_STORAGE_SKU, RETRAIN_COOLDOWN_MINUTES

if TYPE_CHECKING:  # the app's own error type, as mypy sees the app folder (its deployed root)
    from retrain.errors import SettingsError

COMPONENT = "RetrainingLoop"
APP_DIR = Path(__file__).resolve().parent / "function_app"
STATE_CONTAINER = "retrain-state"
RELEASE_CONTAINER = "function-releases"
PACKAGE_BLOB = "retrain.zip"
PYTHON_VERSION = "3.11"
_APP_PACKAGE = "_mlops_estate_retrain_app"

ROLES: dict[str, str] = {
    name: BY_NAME[name].guid
    for name in (
        "Storage Blob Data Owner",
        "Storage Queue Data Reader",
        "Storage Queue Data Message Processor",
        "Storage Table Data Contributor",
        "Storage Blob Data Contributor",
        "Storage Blob Data Reader",
        "Monitoring Metrics Publisher",
    )
}
"""Built-in role definition ids the app's identity holds (components/roles.py)."""

PRIVATE_DNS_ZONES = {group: GROUP_ZONES[group][0] for group in ("blob", "queue", "table", "sites")}


def app_contract() -> tuple[ModuleType, ModuleType, type[SettingsError]]:
    """The Function App's ``contract`` and ``settings`` modules and its ``SettingsError``.

    Loaded by path under a private package name, so the app's ``retrain`` package never
    shadows anything on ``sys.path`` and stays the single source of its names.
    """
    if _APP_PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            _APP_PACKAGE,
            APP_DIR / "retrain" / "__init__.py",
            submodule_search_locations=[str(APP_DIR / "retrain")],
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[_APP_PACKAGE] = module
        spec.loader.exec_module(module)
    contract = importlib.import_module(f"{_APP_PACKAGE}.contract")
    settings = importlib.import_module(f"{_APP_PACKAGE}.settings")
    errors = importlib.import_module(f"{_APP_PACKAGE}.errors")
    settings_error: type[SettingsError] = errors.SettingsError
    return contract, settings, settings_error


def role_definition_id(scope: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    """The id of the built-in ``role`` in the subscription of ``scope``."""
    return pulumi.Output.from_input(scope).apply(
        lambda s: (
            "/".join(s.split("/")[:3]) + f"/providers/Microsoft.Authorization/roleDefinitions/{ROLES[role]}"
        )
    )


def landing_container(model: str) -> str:
    """The landing-zone container of ``model`` (blob container names allow no ``_``)."""
    return f"landing-{model.replace('_', '-')}"


class RetrainModelArgs(TypedDict):
    """One model's retraining triggers."""

    schedule: NotRequired[str | None]
    """Optional. NCRONTAB schedule (6 fields). @default none"""
    new_data: NotRequired[bool]
    """Optional. Retrain when a blob lands in the model's landing container. @default False"""
    landing_prefix: NotRequired[str]
    """Optional. Blob name prefix that counts as new data. @default ''"""
    drift: NotRequired[bool]
    """Optional. Retrain when the model monitor's drift alert fires. @default False"""


class TrainPipelineArgs(TypedDict):
    """The Azure DevOps train pipeline the app queues."""

    organization_url: pulumi.Input[str]
    """Required. e.g. https://dev.azure.com/contoso."""
    project: pulumi.Input[str]
    """Required. The project holding the pipeline."""
    definition_id: pulumi.Input[int | str]
    """Required. The pipeline's definition id (a literal or the shared stack's output)."""


class RetrainingLoopArgs(TypedDict):
    """Arguments of :class:`RetrainingLoop`."""

    resource_group_name: pulumi.Input[str]
    """Required. Resource group of every child."""
    location: str
    """Required. Azure region."""
    environment: Literal["dev", "qa", "prod"]
    """Required. The app's ``ENVIRONMENT`` (the ``stack`` parameter of the train pipeline)."""
    names: dict[str, str]
    """Required. Azure names: ``plan``, ``app``, ``host_storage``, ``landing_storage``,
    ``package_storage``, ``identity``, ``system_topic``."""
    models: dict[str, RetrainModelArgs]
    """Required. Triggers per model (at least one model with a trigger)."""
    train_pipeline: TrainPipelineArgs
    """Required. The pipeline every trigger queues."""
    functions_subnet_id: pulumi.Input[str]
    """Required. Subnet for VNet integration (delegated to Microsoft.Web/serverFarms)."""
    log_analytics_id: pulumi.Input[str]
    """Required. Diagnostics destination."""
    app_insights_id: pulumi.Input[str]
    """Required. Application Insights component (the identity gets Monitoring Metrics Publisher)."""
    app_insights_connection_string: pulumi.Input[str]
    """Required. Its connection string (ingestion authenticates with Entra ID)."""
    cooldown_minutes: NotRequired[int]
    """Optional. At most one retrain per model in this window. @default 1440"""
    private_endpoints: NotRequired[bool]
    """Optional. The app and its storage behind private endpoints. @default False"""
    private_endpoint_subnet_id: NotRequired[pulumi.Input[str]]
    """Conditional. Required with ``private_endpoints``."""
    private_dns_zone_ids: NotRequired[dict[str, pulumi.Input[str]]]
    """Conditional. With ``private_endpoints``: zone ids keyed by zone name (blob, queue, table
    and azurewebsites ``privatelink`` zones). @default {}"""
    scm_subnet_id: NotRequired[pulumi.Input[str]]
    """Optional. Subnet allowed to reach the SCM (deployment) site, e.g. the agents'. @default none (SCM closed)"""
    storage_sku: NotRequired[str]
    """Optional. Replication of both storage accounts. @default Standard_ZRS"""
    max_instances: NotRequired[int]
    """Optional. Elastic burst limit (1-20; at least 3 with ``zone_redundant``). @default 3"""
    zone_redundant: NotRequired[bool]
    """Optional. Zone-redundant plan keeping three instances (one per zone). @default False"""
    health_check: NotRequired[bool]
    """Optional. App Service health check on the app's ``/api/health`` (unhealthy instances are
    replaced). @default True"""
    tags: NotRequired[dict[str, str]]
    """Optional. Tags of every taggable child. @default {}"""
    lifecycle: NotRequired[LifecycleArgs]
    """Optional. protect / retainOnDelete of the storage accounts. @default not protected"""


_NAME_KEYS = (
    "plan",
    "app",
    "host_storage",
    "landing_storage",
    "package_storage",
    "identity",
    "system_topic",
)
ZONE_REDUNDANT_INSTANCES = 3
"""Instances a zone-redundant Elastic Premium plan keeps (one per zone)."""


class RetrainingLoop(pulumi.ComponentResource):
    """The retraining Function App, its storage, landing zone and trigger wiring."""

    function_app_id: pulumi.Output[str]
    """ARM id of the Function App."""
    function_app_name: pulumi.Output[str]
    """Its name."""
    default_host_name: pulumi.Output[str]
    """``<app>.azurewebsites.net``."""
    principal_id: pulumi.Output[str]
    """Object id of the app's user-assigned identity (add it to Azure DevOps, see docs/operations.md)."""
    client_id: pulumi.Output[str]
    """Client id of that identity."""
    event_account_id: pulumi.Output[str]
    """ARM id of the storage account holding the event queues (the host account)."""
    drift_queue: str
    """The queue a model monitor's threshold breach is delivered to (``retrain_drift_event``)."""
    drift_queue_id: pulumi.Output[str]
    """Its ARM id."""
    dead_letter_container_id: pulumi.Output[str]
    """ARM id of the container Event Grid dead-letters undeliverable events to."""
    landing_storage_account_id: pulumi.Output[str]
    """ARM id of the landing-zone storage account."""
    landing_containers: dict[str, str]
    """Landing container name per model with ``new_data``."""
    retrain_models: str
    """The ``RETRAIN_MODELS`` app setting (JSON)."""

    def __init__(
        self, name: str, args: RetrainingLoopArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:retraining:RetrainingLoop", name, {}, opts)
        contract, retrain_models = self._validate(args)
        self._name = name
        self._args = args
        self._tags = dict(args.get("tags", {}))
        self._private = bool(args.get("private_endpoints", False))
        names = args["names"]
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=names["identity"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        accounts = self._accounts()
        host, landing, package = accounts["host"], accounts["landing"], accounts["package"]
        state = self._container(f"{name}-state", STATE_CONTAINER, host)
        releases = self._container(f"{name}-releases", RELEASE_CONTAINER, package)
        self.landing_containers = {
            model: landing_container(model)
            for model, triggers in args["models"].items()
            if triggers.get("new_data")
        }
        containers = {
            model: self._container(f"{name}-landing-{model}", container, landing)
            for model, container in self.landing_containers.items()
        }
        self._dead_letter = self._container(f"{name}-dead-letter", DEAD_LETTER_CONTAINER, host)
        queues = declare_queues(
            name,
            queues=contract.EVENT_QUEUES,
            poison_suffix=contract.POISON_SUFFIX,
            account=host,
            resource_group_name=args["resource_group_name"],
            parent=self,
        )
        assignments = self._roles(contract, identity, host, state, releases, queues)
        endpoints = self._endpoints(accounts)
        plan = self._plan()
        app = self._app(contract, retrain_models, identity, host, package, plan, [*assignments, *endpoints])
        self._app_endpoint(app)
        topic = self._new_data_triggers(contract, landing, host, containers, queues)
        self._diagnostics(app, plan, accounts, topic)

        self.function_app_id = app.id
        self.function_app_name = app.name
        self.default_host_name = app.default_host_name
        self.principal_id = identity.principal_id
        self.client_id = identity.client_id
        self.landing_storage_account_id = landing.id
        self.event_account_id = host.id
        self.drift_queue = contract.QUEUE_DRIFT_EVENT
        self.drift_queue_id = queues[contract.QUEUE_DRIFT_EVENT].id
        self.dead_letter_container_id = self._dead_letter.id
        self.retrain_models = retrain_models
        self.register_outputs(
            {
                "function_app_id": self.function_app_id,
                "function_app_name": self.function_app_name,
                "default_host_name": self.default_host_name,
                "principal_id": self.principal_id,
                "client_id": self.client_id,
                "event_account_id": self.event_account_id,
                "drift_queue": self.drift_queue,
                "drift_queue_id": self.drift_queue_id,
                "dead_letter_container_id": self.dead_letter_container_id,
                "landing_storage_account_id": self.landing_storage_account_id,
                "landing_containers": self.landing_containers,
            }
        )

    def _validate(self, args: RetrainingLoopArgs) -> tuple[ModuleType, str]:
        """Every argument check; returns the app's contract module and ``RETRAIN_MODELS``."""
        check_unknown_args(COMPONENT, args, RetrainingLoopArgs)
        require(
            COMPONENT,
            args,
            "resource_group_name",
            "location",
            "environment",
            "names",
            "models",
            "train_pipeline",
            "functions_subnet_id",
            "log_analytics_id",
            "app_insights_id",
            "app_insights_connection_string",
        )
        contract, app_settings, settings_error = app_contract()
        environment = args["environment"]
        if environment not in contract.ENVIRONMENTS:
            raise arg_error(
                COMPONENT, "environment", f"'{environment}' is not one of {', '.join(contract.ENVIRONMENTS)}"
            )
        names = args["names"]
        for key in _NAME_KEYS:
            if not names.get(key):
                raise arg_error(COMPONENT, f"names.{key}", "is required")
        max_instances = args.get("max_instances", 3)
        if not 1 <= max_instances <= 20:
            raise arg_error(COMPONENT, "max_instances", f"{max_instances} is not between 1 and 20")
        if args.get("zone_redundant", False) and max_instances < ZONE_REDUNDANT_INSTANCES:
            raise arg_error(
                COMPONENT,
                "max_instances",
                f"{max_instances} is below {ZONE_REDUNDANT_INSTANCES}, the instances a zone-redundant plan keeps",
            )
        zones = dict(args.get("private_dns_zone_ids", {}))
        if args.get("private_endpoints", False):
            if not args.get("private_endpoint_subnet_id"):
                raise arg_error(COMPONENT, "private_endpoint_subnet_id", "is required with private_endpoints")
            for zone in PRIVATE_DNS_ZONES.values():
                if zone not in zones:
                    raise arg_error(
                        COMPONENT,
                        "private_dns_zone_ids",
                        f"has no '{zone}' (the app's and its storage's private endpoints register there)",
                    )
        retrain_models = self._retrain_models(
            args["models"], args.get("cooldown_minutes", RETRAIN_COOLDOWN_MINUTES)
        )
        try:
            app_settings.parse_models(retrain_models)
        except settings_error as exc:  # the app's own validation, at preview time
            raise ConfigError(exc.detail, key=exc.key) from None
        return contract, retrain_models

    def _accounts(self) -> dict[str, storage.StorageAccount]:
        """Host (Functions runtime state), landing (new data) and package (the app's code) accounts.

        The code package lives in an account of its own: the identity holds Storage Blob Data
        Owner on the host account (the Functions host needs it) and only Storage Blob Data Reader
        on the package, so the app cannot rewrite the code it runs."""
        names, lifecycle = self._args["names"], self._args.get("lifecycle")
        return {
            key: self._storage(
                f"{self._name}-{key}-storage",
                names[f"{key}_storage"],
                self._args,
                self._private,
                self._tags,
                lifecycle,
                event_grid_delivers=key == "host",
            )
            for key in ("host", "landing", "package")
        }

    def _container(
        self, logical: str, container: str, account: storage.StorageAccount
    ) -> storage.BlobContainer:
        return storage.BlobContainer(
            logical,
            container_name=container,
            account_name=account.name,
            resource_group_name=self._args["resource_group_name"],
            public_access=storage.PublicAccess.NONE,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _roles(
        self,
        contract: ModuleType,
        identity: managedidentity.UserAssignedIdentity,
        host: storage.StorageAccount,
        state: storage.BlobContainer,
        releases: storage.BlobContainer,
        queues: dict[str, storage.Queue],
    ) -> list[pulumi.Resource]:
        """The identity's data-plane roles, each the narrowest built-in one that does the job."""
        roles: list[tuple[str, str, pulumi.Input[str]]] = [
            ("host-blob-owner", "Storage Blob Data Owner", host.id),
            ("host-queue-reader", "Storage Queue Data Reader", host.id),
            ("host-queue-processor", "Storage Queue Data Message Processor", host.id),
            ("host-table-contributor", "Storage Table Data Contributor", host.id),
            ("state-blob-contributor", "Storage Blob Data Contributor", state.id),
            ("release-blob-reader", "Storage Blob Data Reader", releases.id),
            ("appinsights-metrics-publisher", "Monitoring Metrics Publisher", self._args["app_insights_id"]),
        ]
        app_name = self._args["names"]["app"]
        assignments: list[pulumi.Resource] = [
            authorization.RoleAssignment(
                f"{self._name}-{suffix}",
                role_assignment_name=assignment_name(app_name, suffix, namespace=RETRAINING_NAMESPACE),
                scope=scope,
                principal_id=identity.principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=role_definition_id(scope, role),
                description=f"{role} for the retraining Function App",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for suffix, role, scope in roles
        ]
        for queue in contract.EVENT_QUEUES:  # rejected and exhausted messages go there
            poison = contract.poison_queue(queue)
            assignments.append(
                grant(
                    f"{self._name}-{poison}-sender",
                    role="Storage Queue Data Message Sender",
                    scope=queues[poison].id,
                    principal_id=identity.principal_id,
                    name_parts=(app_name, poison, "sender"),
                    description=f"The retraining Function App moves messages to {poison}",
                    parent=self,
                )
            )
        return assignments

    def _endpoints(self, accounts: dict[str, storage.StorageAccount]) -> list[pulumi.Resource]:
        """Private endpoints of the storage sub-resources the app reaches (with ``private_endpoints``).

        They were direct children of this component before ``PrivateEndpoint`` existed: an alias
        to this component and Azure's own NIC name keep the existing endpoints."""
        if not self._private:
            return []
        groups = {"host": ("blob", "queue", "table"), "landing": ("blob",), "package": ("blob",)}
        names = self._args["names"]
        return [
            self._private_endpoint(
                f"{self._name}-{key}-{group}",
                account.id,
                f"pe-{names[f'{key}_storage']}-{group}",
                group,
                nic_name=None,
                former_parent=self,
            )
            for key, account in accounts.items()
            for group in groups[key]
        ]

    def _app_endpoint(self, app: web.WebApp) -> None:
        """The app's own private endpoint (``sites``: the app and its SCM site), with ``private_endpoints``."""
        if self._private:
            self._private_endpoint(
                f"{self._name}-app-sites", app.id, f"pe-{self._args['names']['app']}", "sites"
            )

    def _plan(self) -> web.AppServicePlan:
        """Elastic Premium EP1, Linux; zone-redundant (three instances kept) when asked."""
        args = self._args
        zone_redundant = bool(args.get("zone_redundant", False))
        sku: web.SkuDescriptionArgsDict = {"name": "EP1", "tier": "ElasticPremium"}
        if zone_redundant:
            sku["capacity"] = ZONE_REDUNDANT_INSTANCES
        return web.AppServicePlan(
            f"{self._name}-plan",
            name=args["names"]["plan"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind="elastic",
            reserved=True,
            sku=sku,
            maximum_elastic_worker_count=args.get("max_instances", 3),
            zone_redundant=zone_redundant,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _app(
        self,
        contract: ModuleType,
        retrain_models: str,
        identity: managedidentity.UserAssignedIdentity,
        host: storage.StorageAccount,
        package: storage.StorageAccount,
        plan: web.AppServicePlan,
        depends_on: list[pulumi.Resource],
    ) -> web.WebApp:
        """The Function App: identity-based storage and queues, run from the package, no public inbound."""
        args = self._args
        name, rg, location, tags = self._name, args["resource_group_name"], args["location"], self._tags
        names, pipeline, environment = args["names"], args["train_pipeline"], args["environment"]
        max_instances = args.get("max_instances", 3)
        parent = pulumi.ResourceOptions(parent=self)
        blob_endpoint = host.primary_endpoints.apply(lambda e: e.blob)
        queue_endpoint = host.primary_endpoints.apply(lambda e: e.queue)
        connection = contract.QUEUE_CONNECTION
        package_endpoint = package.primary_endpoints.apply(lambda e: e.blob)
        app_settings_list: list[web.NameValuePairArgsDict] = [
            {"name": "FUNCTIONS_WORKER_RUNTIME", "value": "python"},
            {"name": "FUNCTIONS_EXTENSION_VERSION", "value": "~4"},
            {"name": "AzureWebJobsStorage__accountName", "value": host.name},
            {"name": "AzureWebJobsStorage__credential", "value": "managedidentity"},
            {"name": "AzureWebJobsStorage__clientId", "value": identity.client_id},
            {"name": "AZURE_CLIENT_ID", "value": identity.client_id},
            {"name": f"{connection}__queueServiceUri", "value": queue_endpoint},
            {"name": f"{connection}__credential", "value": "managedidentity"},
            {"name": f"{connection}__clientId", "value": identity.client_id},
            # Not a secret here: local auth is off, so the string only names where to send, and a
            # secret would hide the whole siteConfig from review and policy.
            {
                "name": "APPLICATIONINSIGHTS_CONNECTION_STRING",
                "value": pulumi.Output.unsecret(
                    pulumi.Output.from_input(args["app_insights_connection_string"])
                ),
            },
            {
                "name": "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
                "value": identity.client_id.apply(lambda c: f"ClientId={c};Authorization=AAD"),
            },
            {
                "name": "WEBSITE_RUN_FROM_PACKAGE",
                "value": pulumi.Output.concat(package_endpoint, RELEASE_CONTAINER, "/", PACKAGE_BLOB),
            },
            {"name": "WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID", "value": identity.id},
            {"name": contract.SETTING_MODELS, "value": retrain_models},
            {"name": contract.SETTING_STATE_ACCOUNT_URL, "value": blob_endpoint},
            {"name": contract.SETTING_STATE_CONTAINER, "value": STATE_CONTAINER},
            {
                "name": contract.SETTING_ADO_ORGANIZATION_URL,
                "value": pulumi.Output.from_input(pipeline["organization_url"]).apply(
                    lambda u: str(u).rstrip("/")
                ),
            },
            {"name": contract.SETTING_ADO_PROJECT, "value": pipeline["project"]},
            {
                "name": contract.SETTING_ADO_TRAIN_PIPELINE_ID,
                "value": pulumi.Output.from_input(pipeline["definition_id"]).apply(str),
            },
            {"name": contract.SETTING_ENVIRONMENT, "value": environment},
        ]
        scm: list[web.IpSecurityRestrictionArgsDict] = []
        if args.get("scm_subnet_id"):
            scm.append(
                {
                    "name": "agents",
                    "action": "Allow",
                    "vnet_subnet_resource_id": args["scm_subnet_id"],
                    "priority": 100,
                    "description": "self-hosted agents publish the package",
                }
            )
        minimum = ZONE_REDUNDANT_INSTANCES if args.get("zone_redundant", False) else 1
        app = web.WebApp(
            f"{name}-app",
            name=names["app"],
            resource_group_name=rg,
            location=location,
            kind="functionapp,linux",
            server_farm_id=plan.id,
            reserved=True,
            https_only=True,
            client_cert_enabled=False,
            public_network_access="Disabled",
            virtual_network_subnet_id=args["functions_subnet_id"],
            outbound_vnet_routing={"all_traffic": True},
            identity={
                "type": web.ManagedServiceIdentityType.USER_ASSIGNED,
                "user_assigned_identities": [identity.id],
            },
            key_vault_reference_identity=identity.id,
            site_config={
                "linux_fx_version": f"Python|{PYTHON_VERSION}",
                "app_settings": app_settings_list,
                "min_tls_version": "1.2",
                "scm_min_tls_version": "1.2",
                "ftps_state": "Disabled",
                "http20_enabled": True,
                "remote_debugging_enabled": False,
                "vnet_route_all_enabled": True,
                "minimum_elastic_instance_count": minimum,
                "pre_warmed_instance_count": 1,
                "function_app_scale_limit": max_instances,
                # Queue triggers behind a storage firewall: the runtime, not the scale controller, reports load.
                "functions_runtime_scale_monitoring_enabled": True,
                "health_check_path": contract.HEALTH_CHECK_PATH if args.get("health_check", True) else None,
                "ip_security_restrictions": [],
                "ip_security_restrictions_default_action": "Deny",
                "scm_ip_security_restrictions": scm,
                "scm_ip_security_restrictions_default_action": "Deny",
                "scm_ip_security_restrictions_use_main": False,
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
        web.WebAppFtpAllowed(
            f"{name}-ftp-disabled", name=app.name, resource_group_name=rg, allow=False, opts=parent
        )
        web.WebAppScmAllowed(
            f"{name}-scm-basic-auth-disabled", name=app.name, resource_group_name=rg, allow=False, opts=parent
        )

        return app

    def _new_data_triggers(
        self,
        contract: ModuleType,
        landing: storage.StorageAccount,
        host: storage.StorageAccount,
        containers: dict[str, storage.BlobContainer],
        queues: dict[str, storage.Queue],
    ) -> eventgrid.SystemTopic | None:
        """The landing account's system topic and one BlobCreated subscription per new-data
        model, delivered to the ``retrain-new-data`` queue with the topic's identity."""
        args, name, tags = self._args, self._name, self._tags
        rg, location = args["resource_group_name"], args["location"]
        names, parent = args["names"], pulumi.ResourceOptions(parent=self)
        if not containers:
            return None
        topic = eventgrid.SystemTopic(
            f"{name}-landing-events",
            system_topic_name=names["system_topic"],
            resource_group_name=rg,
            location=location,
            source=landing.id,
            topic_type="Microsoft.Storage.StorageAccounts",
            identity={"type": "SystemAssigned"},
            tags=tags,
            opts=parent,
        )
        queue = contract.QUEUE_NEW_DATA
        grants = grant_topic(
            f"{name}-landing-events",
            topic=topic,
            topic_name=names["system_topic"],
            queue=queue,
            queue_scope=queues[queue].id,
            dead_letter_scope=self._dead_letter.id,
            parent=self,
        )
        for model, container in self.landing_containers.items():
            prefix = args["models"][model].get("landing_prefix", "")
            queue_subscription(
                f"{name}-new-data-{model}",
                subscription_name=f"retrain-{model.replace('_', '-')}",
                topic=topic,
                resource_group_name=rg,
                account_id=host.id,
                queue=queue,
                filter=eventgrid.EventSubscriptionFilterArgs(
                    included_event_types=["Microsoft.Storage.BlobCreated"],
                    subject_begins_with=f"/blobServices/default/containers/{container}/blobs/{prefix}",
                ),
                max_delivery_attempts=30,
                parent=self,
                depends_on=[containers[model], *grants],
            )
        return topic

    def _diagnostics(
        self,
        app: web.WebApp,
        plan: web.AppServicePlan,
        accounts: dict[str, storage.StorageAccount],
        topic: eventgrid.SystemTopic | None,
    ) -> None:
        """Logs and metrics of every child to Log Analytics, including each account's blob
        data-plane logs (reads, writes, deletes)."""
        name, workspace = self._name, self._args["log_analytics_id"]
        send_to_log_analytics(f"{name}-app", resource_id=app.id, workspace_id=workspace, parent=self)
        send_to_log_analytics(
            f"{name}-plan", resource_id=plan.id, workspace_id=workspace, parent=self, logs=False
        )
        for key, account in accounts.items():
            send_to_log_analytics(
                f"{name}-{key}-storage",
                resource_id=account.id,
                workspace_id=workspace,
                parent=self,
                logs=False,
            )
            send_to_log_analytics(
                f"{name}-{key}-blob",
                resource_id=pulumi.Output.concat(account.id, "/blobServices/default"),
                workspace_id=workspace,
                parent=self,
            )
        if topic is not None:
            send_to_log_analytics(
                f"{name}-landing-events", resource_id=topic.id, workspace_id=workspace, parent=self
            )

    @staticmethod
    def _retrain_models(models: Mapping[str, RetrainModelArgs], cooldown: int) -> str:
        """``RETRAIN_MODELS``: the app's JSON, one entry per model with at least one trigger."""
        if not isinstance(models, dict) or not models:
            raise arg_error(COMPONENT, "models", "must name at least one model with a trigger")
        body: dict[str, dict[str, object]] = {}
        for model in sorted(models):
            triggers = models[model]
            check_unknown_args(COMPONENT, triggers, RetrainModelArgs)
            new_data = None
            if triggers.get("new_data"):
                new_data = {
                    "container": landing_container(model),
                    "prefix": triggers.get("landing_prefix", ""),
                }
            elif triggers.get("landing_prefix"):
                raise arg_error(COMPONENT, f"models.{model}.landing_prefix", "only applies with new_data")
            entry = {
                "schedule": triggers.get("schedule"),
                "newData": new_data,
                "drift": bool(triggers.get("drift")),
            }
            if entry["schedule"] is None and new_data is None and not entry["drift"]:
                raise arg_error(
                    COMPONENT, f"models.{model}", "turns on no trigger (schedule, new_data or drift)"
                )
            body[model] = {"triggers": entry, "cooldownMinutes": cooldown}
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    def _storage(
        self,
        logical: str,
        account_name: str,
        args: RetrainingLoopArgs,
        private: bool,
        tags: dict[str, str],
        lifecycle: LifecycleArgs | None,
        *,
        event_grid_delivers: bool = False,
    ) -> storage.StorageAccount:
        """A StorageV2 account: Entra ID only, TLS 1.2, deny by default, infrastructure encryption.

        The account Event Grid delivers to keeps its firewall even when private (default deny,
        no rule, trusted services pass): Event Grid reaches it only through that exception."""
        return secure_storage_account(
            logical,
            account_name=account_name,
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            sku=args.get("storage_sku", DEFAULT_STORAGE_SKU),
            public_network_access=not private or event_grid_delivers,
            allowed_subnet_ids=[] if private else [args["functions_subnet_id"]],
            tags=tags,
            opts=stateful_options(self, lifecycle, data_bearing=True),
        )

    def _private_endpoint(
        self,
        logical: str,
        target_id: pulumi.Input[str],
        endpoint_name: str,
        group: str,
        *,
        nic_name: str | None = "",
        former_parent: pulumi.Resource | None = None,
    ) -> pulumi.Resource:
        """A private endpoint for one sub-resource, registered in its privatelink zone
        (``nic_name`` ``""``: the component's default NIC name)."""
        zone = PRIVATE_DNS_ZONES[group]
        endpoint_args: PrivateEndpointArgs = {
            "resource_group_name": self._args["resource_group_name"],
            "location": self._args["location"],
            "endpoint_name": endpoint_name,
            "subnet_id": self._args["private_endpoint_subnet_id"],
            "target_id": target_id,
            "group_id": group,
            "dns_zone_ids": {zone: self._args.get("private_dns_zone_ids", {})[zone]},
            "tags": self._tags,
        }
        if nic_name != "":
            endpoint_args["nic_name"] = nic_name
        return PrivateEndpoint(
            logical,
            endpoint_args,
            opts=pulumi.ResourceOptions(parent=self),
            former_parent=former_parent,
        )
