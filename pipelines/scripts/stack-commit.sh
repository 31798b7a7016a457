#!/usr/bin/env bash
# Keeps git the source of truth for promotions made by the release pipeline.
#   stack-commit.sh sync BRANCH              check out the tip of BRANCH (not the run's commit)
#   stack-commit.sh commit STACK MESSAGE     commit Pulumi.<STACK>.yaml and push it to that branch
# Every fetch and push authenticates as the signed-in Azure identity (the release writer: run inside
# AzureCLI@2 on mlops-estate-<stack>-release): an Azure DevOps token is minted with
# `az account get-access-token` (or taken from STACK_COMMIT_TOKEN) and handed to git as an
# Authorization header through GIT_CONFIG_* variables of that one git command, so it is never written
# to .git/config and never on a command line. The checkout must not persist the build service's
# credentials. The commit message carries [skip ci] so the push does not start ci / infra-deploy
# again. A push that loses a race with another commit is rebased and retried (3 attempts).
# No change -> nothing is committed.
set -euo pipefail

AZURE_DEVOPS_RESOURCE="499b84ac-1321-427f-aa17-267ca6975798"

usage() {
  echo "usage: stack-commit.sh sync BRANCH | commit STACK MESSAGE" >&2
  exit 2
}

branch_file="$(git rev-parse --git-dir)/estate-release-branch"

# The Azure DevOps token of the signed-in identity (STACK_COMMIT_TOKEN when set).
token=""
mint_token() {
  if [ -n "$token" ]; then return 0; fi
  token="${STACK_COMMIT_TOKEN:-}"
  if [ -z "$token" ]; then
    if ! token="$(az account get-access-token --resource "$AZURE_DEVOPS_RESOURCE" --query accessToken --output tsv)" || [ -z "$token" ]; then
      echo "stack-commit.sh: no Azure DevOps token: run inside AzureCLI@2 on the release writer connection (or set STACK_COMMIT_TOKEN)" >&2
      exit 2
    fi
  fi
  if [ -n "${TF_BUILD:-}" ]; then echo "##vso[task.setsecret]$token"; fi
}

# git with the token as a bearer header for this one command only.
remote_git() {
  mint_token
  GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraheader \
    GIT_CONFIG_VALUE_0="AUTHORIZATION: bearer $token" git "$@"
}

case "${1:-}" in
  sync)
    [ $# -eq 2 ] || usage
    branch="${2#refs/heads/}"
    remote_git fetch --quiet origin "$branch"
    git checkout --quiet -B "$branch" "origin/$branch"
    printf '%s\n' "$branch" > "$branch_file"
    echo "on $branch at $(git rev-parse --short HEAD)"
    ;;
  commit)
    [ $# -eq 3 ] || usage
    stack="$2"
    message="$3"
    case "$stack" in
      shared|dev|qa|prod) ;;
      *) echo "stack-commit.sh: STACK is '$stack'; allowed: shared, dev, qa, prod" >&2; exit 2 ;;
    esac
    if [ ! -f "$branch_file" ]; then
      echo "stack-commit.sh: run 'stack-commit.sh sync BRANCH' first" >&2
      exit 2
    fi
    branch="$(cat "$branch_file")"
    file="Pulumi.$stack.yaml"
    # `estate promote --record` also lists a just-registered version in the registry catalog.
    paths=("$file")
    catalog="model_assets/registry-catalog.yaml"
    if git ls-files --error-unmatch "$catalog" >/dev/null 2>&1; then paths+=("$catalog"); fi
    if git diff --quiet -- "${paths[@]}"; then
      echo "$file unchanged; nothing to commit"
      exit 0
    fi
    mint_token
    git -c user.name="mlops-estate release" -c user.email="mlops-estate-release@users.noreply.dev.azure.com" \
      commit --quiet -m "$message [skip ci]" -m "Release-Run: ${BUILD_BUILDID:-local}" -- "${paths[@]}"
    for attempt in 1 2 3; do
      if remote_git push --quiet origin "HEAD:refs/heads/$branch"; then
        echo "pushed $file to $branch at $(git rev-parse --short HEAD)"
        exit 0
      fi
      echo "push attempt $attempt lost a race; rebasing on origin/$branch" >&2
      remote_git -c user.name="mlops-estate release" -c user.email="mlops-estate-release@users.noreply.dev.azure.com" \
        pull --quiet --rebase origin "$branch"
    done
    echo "stack-commit.sh: could not push $file to $branch after 3 attempts" >&2
    exit 1
    ;;
  *)
    usage
    ;;
esac
