"""A stack's Azure budget: Cost Management alerts when spending passes set shares of an amount.

One ``consumption.Budget`` at resource-group scope (monthly, actual cost), one notification per
threshold (``actual_80`` …) plus, optionally, one on the month's forecast. Alerts go to the
given e-mail addresses and action group. A budget only alerts: it never stops a resource.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import consumption

from components.common import arg_error, check_unknown_args, require

COMPONENT = "Budget"


class BudgetArgs(TypedDict):
    """Arguments of :class:`Budget`."""

    scope: pulumi.Input[str]
    """Required. ARM id of the resource group the budget tracks."""
    budget_name: str
    """Required. Name of the budget (unique within the scope)."""
    amount_usd: float
    """Required. Monthly amount (the billing currency of the subscription)."""
    thresholds: list[int]
    """Required. Alert at these percentages of the amount (actual cost), 1-1000."""
    start_date: str
    """Required. First month tracked, ``YYYY-MM-01``."""
    forecast_threshold: NotRequired[int | None]
    """Optional. Alert when the forecast passes this percentage. @default None (no forecast alert)"""
    contact_emails: NotRequired[list[str]]
    """Optional. E-mail receivers. @default []"""
    action_group_id: NotRequired[pulumi.Input[str] | None]
    """Optional. Action group that also receives the alerts. @default None"""


def notifications(
    thresholds: list[int],
    forecast: int | None,
    emails: list[str],
    groups: list[pulumi.Input[str]],
) -> dict[str, consumption.NotificationArgs]:
    """The budget's notifications, keyed ``actual_<percent>`` / ``forecast_<percent>``."""
    out: dict[str, consumption.NotificationArgs] = {}
    kinds = [("Actual", percent) for percent in thresholds]
    if forecast is not None:
        kinds.append(("Forecasted", forecast))
    for kind, percent in kinds:
        out[f"{kind.lower()}_{percent}"] = consumption.NotificationArgs(
            enabled=True,
            operator="GreaterThanOrEqualTo",
            threshold=float(percent),
            threshold_type=kind,
            contact_emails=list(emails),
            contact_groups=groups,
        )
    return out


class Budget(pulumi.ComponentResource):
    """A monthly cost budget with alerts (``mlops:operations:Budget``)."""

    budget_id: pulumi.Output[str]
    """ARM id of the budget."""

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:operations:Budget", name, {}, opts)
        check_unknown_args(COMPONENT, args, BudgetArgs)
        require(COMPONENT, args, "scope", "budget_name", "amount_usd", "thresholds", "start_date")
        if not args["amount_usd"] > 0:
            raise arg_error(COMPONENT, "amount_usd", f"{args['amount_usd']} must be greater than 0")
        bad = [p for p in args["thresholds"] if not 1 <= p <= 1000]
        if bad or not args["thresholds"]:
            raise arg_error(
                COMPONENT, "thresholds", f"{args['thresholds']} must be 1-5 percentages of 1-1000"
            )
        emails = list(args.get("contact_emails", []))
        group = args.get("action_group_id")
        if not emails and group is None:
            raise arg_error(COMPONENT, "contact_emails", "a budget alert needs an e-mail or an action group")
        budget = consumption.Budget(
            f"{name}-budget",
            budget_name=args["budget_name"],
            scope=args["scope"],
            amount=float(args["amount_usd"]),
            category="Cost",
            time_grain="Monthly",
            time_period=consumption.BudgetTimePeriodArgs(start_date=f"{args['start_date']}T00:00:00Z"),
            notifications=notifications(
                list(args["thresholds"]),
                args.get("forecast_threshold"),
                emails,
                [group] if group is not None else [],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.budget_id = budget.id
        self.register_outputs({"budget_id": self.budget_id})
