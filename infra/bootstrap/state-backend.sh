#!/usr/bin/env bash
# One-time, idempotent bootstrap of the Pulumi state backend (docs/bootstrap.md).
#
# Creates, or brings back in line when they exist:
#   * a resource group;
#   * a StorageV2 account for Pulumi state: shared keys disabled (Entra ID only), OAuth by default,
#     no public blobs, HTTPS + TLS 1.2, blob versioning, blob and container soft delete, public
#     network access Disabled unless --public-network-access Enabled says otherwise;
#   * a private blob container for the state;
#   * a Key Vault with RBAC authorisation, purge protection and soft delete (recovered if it was
#     soft-deleted), public network access as the account, holding one RSA key per stack
#     (<key>-<stack>): each stack's own secrets provider;
#   * data-plane logs: blob reads, writes and deletes of the account and the vault's audit events
#     go to --log-analytics (or nowhere with an explicit --no-logs);
#   * role assignments, each stack isolated within the one backend:
#       - the operator running this script: Key Vault Crypto Officer (to create the keys) and
#         Storage Blob Data Contributor on the container (to run `pulumi stack init`);
#       - a deployer of STACK (--deployer STACK=ID): Storage Blob Data Contributor on the container
#         with an ABAC condition: it reads and writes only blobs under its own stack's paths;
#         Storage Blob Data Reader with a condition: it reads the shared stack's state and the
#         backend's meta file (StackReference); Key Vault Crypto User on its own stack's key only;
#       - a reader of STACK (--reader STACK=ID; the pull-request preview and job identities):
#         Storage Blob Data Reader with a condition (its own and the shared stack's state and the
#         meta file) and decrypt-only use of its own stack's key (a custom role).
# Then prints the `pulumi login` and `pulumi stack init` lines and the variable group the pipelines
# read. Needs Azure CLI 2.60+ signed in (`az login`); touches nothing else.
set -euo pipefail

STACKS=(shared dev qa prod)
RETRY_SECONDS="${BOOTSTRAP_RETRY_SECONDS:-20}"
RETRIES="${BOOTSTRAP_RETRIES:-15}"

usage() {
  cat <<'EOF'
usage: infra/bootstrap/state-backend.sh --subscription ID --resource-group NAME --location REGION
         --storage-account NAME --vault NAME (--log-analytics ID | --no-logs) [--container NAME]
         [--key PREFIX] [--project NAME] [--deployer STACK=OBJECT_ID]... [--reader STACK=OBJECT_ID]...
         [--operator OBJECT_ID] [--operator-type User|ServicePrincipal]
         [--public-network-access Enabled|Disabled] [--retention-days N]

  --subscription           subscription that holds the state (GUID)
  --resource-group         resource group for the state account and the vault
  --location               Azure region, e.g. westeurope
  --storage-account        state storage account name: 3-24 lower-case letters and digits
  --vault                  Key Vault name: 3-24 letters, digits and hyphens, starting with a letter
  --container              blob container for the state (default: pulumi-state)
  --key                    prefix of the per-stack RSA keys, <prefix>-<stack> (default: pulumi-secrets)
  --project                Pulumi project name, part of the state paths (default: mlops-estate)
  --log-analytics          ARM id of the Log Analytics workspace for data-plane logs
  --no-logs                no data-plane logs (say so explicitly)
  --deployer               STACK=OBJECT_ID of a stack's deploying identity (writes only that stack)
  --reader                 STACK=OBJECT_ID of a read-only identity (preview, jobs) of a stack
  --operator               object id of whoever runs `pulumi stack init` (default: signed-in user)
  --operator-type          principal type of the operator (default: User)
  --public-network-access  Disabled (default; reach it through private endpoints) or Enabled
  --retention-days         soft-delete retention for blobs, containers and the vault, 7-90 (default: 30)
EOF
}

fail() {
  echo "error: $1" >&2
  exit 2
}

subscription="" resource_group="" location="" account="" vault=""
container="pulumi-state" key="pulumi-secrets" operator="" operator_type="User"
public_network_access="Disabled" retention_days="30" project="mlops-estate"
log_analytics="" no_logs=0
deployers=() readers=()

while [ $# -gt 0 ]; do
  case "$1" in
    --subscription|--resource-group|--location|--storage-account|--vault|--container|--key|--project|--log-analytics|--deployer|--reader|--operator|--operator-type|--public-network-access|--retention-days)
      [ $# -ge 2 ] || fail "$1 needs a value"
      case "$1" in
        --subscription) subscription="$2" ;;
        --resource-group) resource_group="$2" ;;
        --location) location="$2" ;;
        --storage-account) account="$2" ;;
        --vault) vault="$2" ;;
        --container) container="$2" ;;
        --key) key="$2" ;;
        --project) project="$2" ;;
        --log-analytics) log_analytics="$2" ;;
        --deployer) deployers+=("$2") ;;
        --reader) readers+=("$2") ;;
        --operator) operator="$2" ;;
        --operator-type) operator_type="$2" ;;
        --public-network-access) public_network_access="$2" ;;
        --retention-days) retention_days="$2" ;;
      esac
      shift 2
      ;;
    --no-logs) no_logs=1; shift ;;
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
[[ "$project" =~ ^[A-Za-z0-9_.-]{1,100}$ ]] || fail "--project is '$project'; expected 1-100 letters, digits, '_', '.', '-'"
if [ -n "$log_analytics" ]; then
  [[ "$log_analytics" =~ ^/subscriptions/[^/]+/resource[Gg]roups/[^/]+/providers/Microsoft\.OperationalInsights/workspaces/[^/]+$ ]] \
    || fail "--log-analytics is '$log_analytics'; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>"
  [ "$no_logs" -eq 0 ] || fail "--log-analytics and --no-logs exclude each other"
elif [ "$no_logs" -eq 0 ]; then
  fail "data-plane logs need --log-analytics WORKSPACE_ID (or say --no-logs)"
fi
# check_principal FLAG STACK=OBJECT_ID
check_principal() {
  local stack="${2%%=*}" id="${2#*=}"
  [[ "$2" == *=* ]] || fail "$1 is '$2'; expected STACK=OBJECT_ID, e.g. prod=<GUID>"
  case "$stack" in shared|dev|qa|prod) ;; *) fail "$1 is '$2'; the stack must be one of ${STACKS[*]}" ;; esac
  [[ "$id" =~ $guid ]] || fail "$1 is '$2'; expected an object id (GUID) after '$stack='"
}
for deployer in "${deployers[@]}"; do check_principal --deployer "$deployer"; done
for reader in "${readers[@]}"; do check_principal --reader "$reader"; done

step() { echo "==> $*"; }

BLOB="Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
# stack_paths STACK: an ABAC expression true for the blobs of STACK in the diy backend layout
# (.pulumi/stacks/<project>/<stack>.json[.gz|.bak], history, backups, journal, locks).
stack_paths() {
  local p="@Resource[$BLOB:path] StringStartsWith"
  printf "%s '.pulumi/stacks/%s/%s.json' OR %s '.pulumi/history/%s/%s/' OR %s '.pulumi/backups/%s/%s/' OR %s '.pulumi/journal/%s/%s/' OR %s '.pulumi/locks/organization/%s/%s/'" \
    "$p" "$project" "$1" "$p" "$project" "$1" "$p" "$project" "$1" "$p" "$project" "$1" "$p" "$project" "$1"
}
# write_condition STACK: reads, writes and deletes only under STACK's paths (listing stays allowed).
write_condition() {
  printf "((!(ActionMatches{'%s/read'} AND NOT SubOperationMatches{'Blob.List'}) AND !(ActionMatches{'%s/write'}) AND !(ActionMatches{'%s/add/action'}) AND !(ActionMatches{'%s/delete'})) OR (%s))" \
    "$BLOB" "$BLOB" "$BLOB" "$BLOB" "$(stack_paths "$1")"
}
# read_condition STACK...: reads only the meta file and the given stacks' paths.
read_condition() {
  local paths="@Resource[$BLOB:path] StringEquals '.pulumi/meta.yaml'" stack
  for stack in "$@"; do paths="$paths OR $(stack_paths "$stack")"; done
  printf "((!(ActionMatches{'%s/read'} AND NOT SubOperationMatches{'Blob.List'})) OR (%s))" "$BLOB" "$paths"
}
# uniq_stacks STACK...: the arguments without repeats, in order.
uniq_stacks() { printf '%s\n' "$@" | awk '!seen[$0]++' | tr '\n' ' '; }

# ensure_role OBJECT_ID PRINCIPAL_TYPE ROLE SCOPE [CONDITION]: assign ROLE at SCOPE (with the ABAC
# CONDITION, version 2.0) unless already assigned.
ensure_role() {
  local count
  count="$(az role assignment list --assignee "$1" --role "$3" --scope "$4" --query "length(@)" --output tsv)"
  if [ "$count" = "0" ]; then
    if [ $# -ge 5 ]; then
      az role assignment create --assignee-object-id "$1" --assignee-principal-type "$2" \
        --role "$3" --scope "$4" --condition "$5" --condition-version 2.0 --output none
    else
      az role assignment create --assignee-object-id "$1" --assignee-principal-type "$2" \
        --role "$3" --scope "$4" --output none
    fi
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
container_id="$account_id/blobServices/default/containers/$container"

if [ -n "$log_analytics" ]; then
  step "data-plane logs to $log_analytics"
  az monitor diagnostic-settings create --name pulumi-state-logs --resource "$account_id/blobServices/default" \
    --workspace "$log_analytics" \
    --logs '[{"category":"StorageRead","enabled":true},{"category":"StorageWrite","enabled":true},{"category":"StorageDelete","enabled":true}]' \
    --output none
  az monitor diagnostic-settings create --name pulumi-state-logs --resource "$vault_id" \
    --workspace "$log_analytics" --logs '[{"categoryGroup":"audit","enabled":true}]' --output none
fi

step "roles of the operator $operator"
ensure_role "$operator" "$operator_type" "Key Vault Crypto Officer" "$vault_id"
ensure_role "$operator" "$operator_type" "Storage Blob Data Contributor" "$container_id"

for stack in "${STACKS[@]}"; do
  step "key $key-$stack"
  if ! az keyvault key show --vault-name "$vault" --name "$key-$stack" --output none 2>/dev/null; then
    retry az keyvault key create --vault-name "$vault" --name "$key-$stack" --kty RSA --size 3072 \
      --ops encrypt decrypt wrapKey unwrapKey --output none
  fi
done

decrypt_role="Pulumi state key decrypt ($vault)"
if [ "${#readers[@]}" -gt 0 ]; then
  step "custom role '$decrypt_role'"
  if [ "$(az role definition list --name "$decrypt_role" --scope "$vault_id" --query "length(@)" --output tsv)" = "0" ]; then
    az role definition create --role-definition "{\"Name\": \"$decrypt_role\", \"IsCustom\": true, \"Description\": \"Read a Pulumi stack's secrets: decrypt with the stack's key, nothing else.\", \"Actions\": [], \"DataActions\": [\"Microsoft.KeyVault/vaults/keys/read\", \"Microsoft.KeyVault/vaults/keys/decrypt/action\"], \"AssignableScopes\": [\"$vault_id\"]}" --output none
  fi
fi

for deployer in "${deployers[@]}"; do
  stack="${deployer%%=*}" id="${deployer#*=}"
  step "roles of the $stack deployer $id"
  # An earlier bootstrap granted the whole account; the conditioned grants below replace it.
  az role assignment delete --assignee "$id" --role "Storage Blob Data Contributor" --scope "$account_id" --output none
  ensure_role "$id" ServicePrincipal "Storage Blob Data Contributor" "$container_id" "$(write_condition "$stack")"
  ensure_role "$id" ServicePrincipal "Storage Blob Data Reader" "$container_id" "$(read_condition shared)"
  ensure_role "$id" ServicePrincipal "Key Vault Crypto User" "$vault_id/keys/$key-$stack"
done

for reader in "${readers[@]}"; do
  stack="${reader%%=*}" id="${reader#*=}"
  step "roles of the $stack reader $id"
  # shellcheck disable=SC2046
  ensure_role "$id" ServicePrincipal "Storage Blob Data Reader" "$container_id" \
    "$(read_condition $(uniq_stacks "$stack" shared))"
  ensure_role "$id" ServicePrincipal "$decrypt_role" "$vault_id/keys/$key-$stack"
done

backend_url="azblob://$container?storage_account=$account"
secrets_provider="azurekeyvault://$vault.vault.azure.net/keys/$key"

cat <<EOF

State backend ready. Once, from a clone of the repository:

  pulumi login $backend_url
EOF
for stack in "${STACKS[@]}"; do
  echo "  pulumi stack init $stack --secrets-provider $secrets_provider-$stack"
done
cat <<EOF

Commit the secretsprovider/encryptedkey lines 'pulumi stack init' adds to each Pulumi.<stack>.yaml.
The pipelines read the backend from the variable group mlops-estate-state:

  az pipelines variable-group create --name mlops-estate-state --authorize false \\
    --variables PULUMI_BACKEND_URL='$backend_url' PULUMI_SECRETS_PROVIDER='$secrets_provider'

PULUMI_SECRETS_PROVIDER is the key prefix: pipelines/scripts/pulumi-login.sh appends -<stack>.
EOF
