"""One pricing rule per resource type, reading the camelCase inputs of the plan.

The input paths used here are the ones the real azure-native SDK sends (proven in
``tests/cost/test_input_paths.py`` by instantiating the SDK classes under Pulumi mocks):

- ManagedCluster: ``sku.tier``; ``agentPoolProfiles[].{vmSize, count, minCount, maxCount,
  enableAutoScaling, osType, name}``; AgentPool: the same keys at the top level;
- OnlineDeployment: ``properties.{endpointComputeType, instanceType, scaleSettings}``,
  ``sku.capacity``;
- Compute: ``properties.computeType``; ``properties.properties.{vmSize, scaleSettings.
  {minNodeCount, maxNodeCount}}``;
- Registry (ACR), StorageAccount, Workspace (Log Analytics), Databricks Workspace,
  AppServicePlan, VirtualMachineScaleSet: ``sku.name`` (and ``sku.capacity``);
- Log Analytics Workspace: ``sku.name``, ``workspaceCapping.dailyQuotaGb``;
- App Insights Component: ``workspaceResourceId``; ADO ElasticPool: ``azureResourceId``,
  ``desiredIdle``, ``maxCapacity``.

A rule returns the :class:`Item` list of a resource, or raises :class:`Free` (no charge of its
own, with why) or :class:`Unpriced` (cannot be priced from the table, with why).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from infra.cost.tables import PriceTable

ELASTIC_POOL = "azuredevops:index/elasticPool:ElasticPool"


class Free(Exception):
    """The resource has no charge of its own."""


class Unpriced(Exception):
    """The resource cannot be priced from the table; the message says why."""


@dataclass(frozen=True)
class Item:
    """One metered part of a resource's monthly bill."""

    what: str
    price_key: str
    unit: str
    idle_quantity: Decimal
    load_quantity: Decimal
    idle_usd: Decimal
    load_usd: Decimal


@dataclass
class Context:
    """What every rule needs: prices, assumptions and the whole plan (for cross-references)."""

    prices: PriceTable
    assumptions: Mapping[str, Mapping[str, Any]]
    resources: list[dict[str, Any]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    @property
    def hours(self) -> Decimal:
        """Hours in a month (730)."""
        return self.prices.hours_per_month

    def assume(self, section: str, key: str) -> Any:
        """An assumption value (numbers as Decimal)."""
        value = self.assumptions[section][key]
        return value if isinstance(value, str) else Decimal(str(value))

    def item(self, what: str, key: str, idle: Decimal, load: Decimal) -> Item:
        """Price ``idle`` and ``load`` quantities of price ``key`` (minus its free grant)."""
        price = self.prices.get(key)
        if price is None:
            raise Unpriced(f"no price {key!r} in prices.yaml")
        self.used.add(key)
        grant = self.prices.free_grants.get(key, Decimal(0))
        return Item(
            what,
            key,
            price.unit,
            idle,
            load,
            price.cost(max(idle - grant, Decimal(0))),
            price.cost(max(load - grant, Decimal(0))),
        )


def get(data: Any, path: str, default: Any = None) -> Any:
    """``get(inputs, "properties.properties.vmSize")``; ``default`` when any step is missing."""
    current = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return default
        current = current[part]
    return current


def number(data: Any, path: str, default: int | None = None) -> Decimal:
    """A numeric input as Decimal; Unpriced when missing without a default or not a number."""
    value = get(data, path, default)
    if value is None:
        raise Unpriced(f"input {path} is missing")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unpriced(f"input {path} is {value!r}, not a number")
    result = Decimal(str(value))
    return Decimal(int(result)) if result == result.to_integral_value() else result


def _vm(ctx: Context, size: Any, where: str) -> str:
    if not isinstance(size, str) or not size:
        raise Unpriced(f"input {where} is missing")
    key = f"vm.{size}"
    if ctx.prices.get(key) is None:
        raise Unpriced(f"VM size {size} ({where}) has no price in prices.yaml")
    return key


def _pool(ctx: Context, pool: Mapping[str, Any], where: str, label: str) -> Item:
    if str(pool.get("osType", "Linux")) != "Linux":
        raise Unpriced(f"{where}osType {pool.get('osType')!r}: only Linux VM prices are in the table")
    key = _vm(ctx, pool.get("vmSize"), f"{where}vmSize")
    if pool.get("enableAutoScaling"):
        idle = number(pool, "minCount")
        load = (
            number(pool, "maxCount") if ctx.assume("aks", "load_nodes") == "max" else number(pool, "count", 1)
        )
    else:
        idle = load = number(pool, "count", 1)  # ARM default count is 1
    return ctx.item(
        f"node pool {label}: {idle}–{load} × {pool.get('vmSize')}", key, idle * ctx.hours, load * ctx.hours
    )


def managed_cluster(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """AKS: control-plane tier + every agentPoolProfiles[] entry."""
    inputs = r.get("inputs") or {}
    tier = get(inputs, "sku.tier", "Free")
    items: list[Item] = []
    if tier == "Standard":
        items.append(
            ctx.item(
                "control plane, Standard tier (uptime SLA)", "aks.uptime_sla.standard", ctx.hours, ctx.hours
            )
        )
    elif tier != "Free":
        raise Unpriced(f"AKS tier {tier!r}: only Free and Standard are priced (Premium not confirmed)")
    for index, pool in enumerate(inputs.get("agentPoolProfiles") or []):
        items.append(_pool(ctx, pool, f"agentPoolProfiles[{index}].", str(pool.get("name", index))))
    return items


def agent_pool(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """An extra AKS node pool."""
    inputs = r.get("inputs") or {}
    return [_pool(ctx, inputs, "", str(inputs.get("agentPoolName") or r.get("name")))]


def online_deployment(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Managed online deployment: instance type × instance count, all month (no scale to zero)."""
    inputs = r.get("inputs") or {}
    if get(inputs, "properties.endpointComputeType") == "Kubernetes":
        raise Free("Kubernetes deployment: runs on the AKS nodes, which bill on the cluster")
    key = _vm(ctx, get(inputs, "properties.instanceType"), "properties.instanceType")
    idle = number(inputs, "sku.capacity", 1)
    load = idle
    if get(inputs, "properties.scaleSettings.scaleType") == "TargetUtilization":
        load = number(inputs, "properties.scaleSettings.maxInstances", 1)
    what = f"{idle}–{load} × {get(inputs, 'properties.instanceType')}"
    return [ctx.item(what, key, idle * ctx.hours, load * ctx.hours)]


def compute(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Azure ML compute: clusters idle at minNodeCount, busy hours at maxNodeCount; instances all month."""
    inputs = r.get("inputs") or {}
    kind = get(inputs, "properties.computeType")
    if kind == "Kubernetes":
        raise Free("attached Kubernetes compute: its nodes bill on the AKS cluster")
    size = get(inputs, "properties.properties.vmSize")
    key = _vm(ctx, size, "properties.properties.vmSize")
    if kind == "ComputeInstance":
        return [ctx.item(f"compute instance {size}", key, ctx.hours, ctx.hours)]
    if kind != "AmlCompute":
        raise Unpriced(f"compute type {kind!r}: only AmlCompute, ComputeInstance and Kubernetes are known")
    low = number(inputs, "properties.properties.scaleSettings.minNodeCount", 0)
    high = number(inputs, "properties.properties.scaleSettings.maxNodeCount")
    busy = ctx.assume("aml_compute", "busy_hours_per_month")
    return [
        ctx.item(
            f"cluster {low}–{high} × {size} ({busy} busy h)",
            key,
            low * ctx.hours,
            low * ctx.hours + (high - low) * busy,
        )
    ]


def container_registry(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """ACR by SKU (a daily registry unit)."""
    sku = get(r.get("inputs"), "sku.name")
    if sku not in ("Basic", "Premium"):
        raise Unpriced(f"ACR SKU {sku!r}: only Basic and Premium prices are confirmed")
    return [ctx.item(f"registry unit ({sku})", f"acr.{sku}", ctx.hours, ctx.hours)]


def private_endpoint(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Hourly endpoint + data processed in and out under load."""
    gb = ctx.assume("private_endpoint", "gb_per_month_load")
    return [
        ctx.item("endpoint", "private_endpoint.hour", ctx.hours, ctx.hours),
        ctx.item("data processed (in + out)", "private_endpoint.data", Decimal(0), 2 * gb),
    ]


def private_zone(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """One hosted zone."""
    return [ctx.item("hosted zone", "private_dns.zone", Decimal(1), Decimal(1))]


def log_analytics(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Pay-as-you-go ingestion at the assumed GB/day."""
    sku = get(r.get("inputs"), "sku.name", "PerGB2018")
    if sku != "PerGB2018":
        raise Unpriced(f"Log Analytics SKU {sku!r}: only PerGB2018 (pay-as-you-go) is priced")
    days = ctx.hours / 24
    idle, load = (
        ctx.assume("log_analytics", "gb_per_day_idle"),
        ctx.assume("log_analytics", "gb_per_day_load"),
    )
    cap = get(r.get("inputs"), "workspaceCapping.dailyQuotaGb")
    what = "ingestion"
    if isinstance(cap, int | float) and not isinstance(cap, bool) and cap >= 0:
        # a daily cap stops ingestion (-1 means no cap)
        limit = number(r.get("inputs"), "workspaceCapping.dailyQuotaGb")
        idle, load = min(idle, limit), min(load, limit)
        what = f"ingestion (daily cap {limit} GB)"
    return [ctx.item(what, "log_analytics.ingestion", idle * days, load * days)]


def app_insights(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Workspace-based: billed through Log Analytics; classic: its own ingestion."""
    if get(r.get("inputs"), "workspaceResourceId"):
        raise Free("workspace-based: ingestion bills on its Log Analytics workspace")
    section = "app_insights_classic"
    return [
        ctx.item(
            "classic ingestion",
            "app_insights.classic_ingestion",
            ctx.assume(section, "gb_per_month_idle"),
            ctx.assume(section, "gb_per_month_load"),
        )
    ]


def key_vault(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Secret operations."""
    return [
        ctx.item(
            "secret operations",
            "keyvault.operations",
            ctx.assume("key_vault", "operations_per_month_idle"),
            ctx.assume("key_vault", "operations_per_month_load"),
        )
    ]


def storage_account(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Hot StorageV2 by redundancy: stored GB always, operations under load."""
    inputs = r.get("inputs") or {}
    sku = get(inputs, "sku.name")
    keys = {"Standard_LRS": "storage.hot_lrs.gb", "Standard_ZRS": "storage.hot_zrs.gb"}
    if sku not in keys:
        raise Unpriced(f"storage SKU {sku!r}: only Standard_LRS and Standard_ZRS are priced")
    if inputs.get("kind", "StorageV2") != "StorageV2" or inputs.get("accessTier", "Hot") != "Hot":
        raise Unpriced(
            f"storage kind {inputs.get('kind')!r} / tier {inputs.get('accessTier')!r}: "
            "only StorageV2 Hot is priced"
        )
    gb = ctx.assume("storage", "gb_stored")
    return [
        ctx.item(f"{gb} GB stored ({sku})", keys[sku], gb, gb),
        ctx.item(
            "write operations",
            "storage.write_operations",
            Decimal(0),
            ctx.assume("storage", "write_operations_per_month_load"),
        ),
        ctx.item(
            "read operations",
            "storage.read_operations",
            Decimal(0),
            ctx.assume("storage", "read_operations_per_month_load"),
        ),
    ]


def databricks_workspace(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """DBUs by tier + cluster VMs, under load only (no cluster runs when idle)."""
    tier = str(get(r.get("inputs"), "sku.name", "")).lower()
    if tier not in ("premium", "standard"):
        raise Unpriced(f"Databricks SKU {tier!r}: only premium and standard are priced")
    section = "databricks"
    vm = ctx.assume(section, "vm_size")
    zero = Decimal(0)
    return [
        ctx.item(
            "jobs compute DBUs",
            f"databricks.{tier}.jobs",
            zero,
            ctx.assume(section, "jobs_dbu_hours_per_month_load"),
        ),
        ctx.item(
            "all-purpose compute DBUs",
            f"databricks.{tier}.all_purpose",
            zero,
            ctx.assume(section, "all_purpose_dbu_hours_per_month_load"),
        ),
        ctx.item(
            f"cluster VMs ({vm})",
            _vm(ctx, vm, "assumptions databricks.vm_size"),
            zero,
            ctx.assume(section, "vm_hours_per_month_load"),
        ),
    ]


def data_factory(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Activity runs, read/write entities and monitoring records under load."""
    section, zero = "data_factory", Decimal(0)
    return [
        ctx.item(
            "activity runs (Azure IR)",
            "data_factory.activity_runs",
            zero,
            ctx.assume(section, "activity_runs_per_month_load"),
        ),
        ctx.item(
            "read/write operations",
            "data_factory.read_write",
            zero,
            ctx.assume(section, "read_write_entities_per_month_load"),
        ),
        ctx.item(
            "monitoring operations",
            "data_factory.monitoring",
            zero,
            ctx.assume(section, "monitoring_records_per_month_load"),
        ),
    ]


def app_service_plan(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Function App plans: Consumption (Y1) by usage after free grants; Elastic Premium EP1 by instance."""
    inputs = r.get("inputs") or {}
    sku = get(inputs, "sku.name")
    if sku == "Y1":
        zero = Decimal(0)
        return [
            ctx.item(
                "executions",
                "functions.consumption.executions",
                zero,
                ctx.assume("function_app", "executions_per_month_load"),
            ),
            ctx.item(
                "execution time",
                "functions.consumption.gb_seconds",
                zero,
                ctx.assume("function_app", "gb_seconds_per_month_load"),
            ),
        ]
    if sku == "EP1":
        count = number(inputs, "sku.capacity", 1)
        return [
            ctx.item(
                f"{count} × EP1 instance", "functions.ep1.instance", count * ctx.hours, count * ctx.hours
            )
        ]
    raise Unpriced(
        f"App Service plan SKU {sku!r}: only Y1 (Consumption) and EP1 are priced "
        "(Flex Consumption meters are not in the reference table)"
    )


def _elastic_pool(r: Mapping[str, Any], ctx: Context) -> Mapping[str, Any] | None:
    rid = str(r.get("id") or "").lower()
    for other in ctx.resources:
        if (
            other.get("type") == ELASTIC_POOL
            and rid
            and str(get(other, "inputs.azureResourceId", "")).lower() == rid
        ):
            return other
    return None


def vm_scale_set(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Agents: size × capacity; under an ADO elastic pool, idle at desiredIdle, busy hours up to maxCapacity."""
    inputs = r.get("inputs") or {}
    if get(inputs, "virtualMachineProfile.osProfile.windowsConfiguration") is not None:
        raise Unpriced("Windows VM scale set: only Linux VM prices are in the table")
    size = get(inputs, "sku.name")
    key = _vm(ctx, size, "sku.name")
    pool = _elastic_pool(r, ctx)
    if pool is None:
        count = number(inputs, "sku.capacity", 0)
        return [ctx.item(f"{count} × {size}", key, count * ctx.hours, count * ctx.hours)]
    idle = number(pool, "inputs.desiredIdle", 0)
    peak = number(pool, "inputs.maxCapacity")
    busy = ctx.assume("vmss_agents", "busy_hours_per_month")
    return [
        ctx.item(
            f"elastic agents {idle}–{peak} × {size} ({busy} busy h)",
            key,
            idle * ctx.hours,
            idle * ctx.hours + (peak - idle) * busy,
        )
    ]


def system_topic(r: Mapping[str, Any], ctx: Context) -> list[Item]:
    """Event Grid operations under load (system and custom topics share the operations meter)."""
    return [
        ctx.item(
            "operations",
            "event_grid.operations",
            Decimal(0),
            ctx.assume("event_grid", "operations_per_month_load"),
        )
    ]


Rule = Callable[[Mapping[str, Any], Context], list[Item]]

RULES: dict[str, Rule] = {
    "azure-native:containerservice:ManagedCluster": managed_cluster,
    "azure-native:containerservice:AgentPool": agent_pool,
    "azure-native:machinelearningservices:OnlineDeployment": online_deployment,
    "azure-native:machinelearningservices:Compute": compute,
    "azure-native:containerregistry:Registry": container_registry,
    "azure-native:network:PrivateEndpoint": private_endpoint,
    "azure-native:privatedns:PrivateZone": private_zone,
    "azure-native:operationalinsights:Workspace": log_analytics,
    "azure-native:applicationinsights:Component": app_insights,
    "azure-native:keyvault:Vault": key_vault,
    "azure-native:storage:StorageAccount": storage_account,
    "azure-native:databricks:Workspace": databricks_workspace,
    "azure-native:datafactory:Factory": data_factory,
    "azure-native:web:AppServicePlan": app_service_plan,
    "azure-native:compute:VirtualMachineScaleSet": vm_scale_set,
    "azure-native:eventgrid:SystemTopic": system_topic,
    "azure-native:eventgrid:Topic": system_topic,
}
