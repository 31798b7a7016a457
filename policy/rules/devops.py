"""Azure DevOps service connections: workload identity federation only, never a stored secret."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from policy.rules import types
from policy.rules.common import Finding, expect_text, iter_keys, resource_rule

SECRET_INPUT_KEYS: frozenset[str] = frozenset(
    {
        "accessToken",
        "apiKey",
        "apiToken",
        "authorizationParameters",
        "clientCertificate",
        "clientCertificatePassword",
        "clientSecret",
        "connectionString",
        "dockerPassword",
        "kubeConfig",
        "password",
        "personalAccessToken",
        "privateKey",
        "secret",
        "secretAccessKey",
        "serviceprincipalcertificate",
        "serviceprincipalkey",
        "sessionToken",
        "token",
    }
)
"""Service endpoint inputs that carry a credential (the SDK marks them secret), at any depth."""


def is_service_endpoint(resource_type: str) -> bool:
    """True for every pulumi-azuredevops service connection token (both SDK spellings)."""
    return resource_type.startswith(types.ADO_SERVICE_ENDPOINT_PREFIXES) and (
        resource_type not in types.ADO_NOT_A_SERVICE_ENDPOINT
    )


def _azurerm_federation(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    yield from expect_text(args.props, "serviceEndpointAuthenticationScheme", "WorkloadIdentityFederation")


def _no_secrets(args: ResourceValidationArgs, _env: str) -> Iterator[Finding]:
    if not is_service_endpoint(args.resource_type):
        return
    for path, key, value in iter_keys(args.props):
        if key in SECRET_INPUT_KEYS and value is not None:
            yield Finding(
                path, "[secret]", "absent (use workload identity federation, no stored credentials)"
            )


POLICIES = [
    resource_rule(
        "ado-azurerm-workload-identity-federation",
        "Azure Resource Manager service connections authenticate with workload identity federation.",
        [types.ADO_SERVICE_ENDPOINT_AZURERM],
        _azurerm_federation,
    ),
    resource_rule(
        "ado-service-connection-no-secrets",
        "Azure DevOps service connections carry no password, token, key or certificate.",
        [],
        _no_secrets,
    ),
]
"""The Azure DevOps rules, in report order."""
