"""Errors of the retraining Function App, each saying what is wrong and what is allowed."""

from __future__ import annotations


class SettingsError(Exception):
    """An app setting is missing or invalid.

    Shaped like the estate's ``infra.errors.ConfigError`` (``key`` and ``detail``) so the Pulumi
    component that sets these app settings can re-raise it as a ``ConfigError`` at preview.
    """

    def __init__(self, message: str, *, key: str):
        self.key = key
        self.detail = message
        super().__init__(f"{key}: {message}")


MAX_ECHO_CHARS = 120
"""A value from a payload quoted in an error, a decision or a log line is cut to this."""


def show(value: object, limit: int = MAX_ECHO_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters (never echo a payload uncut)."""
    try:
        text = repr(value)
    except Exception:  # a repr that fails must not turn a 400 into a 500
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cut(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class PayloadError(ValueError):
    """A trigger payload that does not have the shape Azure sends (``status``: 400-class, 413 when too large)."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


class StateConflict(Exception):
    """Another writer changed the model's state since it was read (ETag mismatch)."""


class SubmitFailed(Exception):
    """Queuing the train pipeline failed; ``retryable`` tells a transient failure from a final one."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None):
        self.retryable = retryable
        self.status = status
        super().__init__(message)
