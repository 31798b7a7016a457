"""Every decision as one structured JSON line (model, trigger, action, reason, run id)."""

from __future__ import annotations

import json
import logging

from .events import Action, Decision

LOGGER_NAME = "retrain.decisions"
MAX_FIELD_CHARS = 600  # each text field of a decision line is cut to this (a line stays under 2 KB)


class DecisionLog:
    """Writes each :class:`Decision` as one JSON line on the ``retrain.decisions`` logger."""

    def __init__(self, environment: str, logger: logging.Logger | None = None):
        self._environment = environment
        self._logger = logger or logging.getLogger(LOGGER_NAME)

    def line(self, decision: Decision) -> str:
        """The JSON line for ``decision`` (sorted keys, no spaces, one line)."""
        fields = {
            key: value[: MAX_FIELD_CHARS - 3] + "..."
            if isinstance(value, str) and len(value) > MAX_FIELD_CHARS
            else value
            for key, value in decision.as_dict().items()
        }
        body = {"event": "retrain.decision", "environment": self._environment, **fields}
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    def record(self, decision: Decision) -> Decision:
        """Log ``decision`` (failures at WARNING, the rest at INFO) and return it."""
        level = logging.WARNING if decision.action is Action.FAILED else logging.INFO
        self._logger.log(level, self.line(decision))
        return decision
