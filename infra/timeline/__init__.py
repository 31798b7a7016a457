"""Deploy-time estimates (``estate timeline``): durations table, scheduling, serialization."""

from infra.timeline.estimate import default_parallel, estimate_create, estimate_update

__all__ = ["default_parallel", "estimate_create", "estimate_update"]
