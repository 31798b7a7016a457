"""How the offline engine answers like Azure: ids, names and computed outputs per resource type.

Every custom resource type the program creates needs an entry (``answer(...)``) in one of
the provider modules of this package; a type without one is an engine error, so nothing in a
plan is silently unknown. Entries are pure functions of the resource's inputs and URN, so
answers are deterministic.
"""

from __future__ import annotations

# Importing the provider modules registers their entries.
from infra.engine.answers import azure_native as _azure_native  # noqa: F401
from infra.engine.answers import azuredevops as _azuredevops  # noqa: F401
from infra.engine.answers import databricks as _databricks  # noqa: F401
from infra.engine.answers import invokes as _invokes  # noqa: F401
from infra.engine.answers import serving as _serving  # noqa: F401
from infra.engine.answers.common import ANSWERS, INVOKES, Answer, ResourceContext, answer, invoke, lookup

__all__ = ["ANSWERS", "INVOKES", "Answer", "ResourceContext", "answer", "invoke", "lookup"]
