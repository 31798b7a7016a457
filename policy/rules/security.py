"""Least-privilege and isolation rules the other areas cannot see on one resource alone:
private managed online endpoints, read-only pull-request preview identities, recycled agent
pools and pinned Databricks job sources.

Reasoned exceptions live in ``policy/suppressions.yaml`` (see :mod:`policy.suppressions`).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policy.rules import types
from policy.rules.common import (
    LOCKED_DOWN_ENVIRONMENTS,
    MISSING,
    Finding,
    expect_text,
    expect_true,
    get_path,
    resource_rule,
    stack_rule,
)

AML_ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
ADO_ELASTIC_POOL = "azuredevops:index/elasticPool:ElasticPool"
DATABRICKS_JOB = "databricks:index/job:Job"
PREVIEW_CONNECTION_SUFFIX = "-preview"
"""Service connections whose name ends so serve pull-request previews (read only)."""
READ_ONLY_ROLES: frozenset[str] = frozenset({"acdd72a7-3385-48ef-bd42-f606fba81ae7"})
"""Built-in role ids a pull-request preview identity may hold: Reader."""


def _endpoint_private(args: ResourceValidationArgs, environment: str) -> Iterator[Finding]:
    if environment not in LOCKED_DOWN_ENVIRONMENTS or get_path(args.props, "kind") == "Kubernetes":
        return
    yield from expect_text(args.props, "properties.publicNetworkAccess", "Disabled")


def _pool_recycles(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_true(args.props, "recycleAfterEachUse")


def _job_source_pinned(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    source = get_path(args.props, "gitSource")
    if source is MISSING or source is None:
        return
    if get_path(source, "commit") in (MISSING, None, "") and get_path(source, "tag") in (MISSING, None, ""):
        yield Finding(
            "gitSource", get_path(source, "branch"), "a commit or tag (a branch moves under the job)"
        )


def _role_id(resource: PolicyResource) -> str:
    value = _value(resource, "roleDefinitionId")
    return value.rsplit("/", 1)[-1] if isinstance(value, str) else ""


def _value(resource: PolicyResource, path: str) -> object:
    """An input or output by dotted path; None when absent or unknown during preview."""
    try:
        value = get_path(resource.props, path)
    except UnknownValueError:
        return None
    return None if value is MISSING else value


def _preview_read_only(args: StackValidationArgs, _env: str) -> Iterator[tuple[PolicyResource, Finding]]:
    """Every role of an identity behind a ``*-preview`` connection is read only (identities are
    matched by client id, role assignments by principal id)."""
    clients = {
        _value(r, "credentials.serviceprincipalid")
        for r in args.resources
        if r.resource_type == types.ADO_SERVICE_ENDPOINT_AZURERM
        and str(_value(r, "serviceEndpointName") or "").endswith(PREVIEW_CONNECTION_SUFFIX)
    } - {None}
    principals = {
        _value(r, "principalId")
        for r in args.resources
        if r.resource_type == types.USER_ASSIGNED_IDENTITY and _value(r, "clientId") in clients
    } - {None}
    for resource in args.resources:
        if (
            resource.resource_type != types.ROLE_ASSIGNMENT
            or _value(resource, "principalId") not in principals
        ):
            continue
        if _role_id(resource) not in READ_ONLY_ROLES:
            yield (
                resource,
                Finding("roleDefinitionId", _role_id(resource), "Reader (a preview identity never writes)"),
            )


POLICIES = [
    resource_rule(
        "ml-managed-endpoint-private",
        "Managed online endpoints take scoring traffic only through the workspace's private endpoint.",
        [AML_ONLINE_ENDPOINT],
        _endpoint_private,
    ),
    resource_rule(
        "ado-agent-pool-recycles",
        "Self-hosted agent pools reimage every agent after each job (pull requests run on them).",
        [ADO_ELASTIC_POOL],
        _pool_recycles,
    ),
    resource_rule(
        "databricks-job-pinned-source",
        "Databricks jobs run their code from a pinned commit or tag, not a moving branch.",
        [DATABRICKS_JOB],
        _job_source_pinned,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    stack_rule(
        "ado-preview-identity-read-only",
        "Identities behind pull-request preview connections hold read-only roles only.",
        _preview_read_only,
    ),
]
"""The cross-cutting security rules, in report order."""
