#!/usr/bin/env bash
# A stand-in for the Azure CLI used by the bootstrap tests: it logs each call and records the
# existence of resource groups, accounts, containers, vaults, keys and role assignments as files in
# $FAKE_AZ_STATE, so a second run of the bootstrap sees what the first one created. Pure bash (no
# subprocess per call) to keep the tests fast.
set -uo pipefail
state="$FAKE_AZ_STATE"
printf '%s\n' "$*" >> "$state/calls.log"

# arg NAME: the value following NAME on the command line ('' if absent).
arg() {
  local previous=""
  for word in "$@"; do
    if [ "$previous" = "$NAME" ]; then printf '%s' "$word"; return; fi
    previous="$word"
  done
}
value() { NAME="$1" arg "${ARGS[@]}"; }
marker() { local joined="$*"; printf '%s/m_%s' "$state" "${joined//[^a-zA-Z0-9]/_}"; }

ARGS=("$@")
words=()
for word in "$@"; do
  case "$word" in -*) break ;; *) words+=("$word") ;; esac
done
command="${words[*]}"

case "$command" in
  "account set") exit 0 ;;
  "ad signed-in-user show") echo "11111111-2222-3333-4444-555555555555"; exit 0 ;;
  "role assignment list")
    if [ -e "$(marker role "$(value --assignee)" "$(value --role)" "$(value --scope)")" ]; then echo 1; else echo 0; fi
    exit 0 ;;
  "role assignment create")
    : > "$(marker role "$(value --assignee-object-id)" "$(value --role)" "$(value --scope)")"
    exit 0 ;;
  "role assignment delete") exit 0 ;;
  "role definition list")
    if [ -e "$(marker roledef "$(value --name)")" ]; then echo 1; else echo 0; fi
    exit 0 ;;
  "role definition create")
    : > "$(marker roledef "Pulumi state key decrypt (kv-mlops-state)")"
    exit 0 ;;
  "monitor diagnostic-settings create") exit 0 ;;
  "group "*) kind=group; id=("$(value --name)"); verb="${words[1]}" ;;
  "storage account blob-service-properties update") exit 0 ;;
  "storage account "*) kind=account; id=("$(value --name)"); verb="${words[2]}" ;;
  "storage container-rm "*) kind=container; id=("$(value --name)"); verb="${words[2]}" ;;
  "keyvault key "*) kind=key; id=("$(value --vault-name)" "$(value --name)"); verb="${words[2]}" ;;
  "keyvault "*) kind=vault; id=("$(value --name)"); verb="${words[1]}" ;;
  *) echo "fake az: unexpected call: $*" >&2; exit 9 ;;
esac

case "$verb" in
  show-deleted) [ -e "$(marker deleted "${id[@]}")" ] && exit 0 || exit 3 ;;
  show)
    [ -e "$(marker "$kind" "${id[@]}")" ] || exit 3
    if [ "$(value --query)" = id ]; then echo "/subscriptions/s/$kind/${id[-1]}"; fi
    exit 0 ;;
  create|recover)
    if [ "$kind" = key ] && [ -s "$state/key-failures" ]; then
      left="$(cat "$state/key-failures")"
      if [ "$left" -gt 0 ]; then
        echo $((left - 1)) > "$state/key-failures"
        echo "Forbidden: caller is not authorized" >&2
        exit 1
      fi
    fi
    : > "$(marker "$kind" "${id[@]}")"
    exit 0 ;;
  *) exit 0 ;;
esac
