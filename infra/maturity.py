"""MLOps maturity of a stack, read back from its plan.

The levels: 1 DevOps but no MLOps, 2 automated training, 3 automated model deployment,
4 automated training after new data arrives, 5 automated operations (full MLOps including
monitoring). ``mlops-estate:maturityLevel`` *claims* a level and decides what the stack
provisions (``infra/settings/stack.py`` refuses components the level does not include and a
level without its components); :func:`assess` checks the claim against the resources the
plan really holds. A level counts as reached only when every level below it is reached too.

Evidence per level (resources in the plan, matched on type and inputs, never on names):

2. the Azure ML training cluster (``machinelearningservices:Compute``, ``AmlCompute``);
3. automated deployment: the release pipeline (stack output ``releasePipelineId``) is
   authorised on the stack's Azure DevOps environment (``PipelineAuthorization`` of type
   ``environment``). The release starts from the training run that registered a version;
   Azure ML registries publish no Event Grid event that could start it;
4. retraining on new data: an Event Grid subscription for ``Microsoft.Storage.BlobCreated``
   delivered to the retraining Function's Storage queue ``retrain-new-data`` (read by
   ``retrain_new_data``);
5. monitoring-driven retraining: a model monitor schedule (``CreateMonitor``) *and* an Event
   Grid subscription for ``Microsoft.MachineLearningServices.RunStatusChanged`` filtered on the
   monitor's threshold-breach tag and delivered to the retraining Function's Storage queue
   ``retrain-drift-event`` (read by ``retrain_drift_event``).
"""

from __future__ import annotations

from typing import Any

LEVELS: dict[int, str] = {
    1: "DevOps, no MLOps",
    2: "automated training",
    3: "automated deployment",
    4: "retraining on new data",
    5: "automated operations",
}
PIPELINE_AUTHORIZATION = "azuredevops:index/pipelineAuthorization:PipelineAuthorization"
BLOB_CREATED = "Microsoft.Storage.BlobCreated"
NEW_DATA_QUEUE = "retrain-new-data"
DRIFT_QUEUE = "retrain-drift-event"
"""The retraining Function's queues (its ``retrain/contract.py``; a test holds them equal)."""
RUN_STATUS_CHANGED = "Microsoft.MachineLearningServices.RunStatusChanged"
BREACH_TAG_KEY = "data.RunTags.azureml_modelmonitor_threshold_breached"
_SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _event_types(resource: dict[str, Any]) -> list[str]:
    types = _get(resource, "inputs", "filter", "includedEventTypes")
    return [str(t) for t in types] if isinstance(types, list) else []


def _delivers_to(resource: dict[str, Any], queue: str) -> bool:
    """Whether the subscription delivers to the Storage queue ``queue``."""
    destination = _get(resource, "inputs", "deliveryWithResourceIdentity", "destination") or _get(
        resource, "inputs", "destination"
    )
    return _get(destination, "endpointType") == "StorageQueue" and _get(destination, "queueName") == queue


def _urns(resources: list[dict[str, Any]]) -> list[str]:
    """URNs ordered by resource name (independent of registration order)."""
    return [r["urn"] for r in sorted(resources, key=lambda r: (r["name"], r["urn"]))]


def _level1(resources: list[dict[str, Any]]) -> list[str]:
    return _urns(
        [
            r
            for r in resources
            if r["type"] == "azure-native:resources:ResourceGroup"
            or (r["type"].startswith("azuredevops:") and r.get("custom"))
        ]
    )


def _level2(resources: list[dict[str, Any]]) -> list[str]:
    return _urns(
        [
            r
            for r in resources
            if r["type"] == "azure-native:machinelearningservices:Compute"
            and _get(r, "inputs", "properties", "computeType") == "AmlCompute"
        ]
    )


def _level3(resources: list[dict[str, Any]], release_pipeline: Any = None) -> list[str]:
    if release_pipeline is None:
        return []
    return _urns(
        [
            r
            for r in resources
            if r["type"] == PIPELINE_AUTHORIZATION
            and _get(r, "inputs", "type") == "environment"
            and str(_get(r, "inputs", "pipelineId")) == str(release_pipeline)
        ]
    )


def _level4(resources: list[dict[str, Any]]) -> list[str]:
    return _urns(
        [
            r
            for r in resources
            if r["type"] == _SUBSCRIPTION
            and BLOB_CREATED in _event_types(r)
            and _delivers_to(r, NEW_DATA_QUEUE)
        ]
    )


def _level5(resources: list[dict[str, Any]]) -> list[str]:
    monitors = [
        r
        for r in resources
        if r["type"] == "azure-native:machinelearningservices:Schedule"
        and _get(r, "inputs", "properties", "action", "actionType") == "CreateMonitor"
    ]
    breaches = [
        r
        for r in resources
        if r["type"] == _SUBSCRIPTION
        and RUN_STATUS_CHANGED in _event_types(r)
        and any(
            _get(f, "key") == BREACH_TAG_KEY for f in _get(r, "inputs", "filter", "advancedFilters") or []
        )
        and _delivers_to(r, DRIFT_QUEUE)
    ]
    if not (monitors and breaches):
        return []
    return _urns(monitors) + _urns(breaches)


_EVIDENCE = {1: _level1, 2: _level2, 3: _level3, 4: _level4, 5: _level5}


def assess(plan: dict[str, Any]) -> dict[str, Any]:
    """The level a plan proves, the level its stack claims and the proving resources.

    Returns ``{"level": n, "claimed": n | None, "evidence": {"1": [urns], ..., "5": [urns]}}``;
    ``claimed`` is the stack output ``maturityLevel`` (``None`` for the shared stack).
    """
    resources = [r for r in plan.get("resources", []) if not r.get("read")]
    evidence = {str(level): fn(resources) for level, fn in _EVIDENCE.items() if level != 3}
    evidence["3"] = _level3(resources, plan.get("outputs", {}).get("releasePipelineId"))
    evidence = {str(level): evidence[str(level)] for level in sorted(_EVIDENCE)}
    level = 0
    for n in sorted(_EVIDENCE):
        if not evidence[str(n)]:
            break
        level = n
    claimed = plan.get("outputs", {}).get("maturityLevel")
    return {"level": level, "claimed": int(claimed) if claimed is not None else None, "evidence": evidence}


def render_maturity(plan: dict[str, Any]) -> str:
    """Human lines for ``estate preview``: the level reached and what proves each level."""
    result = assess(plan)
    if result["claimed"] is None:
        return "Maturity: not claimed (the shared stack serves every environment; levels are per environment)"
    by_urn = {r["urn"]: r for r in plan.get("resources", [])}
    level, claimed = result["level"], result["claimed"]
    head = f"Maturity: level {level} ({LEVELS.get(level, 'nothing provisioned')})"
    if claimed is not None and claimed != level:
        head += f" — the stack claims level {claimed} ({LEVELS[claimed]})"
    lines = [head]
    for n in range(2, 6):
        urns = result["evidence"][str(n)]
        if not urns and n > max(level, claimed or 0):
            continue
        mark = "+" if urns and n <= level else "-"
        shown = (
            ", ".join(f"{by_urn[u]['type'].split(':')[-1]} {by_urn[u]['name']}" for u in urns) or "missing"
        )
        lines.append(f"  {mark} level {n} {LEVELS[n]}: {shown}")
    return "\n".join(lines)
