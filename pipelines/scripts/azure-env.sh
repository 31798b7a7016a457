# shellcheck shell=bash
# Source this inside an AzureCLI@2 step (addSpnToEnvironment: true) whose service connection uses
# workload identity federation. It exports, without any stored secret:
#   ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID, ARM_OIDC_TOKEN, ARM_USE_OIDC=true
#     -> read by the Pulumi azure-native / azuread / azuredevops providers;
#   AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID, AZURE_FEDERATED_TOKEN_FILE
#     -> read by azidentity's WorkloadIdentityCredential, which the Pulumi azblob state backend,
#        the azurekeyvault secrets provider and azure-identity (Python) try before any managed
#        identity of the agent VM (works around pulumi/pulumi#16526).
# The token file lives in the agent's temp directory with mode 600. Set AZURE_ENV_KEEP_TOKEN=1 to
# keep it after the step (a later Pulumi@1 step reads it); otherwise it is removed on exit.

: "${servicePrincipalId:?azure-env.sh: servicePrincipalId is not set; run inside AzureCLI@2 with addSpnToEnvironment: true}"
: "${tenantId:?azure-env.sh: tenantId is not set; run inside AzureCLI@2 with addSpnToEnvironment: true}"
: "${idToken:?azure-env.sh: idToken is not set; the service connection must use workload identity federation}"

ARM_SUBSCRIPTION_ID="$(az account show --query id --output tsv)"
if [ -z "$ARM_SUBSCRIPTION_ID" ]; then
  echo "azure-env.sh: az account show returned no subscription id" >&2
  exit 1
fi
export ARM_SUBSCRIPTION_ID
export ARM_CLIENT_ID="$servicePrincipalId"
export ARM_TENANT_ID="$tenantId"
export ARM_OIDC_TOKEN="$idToken"
export ARM_USE_OIDC=true
export AZURE_CLIENT_ID="$servicePrincipalId"
export AZURE_TENANT_ID="$tenantId"
export AZURE_SUBSCRIPTION_ID="$ARM_SUBSCRIPTION_ID"

AZURE_FEDERATED_TOKEN_FILE="${AGENT_TEMPDIRECTORY:-${TMPDIR:-/tmp}}/azure-federated-token"
export AZURE_FEDERATED_TOKEN_FILE
(umask 077 && printf '%s' "$idToken" > "$AZURE_FEDERATED_TOKEN_FILE")

if [ "${AZURE_ENV_KEEP_TOKEN:-0}" = "1" ]; then
  # Hand the non-secret identifiers and the token file path to the following steps of the job.
  echo "##vso[task.setvariable variable=AZURE_CLIENT_ID]$AZURE_CLIENT_ID"
  echo "##vso[task.setvariable variable=AZURE_TENANT_ID]$AZURE_TENANT_ID"
  echo "##vso[task.setvariable variable=AZURE_SUBSCRIPTION_ID]$AZURE_SUBSCRIPTION_ID"
  echo "##vso[task.setvariable variable=AZURE_FEDERATED_TOKEN_FILE]$AZURE_FEDERATED_TOKEN_FILE"
else
  trap 'rm -f "$AZURE_FEDERATED_TOKEN_FILE"' EXIT
fi
