"""Monthly cost of a plan, idle and under the assumed load, and the delta between two plans."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from infra.cost.pricers import RULES, Context, Free, Item, Unpriced
from infra.cost.tables import PriceTable, default_assumptions, load_prices
from infra.timeline.durations import is_provider, normalize_type

SCHEMA = "mlops-estate/cost@1"
DELTA_SCHEMA = "mlops-estate/cost-delta@1"
CENT = Decimal("0.01")


def usd(value: Decimal | None) -> float | None:
    """Round to cents for output."""
    return None if value is None else float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _quantity(value: Decimal) -> float:
    return float(value)


def _item_json(item: Item) -> dict[str, Any]:
    return {
        "what": item.what,
        "price_key": item.price_key,
        "unit": item.unit,
        "idle_quantity": _quantity(item.idle_quantity),
        "load_quantity": _quantity(item.load_quantity),
        "idle_usd": usd(item.idle_usd),
        "load_usd": usd(item.load_usd),
    }


def price_resource(resource: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """One resource's line: status ``priced`` / ``free`` / ``unpriced`` with amounts and why."""
    token = normalize_type(str(resource.get("type")))
    line: dict[str, Any] = {
        "urn": resource["urn"],
        "type": resource.get("type"),
        "name": resource.get("name"),
        "status": "priced",
        "idle_usd": None,
        "load_usd": None,
        "items": [],
        "note": "",
    }
    idle = load = Decimal(0)
    try:
        rule = RULES.get(token)
        if rule is None:
            reason = ctx.prices.free_reason(token)
            if reason is None:
                raise Unpriced("no price rule for this type")
            raise Free(reason)
        items = rule(resource, ctx)
        for item in items:
            idle += item.idle_usd
            load += item.load_usd
        line["items"] = [_item_json(item) for item in items]
    except Free as free:
        line["status"], line["note"] = "free", str(free)
    except Unpriced as unpriced:
        line["status"], line["note"] = "unpriced", str(unpriced)
        return line
    line["idle_exact"], line["load_exact"] = idle, load
    line["idle_usd"], line["load_usd"] = usd(idle), usd(load)
    return line


def estimate_cost(
    plan: Mapping[str, Any],
    *,
    assumptions: Mapping[str, Mapping[str, Any]] | None = None,
    prices: PriceTable | None = None,
) -> dict[str, Any]:
    """Price every custom resource of ``plan`` (components and providers are not billed)."""
    prices = prices or load_prices()
    assumptions = assumptions if assumptions is not None else default_assumptions()
    resources = list(plan.get("resources") or [])
    ctx = Context(prices=prices, assumptions=assumptions, resources=resources)
    lines = [
        price_resource(r, ctx) for r in resources if r.get("custom") and not is_provider(str(r.get("type")))
    ]
    idle = sum((line.pop("idle_exact", Decimal(0)) for line in lines), Decimal(0))
    load = sum((line.pop("load_exact", Decimal(0)) for line in lines), Decimal(0))
    counts = {
        status: sum(1 for line in lines if line["status"] == status)
        for status in ("priced", "free", "unpriced")
    }
    return {
        "schema": SCHEMA,
        "stack": plan.get("stack"),
        "currency": prices.currency,
        "region": prices.region,
        "hours_per_month": float(prices.hours_per_month),
        "resources": lines,
        "totals": {"idle_usd": usd(idle), "load_usd": usd(load), **counts},
        "unpriced": [
            {"urn": x["urn"], "type": x["type"], "reason": x["note"]}
            for x in lines
            if x["status"] == "unpriced"
        ],
        "assumptions": {k: dict(v) for k, v in assumptions.items()},
        "sources": [
            {
                "key": p.key,
                "usd": float(p.usd),
                "per": float(p.per),
                "unit": p.unit,
                "region": p.region,
                "source": p.source,
                "effective": p.effective,
                "confidence": p.confidence,
            }
            for key in sorted(ctx.used)
            for p in [prices.prices[key]]
        ],
    }


def _amounts(line: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {"status": line["status"], "idle_usd": line["idle_usd"], "load_usd": line["load_usd"]}


def _diff(after: float | None, before: float | None) -> float | None:
    if after is None or before is None:
        return None
    return usd(Decimal(str(after)) - Decimal(str(before)))


def cost_delta(
    old_plan: Mapping[str, Any],
    new_plan: Mapping[str, Any],
    *,
    assumptions: Mapping[str, Mapping[str, Any]] | None = None,
    prices: PriceTable | None = None,
) -> dict[str, Any]:
    """Monthly delta from ``old_plan`` to ``new_plan`` (e.g. a promotion to a bigger instance type)."""
    before = estimate_cost(old_plan, assumptions=assumptions, prices=prices)
    after = estimate_cost(new_plan, assumptions=assumptions, prices=prices)
    old_lines = {line["urn"]: line for line in before["resources"]}
    new_lines = {line["urn"]: line for line in after["resources"]}
    changed: list[dict[str, Any]] = []
    for urn in list(new_lines) + [u for u in old_lines if u not in new_lines]:
        old, new = _amounts(old_lines.get(urn)), _amounts(new_lines.get(urn))
        if old == new:
            continue
        ref = new_lines.get(urn) or old_lines[urn]
        zero: dict[str, Any] = {"status": "free", "idle_usd": 0.0, "load_usd": 0.0}
        changed.append(
            {
                "urn": urn,
                "type": ref["type"],
                "name": ref["name"],
                "change": "added" if old is None else "removed" if new is None else "changed",
                "before": old,
                "after": new,
                "delta_idle_usd": _diff((new or zero)["idle_usd"], (old or zero)["idle_usd"]),
                "delta_load_usd": _diff((new or zero)["load_usd"], (old or zero)["load_usd"]),
            }
        )
    # A resource unpriced on either side has an unknown delta, and so has the total: leaving
    # it out would turn a change that costs more into a saving. The known part is kept apart.
    unknown = [c for c in changed if c["delta_idle_usd"] is None or c["delta_load_usd"] is None]
    known = [c for c in changed if c not in unknown]
    known_delta = {
        key: usd(sum((Decimal(str(c[f"delta_{key}"])) for c in known), Decimal(0)))
        for key in ("idle_usd", "load_usd")
    }
    return {
        "schema": DELTA_SCHEMA,
        "stack": new_plan.get("stack"),
        "currency": after["currency"],
        "before": before["totals"],
        "after": after["totals"],
        "delta": {
            "idle_usd": None if unknown else known_delta["idle_usd"],
            "load_usd": None if unknown else known_delta["load_usd"],
        },
        "known_delta": known_delta,
        "unknown": [{"urn": c["urn"], "type": c["type"], "name": c["name"]} for c in unknown],
        "resources": changed,
        "unpriced": _unpriced_either(before, after),
    }


def _unpriced_either(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Unpriced lines of the new plan, then those only the old plan had."""
    seen = {line["urn"] for line in after["unpriced"]}
    return list(after["unpriced"]) + [line for line in before["unpriced"] if line["urn"] not in seen]
