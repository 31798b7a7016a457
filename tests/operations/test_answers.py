"""The engine's answers for this area: ARM placeholders are SDK inputs; Databricks outputs the program reads."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from infra.engine.answers import ANSWERS, INVOKES, ResourceContext
from infra.engine.answers.databricks import OPERATIONS_ARM


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@pytest.mark.parametrize("token", sorted(OPERATIONS_ARM))
def test_placeholders_are_sdk_inputs(token):
    scope, path, name_input = OPERATIONS_ARM[token]
    _, module, cls = token.split(":")
    sdk = importlib.import_module(f"pulumi_azure_native.{module}")
    args = getattr(sdk, f"{cls}InitArgs", None) or getattr(sdk, f"{cls}Args")
    inputs = {_camel(p) for p in inspect.signature(args.__init__).parameters if p != "self"}
    needed = set(re.findall(r"\{(\w+)\}", path)) | {name_input} | {"resourceGroupName"}
    assert scope == "rg" and needed <= inputs, f"{token}: {sorted(needed - inputs)} are not inputs of {cls}"
    assert token in ANSWERS


def _ctx(token: str, **inputs) -> ResourceContext:
    return ResourceContext(
        token=token,
        logical_name="x",
        urn=f"urn:pulumi:prod::p::{token}::x",
        inputs=inputs,
        subscription_id="00000000-0000-0000-0000-000000000001",
        tenant_id="t",
        location="westeurope",
    )


def test_databricks_workspace_url_and_web_app_host():
    ws = ANSWERS["azure-native:databricks:Workspace"]
    ctx = _ctx("azure-native:databricks:Workspace", workspaceName="dbw-x", resourceGroupName="rg-x")
    assert ws.outputs is not None
    out = ws.outputs(ctx)
    assert re.fullmatch(r"adb-\d{16}\.\d{1,2}\.azuredatabricks\.net", out["workspaceUrl"])
    assert out["workspaceUrl"] == ws.outputs(ctx)["workspaceUrl"]  # deterministic
    assert ws.id(ctx) == (
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-x/providers/"
        "Microsoft.Databricks/workspaces/dbw-x"
    )
    web_outputs = ANSWERS["azure-native:web:WebApp"].outputs
    assert web_outputs is not None
    app = web_outputs(_ctx("azure-native:web:WebApp", name="func-x", resourceGroupName="rg"))
    assert app["defaultHostName"] == "func-x.azurewebsites.net"


@pytest.mark.parametrize(
    "token",
    [
        "databricks:index/clusterPolicy:ClusterPolicy",
        "databricks:index/secretScope:SecretScope",
        "databricks:index/job:Job",
        "databricks:index/permissions:Permissions",
        "databricks:index/servicePrincipal:ServicePrincipal",
        "databricks:index/group:Group",
        "databricks:index/entitlements:Entitlements",
        "databricks:index/catalog:Catalog",
        "databricks:index/schema:Schema",
        "databricks:index/grants:Grants",
    ],
)
def test_every_databricks_type_is_answered(token):
    assert token in ANSWERS
    assert ANSWERS[token].id(
        _ctx(token, name="n", catalogName="c", jobId="1", groupId="g", applicationId="a")
    )


def test_job_ids_are_numeric_and_users_group_lookup():
    job_id = ANSWERS["databricks:index/job:Job"].id(_ctx("databricks:index/job:Job"))
    assert job_id.isdigit() and len(job_id) == 15
    group = INVOKES["databricks:index/getGroup:getGroup"]({"displayName": "users"}, _ctx("invoke"))
    assert group["displayName"] == "users" and group["id"].isdigit()
