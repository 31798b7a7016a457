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
# The pinned CLI from the GitHub release, verified against the checksums file that release
# publishes (pulumi-<version>-checksums.txt) before anything is unpacked: no `curl | sh`, no
# hash kept here. A mismatch or a missing entry stops the job.
if [ "$(pulumi version 2>/dev/null || true)" != "v$PULUMI_VERSION" ]; then
  pulumi_release="https://github.com/pulumi/pulumi/releases/download/v$PULUMI_VERSION"
  pulumi_archive="pulumi-v$PULUMI_VERSION-linux-x64.tar.gz"
  pulumi_tmp="$(mktemp -d)"
  curl -fsSL --retry 3 -o "$pulumi_tmp/$pulumi_archive" "$pulumi_release/$pulumi_archive"
  curl -fsSL --retry 3 -o "$pulumi_tmp/checksums.txt" "$pulumi_release/pulumi-$PULUMI_VERSION-checksums.txt"
  if ! grep -E "^[0-9a-f]{64}  $pulumi_archive\$" "$pulumi_tmp/checksums.txt" > "$pulumi_tmp/expected.txt"; then
    echo "pulumi-login.sh: $pulumi_archive is not listed in pulumi-$PULUMI_VERSION-checksums.txt" >&2
    exit 3
  fi
  (cd "$pulumi_tmp" && sha256sum -c --strict expected.txt) || {
    echo "pulumi-login.sh: $pulumi_archive does not match the release's published SHA-256" >&2
    exit 3
  }
  mkdir -p "$HOME/.pulumi/bin"
  tar -xzf "$pulumi_tmp/$pulumi_archive" -C "$HOME/.pulumi/bin" --strip-components=1
  rm -rf "$pulumi_tmp"
fi

pulumi login "$PULUMI_BACKEND_URL"
if [ -n "${STACK:-}" ]; then
  # One key per stack (infra/bootstrap/state-backend.sh): the variable holds the prefix.
  pulumi stack select "$STACK" --create --secrets-provider "$PULUMI_SECRETS_PROVIDER-$STACK"
fi
