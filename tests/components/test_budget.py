"""Budget component: notifications per threshold, the plan it produces, and bad arguments."""

from __future__ import annotations

from typing import cast

import pytest

from components.budget import Budget, BudgetArgs
from infra.errors import ConfigError
from tests.support.template import Template

BUDGET = "azure-native:consumption:Budget"
SCOPE = "/subscriptions/0000/resourceGroups/rg-mlops-qa-weu"
MINIMAL = {
    "scope": SCOPE,
    "budget_name": "budget-mlops-qa-weu",
    "amount_usd": 1234.0,
    "thresholds": [80, 100],
    "start_date": "2026-01-01",
    "contact_emails": ["ops@contoso.com"],
}


def build(**extra):
    # Tests feed untyped (also invalid) args on purpose: the component validates them.
    return Template.from_function(lambda: Budget("budget", cast(BudgetArgs, {**MINIMAL, **extra})))


def test_one_budget_with_an_alert_per_threshold():
    t = build(forecast_threshold=100, action_group_id="/ag/ops")
    assert t.count_by_type() == {"mlops:operations:Budget": 1, "pulumi:pulumi:Stack": 1, BUDGET: 1}
    t.has_resource_properties(
        BUDGET,
        {
            "budgetName": "budget-mlops-qa-weu",
            "scope": SCOPE,
            "amount": 1234,
            "category": "Cost",
            "timeGrain": "Monthly",
            "timePeriod": {"startDate": "2026-01-01T00:00:00Z"},
        },
    )
    [resource] = [r for r in t.plan["resources"] if r["type"] == BUDGET]
    notes = resource["inputs"]["notifications"]
    assert sorted(notes) == ["actual_100", "actual_80", "forecasted_100"]
    assert notes["actual_80"] == {
        "contactEmails": ["ops@contoso.com"],
        "contactGroups": ["/ag/ops"],
        "enabled": True,
        "operator": "GreaterThanOrEqualTo",
        "threshold": 80,
        "thresholdType": "Actual",
    }
    assert notes["forecasted_100"]["thresholdType"] == "Forecasted"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"amount_usd": 0}, "amount_usd"),
        ({"thresholds": [0]}, "thresholds"),
        ({"contact_emails": []}, "contact_emails"),
    ],
)
def test_bad_arguments(extra, message):
    with pytest.raises(ConfigError, match=message):
        build(**extra)
