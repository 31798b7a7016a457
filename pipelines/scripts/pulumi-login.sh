# shellcheck shell=bash
# Source this after azure-env.sh. It makes the pinned Pulumi CLI available, logs in to the Azure
# Blob state backend and, when STACK is set, selects that stack (creating it with the Key Vault
# secrets provider on first use). Inputs (pipeline variables, see docs/bootstrap.md):
#   PULUMI_VERSION           pinned CLI version, e.g. 3.272.0
#   PULUMI_BACKEND_URL       azblob://<container>?storage_account=<account>
#   PULUMI_SECRETS_PROVIDER  azurekeyvault://<vault>.vault.azure.net/keys/<key prefix> (-<stack> is appended)
#   STACK                    optional: shared | dev | qa | prod

: "${PULUMI_VERSION:?pulumi-login.sh: PULUMI_VERSION is not set (pipelines/templates/variables.yml)}"
: "${PULUMI_BACKEND_URL:?pulumi-login.sh: PULUMI_BACKEND_URL is not set (variable group mlops-estate-state, docs/bootstrap.md)}"
: "${PULUMI_SECRETS_PROVIDER:?pulumi-login.sh: PULUMI_SECRETS_PROVIDER is not set (variable group mlops-estate-state, docs/bootstrap.md)}"

case "$PULUMI_BACKEND_URL" in
  azblob://*\?storage_account=*) ;;
  *)
    echo "pulumi-login.sh: PULUMI_BACKEND_URL is '$PULUMI_BACKEND_URL'; expected azblob://<container>?storage_account=<account>" >&2
    exit 2
    ;;
esac
case "$PULUMI_SECRETS_PROVIDER" in
  azurekeyvault://*.vault.azure.net/keys/*) ;;
  *)
    echo "pulumi-login.sh: PULUMI_SECRETS_PROVIDER is '$PULUMI_SECRETS_PROVIDER'; expected azurekeyvault://<vault>.vault.azure.net/keys/<key>" >&2
    exit 2
    ;;
esac
case "${STACK:-}" in
  ""|shared|dev|qa|prod) ;;
  *)
    echo "pulumi-login.sh: STACK is '$STACK'; allowed: shared, dev, qa, prod" >&2
    exit 2
    ;;
esac

export PATH="$HOME/.pulumi/bin:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
if [ "$(pulumi version 2>/dev/null || true)" != "v$PULUMI_VERSION" ]; then
  curl -fsSL https://get.pulumi.com | sh -s -- --version "$PULUMI_VERSION"
fi

pulumi login "$PULUMI_BACKEND_URL"
if [ -n "${STACK:-}" ]; then
  # One key per stack (infra/bootstrap/state-backend.sh): the variable holds the prefix.
  pulumi stack select "$STACK" --create --secrets-provider "$PULUMI_SECRETS_PROVIDER-$STACK"
fi
