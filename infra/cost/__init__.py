"""Monthly cost estimates (``estate cost``): price table, assumptions, rules per type."""

from infra.cost.estimate import cost_delta, estimate_cost
from infra.cost.tables import load_assumptions

__all__ = ["cost_delta", "estimate_cost", "load_assumptions"]
