#!/usr/bin/env bash
# After `pulumi up` of an environment stack (sourced by deploy-stack.yml with STACK set and the
# Azure CLI signed in): what ARM and azure-native cannot do themselves.
#   1. Start the Data Factory schedule triggers (ARM creates every trigger stopped; starting is a
#      separate POST that azure-native never sends). Output: dataFactoryTriggers.
#   2. Build the retraining Function's package from components/retraining/function_app and upload
#      it to the blob WEBSITE_RUN_FROM_PACKAGE names, then restart the app. Output: retrainingPackage.
# A stack without these outputs skips the step.
set -euo pipefail
outputs="$(pulumi stack output --json --stack "$STACK")"
read_output() { printf '%s' "$outputs" | python pipelines/scripts/stack_output.py "$1"; }

if factory="$(read_output dataFactoryTriggers.factory 2>/dev/null)"; then
  group="$(read_output dataFactoryTriggers.resourceGroup)"
  for trigger in $(printf '%s' "$outputs" | python -c 'import json,sys; print(" ".join(json.load(sys.stdin)["dataFactoryTriggers"]["triggers"]))'); do
    echo "starting Data Factory trigger $trigger of $factory"
    az datafactory trigger start --factory-name "$factory" --resource-group "$group" --name "$trigger"
  done
else
  echo "no Data Factory in $STACK"
fi

if account="$(read_output retrainingPackage.storageAccount 2>/dev/null)"; then
  container="$(read_output retrainingPackage.container)"
  blob="$(read_output retrainingPackage.blob)"
  app="$(read_output retrainingPackage.functionApp)"
  group="$(read_output retrainingPackage.resourceGroup)"
  work="$(mktemp -d)"
  python -m pip install --quiet --target "$work/site-packages" \
    -r components/retraining/function_app/requirements.txt
  python pipelines/scripts/build_function_package.py \
    --app components/retraining/function_app --site-packages "$work/site-packages" --out "$work/$blob"
  az storage blob upload --auth-mode login --account-name "$account" --container-name "$container" \
    --name "$blob" --file "$work/$blob" --overwrite true
  az functionapp restart --name "$app" --resource-group "$group"
  echo "deployed the retraining Function package to $app"
else
  echo "no retraining Function in $STACK"
fi
