"""Shared fixtures of the model_assets tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _quiet_azure_ai_ml():
    """azure-ai-ml's marshmallow deprecation warnings are not the estate's concern."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
