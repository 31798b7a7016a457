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


class PayloadError(ValueError):
    """A trigger payload that does not have the shape Azure sends."""


class StateConflict(Exception):
    """Another writer changed the model's state since it was read (ETag mismatch)."""


class SubmitFailed(Exception):
    """Queuing the train pipeline failed; ``retryable`` tells a transient failure from a final one."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None):
        self.retryable = retryable
        self.status = status
        super().__init__(message)
