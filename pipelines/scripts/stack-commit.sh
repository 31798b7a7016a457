#!/usr/bin/env bash
# Keeps git the source of truth for promotions made by the release pipeline.
#   stack-commit.sh sync BRANCH              check out the tip of BRANCH (not the run's commit)
#   stack-commit.sh commit STACK MESSAGE     commit Pulumi.<STACK>.yaml and push it to that branch
# The push uses the build service identity (checkout with persistCredentials: true); the commit
# message carries [skip ci] so the push does not start ci / infra-deploy again. A push that loses a
# race with another commit is rebased and retried (3 attempts). No change -> nothing is committed.
set -euo pipefail

usage() {
  echo "usage: stack-commit.sh sync BRANCH | commit STACK MESSAGE" >&2
  exit 2
}

branch_file="$(git rev-parse --git-dir)/estate-release-branch"

case "${1:-}" in
  sync)
    [ $# -eq 2 ] || usage
    branch="${2#refs/heads/}"
    git fetch --quiet origin "$branch"
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
    git -c user.name="mlops-estate release" -c user.email="mlops-estate-release@users.noreply.dev.azure.com" \
      commit --quiet -m "$message [skip ci]" -m "Release-Run: ${BUILD_BUILDID:-local}" -- "${paths[@]}"
    for attempt in 1 2 3; do
      if git push --quiet origin "HEAD:refs/heads/$branch"; then
        echo "pushed $file to $branch at $(git rev-parse --short HEAD)"
        exit 0
      fi
      echo "push attempt $attempt lost a race; rebasing on origin/$branch" >&2
      git -c user.name="mlops-estate release" -c user.email="mlops-estate-release@users.noreply.dev.azure.com" \
        pull --quiet --rebase origin "$branch"
    done
    echo "stack-commit.sh: could not push $file to $branch after 3 attempts" >&2
    exit 1
    ;;
  *)
    usage
    ;;
esac
