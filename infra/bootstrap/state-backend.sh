#!/usr/bin/env bash
# One-time, idempotent bootstrap of the Pulumi state backend (docs/bootstrap.md).
#
# Creates, or brings back in line when they exist:
#   * a resource group;
#   * a StorageV2 account for Pulumi state: shared keys disabled (Entra ID only), OAuth by default,
#     no public blobs, HTTPS + TLS 1.2, blob versioning, blob and container soft delete;
#     private-ready (--public-network-access Disabled once a private endpoint exists);
#   * a private blob container for the state;
#   * a Key Vault with RBAC authorisation, purge protection and soft delete (recovered if it was
#     soft-deleted), holding an RSA key that is the stacks' secrets provider;
#   * role assignments: the operator running this script gets Key Vault Crypto Officer (to create
#     the key) and Storage Blob Data Contributor (to run `pulumi stack init`); every deploying
#     identity (--deployer, the service principals behind mlops-estate-<stack>) gets Storage Blob
#     Data Contributor on the account and Key Vault Crypto User on the key.
# Then prints the `pulumi login` and `pulumi stack init` lines and the variable group the pipelines
# read. Needs Azure CLI 2.60+ signed in (`az login`); touches nothing else.
set -euo pipefail

STACKS=(shared dev qa prod)
RETRY_SECONDS="${BOOTSTRAP_RETRY_SECONDS:-20}"
RETRIES="${BOOTSTRAP_RETRIES:-15}"

usage() {
  cat <<'EOF'
usage: infra/bootstrap/state-backend.sh --subscription ID --resource-group NAME --location REGION
         --storage-account NAME --vault NAME [--container NAME] [--key NAME]
         [--deployer OBJECT_ID]... [--operator OBJECT_ID] [--operator-type User|ServicePrincipal]
         [--public-network-access Enabled|Disabled] [--retention-days N]

  --subscription           subscription that holds the state (GUID)
  --resource-group         resource group for the state account and the vault
  --location               Azure region, e.g. westeurope
  --storage-account        state storage account name: 3-24 lower-case letters and digits
  --vault                  Key Vault name: 3-24 letters, digits and hyphens, starting with a letter
  --container              blob container for the state (default: pulumi-state)
  --key                    RSA key used as the secrets provider (default: pulumi-secrets)
  --deployer               object id of a deploying identity; repeat for each stack's identity
  --operator               object id of whoever runs `pulumi stack init` (default: signed-in user)
  --operator-type          principal type of the operator (default: User)
  --public-network-access  Enabled (default) or Disabled once private endpoints exist
  --retention-days         soft-delete retention for blobs, containers and the vault, 7-90 (default: 30)
EOF
}

fail() {
  echo "error: $1" >&2
  exit 2
}

subscription="" resource_group="" location="" account="" vault=""
container="pulumi-state" key="pulumi-secrets" operator="" operator_type="User"
public_network_access="Enabled" retention_days="30"
deployers=()

while [ $# -gt 0 ]; do
  case "$1" in
    --subscription|--resource-group|--location|--storage-account|--vault|--container|--key|--deployer|--operator|--operator-type|--public-network-access|--retention-days)
      [ $# -ge 2 ] || fail "$1 needs a value"
      case "$1" in
        --subscription) subscription="$2" ;;
        --resource-group) resource_group="$2" ;;
        --location) location="$2" ;;
        --storage-account) account="$2" ;;
        --vault) vault="$2" ;;
        --container) container="$2" ;;
        --key) key="$2" ;;
        --deployer) deployers+=("$2") ;;
        --operator) operator="$2" ;;
        --operator-type) operator_type="$2" ;;
        --public-network-access) public_network_access="$2" ;;
        --retention-days) retention_days="$2" ;;
      esac
      shift 2
      ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown argument '$1'" ;;
  esac
done

guid='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
[[ "$subscription" =~ $guid ]] || fail "--subscription is '$subscription'; expected a subscription id (GUID)"
[[ "$resource_group" =~ ^[-_.()a-zA-Z0-9]{1,90}$ && "$resource_group" != *. ]] \
  || fail "--resource-group is '$resource_group'; expected 1-90 letters, digits, '-', '_', '.', '(', ')', not ending in '.'"
[[ "$location" =~ ^[a-z0-9]{3,40}$ ]] || fail "--location is '$location'; expected a region name such as westeurope"
[[ "$account" =~ ^[a-z0-9]{3,24}$ ]] || fail "--storage-account is '$account'; expected 3-24 lower-case letters and digits"
[[ "$vault" =~ ^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$ && "$vault" != *--* ]] \
  || fail "--vault is '$vault'; expected 3-24 letters, digits and single hyphens, starting with a letter"
[[ "$container" =~ ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$ && "$container" != *--* ]] \
  || fail "--container is '$container'; expected 3-63 lower-case letters, digits and single hyphens"
[[ "$key" =~ ^[a-zA-Z0-9-]{1,127}$ ]] || fail "--key is '$key'; expected 1-127 letters, digits and hyphens"
[[ "$operator_type" == User || "$operator_type" == ServicePrincipal ]] \
  || fail "--operator-type is '$operator_type'; allowed: User, ServicePrincipal"
[[ "$public_network_access" == Enabled || "$public_network_access" == Disabled ]] \
  || fail "--public-network-access is '$public_network_access'; allowed: Enabled, Disabled"
if ! [[ "$retention_days" =~ ^[0-9]{1,2}$ ]] || [ "$retention_days" -lt 7 ] || [ "$retention_days" -gt 90 ]; then
  fail "--retention-days is '$retention_days'; expected a whole number from 7 to 90"
fi
[ -z "$operator" ] || [[ "$operator" =~ $guid ]] || fail "--operator is '$operator'; expected an object id (GUID)"
for deployer in "${deployers[@]}"; do
  [[ "$deployer" =~ $guid ]] || fail "--deployer is '$deployer'; expected an object id (GUID)"
done

step() { echo "==> $*"; }

# ensure_role OBJECT_ID PRINCIPAL_TYPE ROLE SCOPE: assign ROLE at SCOPE unless already assigned.
ensure_role() {
  local count
  count="$(az role assignment list --assignee "$1" --role "$3" --scope "$4" --query "length(@)" --output tsv)"
  if [ "$count" = "0" ]; then
    az role assignment create --assignee-object-id "$1" --assignee-principal-type "$2" \
      --role "$3" --scope "$4" --output none
    echo "    assigned '$3' to $1"
  else
    echo "    '$3' already assigned to $1"
  fi
}

# retry COMMAND...: role assignments take minutes to reach the data plane; retry until they have.
retry() {
  local attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$RETRIES" ]; then
      echo "error: '$*' still failing after $RETRIES attempts" >&2
      return 1
    fi
    echo "    waiting ${RETRY_SECONDS}s for role assignments to propagate (attempt $attempt/$RETRIES)"
    sleep "$RETRY_SECONDS"
    attempt=$((attempt + 1))
  done
}

step "subscription $subscription"
az account set --subscription "$subscription"
if [ -z "$operator" ]; then
  operator="$(az ad signed-in-user show --query id --output tsv)" \
    || fail "cannot read the signed-in user; pass --operator OBJECT_ID --operator-type ServicePrincipal"
fi

step "resource group $resource_group"
if ! az group show --name "$resource_group" --output none 2>/dev/null; then
  az group create --name "$resource_group" --location "$location" --tags purpose=pulumi-state --output none
fi

step "storage account $account"
if az storage account show --name "$account" --resource-group "$resource_group" --output none 2>/dev/null; then
  az storage account update --name "$account" --resource-group "$resource_group" \
    --allow-shared-key-access false --allow-blob-public-access false --https-only true \
    --min-tls-version TLS1_2 --default-to-oauth-authentication true \
    --public-network-access "$public_network_access" --output none
else
  az storage account create --name "$account" --resource-group "$resource_group" --location "$location" \
    --kind StorageV2 --sku Standard_GRS --access-tier Hot \
    --allow-shared-key-access false --allow-blob-public-access false --https-only true \
    --min-tls-version TLS1_2 --default-to-oauth-authentication true \
    --public-network-access "$public_network_access" --tags purpose=pulumi-state --output none
fi
az storage account blob-service-properties update --account-name "$account" --resource-group "$resource_group" \
  --enable-versioning true \
  --enable-delete-retention true --delete-retention-days "$retention_days" \
  --enable-container-delete-retention true --container-delete-retention-days "$retention_days" --output none
account_id="$(az storage account show --name "$account" --resource-group "$resource_group" --query id --output tsv)"

step "container $container"
if ! az storage container-rm show --storage-account "$account" --resource-group "$resource_group" \
  --name "$container" --output none 2>/dev/null; then
  az storage container-rm create --storage-account "$account" --resource-group "$resource_group" \
    --name "$container" --public-access off --output none
fi

step "key vault $vault"
if ! az keyvault show --name "$vault" --resource-group "$resource_group" --output none 2>/dev/null; then
  if az keyvault show-deleted --name "$vault" --output none 2>/dev/null; then
    echo "    $vault is soft-deleted; recovering it (purge protection forbids purging)"
    az keyvault recover --name "$vault" --output none
  else
    az keyvault create --name "$vault" --resource-group "$resource_group" --location "$location" \
      --enable-rbac-authorization true --enable-purge-protection true \
      --retention-days "$retention_days" --public-network-access "$public_network_access" \
      --tags purpose=pulumi-state --output none
  fi
fi
vault_id="$(az keyvault show --name "$vault" --resource-group "$resource_group" --query id --output tsv)"

step "roles of the operator $operator"
ensure_role "$operator" "$operator_type" "Key Vault Crypto Officer" "$vault_id"
ensure_role "$operator" "$operator_type" "Storage Blob Data Contributor" "$account_id"

step "key $key"
if ! az keyvault key show --vault-name "$vault" --name "$key" --output none 2>/dev/null; then
  retry az keyvault key create --vault-name "$vault" --name "$key" --kty RSA --size 3072 \
    --ops encrypt decrypt wrapKey unwrapKey --output none
fi

for deployer in "${deployers[@]}"; do
  step "roles of the deploying identity $deployer"
  ensure_role "$deployer" ServicePrincipal "Storage Blob Data Contributor" "$account_id"
  ensure_role "$deployer" ServicePrincipal "Key Vault Crypto User" "$vault_id/keys/$key"
done

backend_url="azblob://$container?storage_account=$account"
secrets_provider="azurekeyvault://$vault.vault.azure.net/keys/$key"

cat <<EOF

State backend ready. Once, from a clone of the repository:

  pulumi login $backend_url
EOF
for stack in "${STACKS[@]}"; do
  echo "  pulumi stack init $stack --secrets-provider $secrets_provider"
done
cat <<EOF

Commit the secretsprovider/encryptedkey lines 'pulumi stack init' adds to each Pulumi.<stack>.yaml.
The pipelines read the backend from the variable group mlops-estate-state:

  az pipelines variable-group create --name mlops-estate-state --authorize false \\
    --variables PULUMI_BACKEND_URL='$backend_url' PULUMI_SECRETS_PROVIDER='$secrets_provider'
EOF
