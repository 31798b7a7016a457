"""The engine's Azure answers: every ARM id placeholder is a real SDK input, ids look like ARM ids."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from infra.engine.answers.azure_native import ARM_TABLE


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@pytest.mark.parametrize("token", sorted(ARM_TABLE))
def test_placeholders_are_sdk_inputs(token):
    scope, path, name_input = ARM_TABLE[token]
    _, module, cls = token.split(":")
    sdk = importlib.import_module(f"pulumi_azure_native.{module}")
    args = getattr(sdk, f"{cls}InitArgs", None) or getattr(sdk, f"{cls}Args")
    inputs = {_camel(p) for p in inspect.signature(args.__init__).parameters if p != "self"}
    needed = set(re.findall(r"\{(\w+)\}", path)) | {name_input}
    if scope == "rg":
        needed.add("resourceGroupName")
    if scope.startswith("ext:"):
        needed.add(scope[4:])
    assert needed <= inputs, f"{token}: {sorted(needed - inputs)} are not inputs of {cls}"
