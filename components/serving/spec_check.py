"""Check one Azure ML CLI v2 spec file through the estate's spec path (``estate spec check``).

Each file is loaded with the loader ``az ml`` uses for it and converted by the same functions
:class:`~components.serving.model_assets.ModelAssets` calls (:mod:`components.serving.specs`),
with placeholders where the stack fills in ids (pinned model, uploaded code, registered
environment). The report carries the azure-native inputs, every error and warning by
file:line and field, and the field-by-field comparison with azure-ai-ml's own
``_to_rest_object()`` wire dict: a difference that no documented override explains is listed
in ``differences`` (it would be a silent loss).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.serving import specs
from components.serving.spec_convert import Conversion, native_inputs, wire
from components.serving.spec_loader import (
    SpecError,
    SpecIssue,
    SpecKind,
    YamlLines,
    display_path,
    load_entity,
    spec_kind,
)

MODEL_PLACEHOLDER = "azureml://registries/<registry>/models/<model>/versions/<pinned>"
CODE_PLACEHOLDER = "<code asset the estate uploads>"
ENV_PLACEHOLDER = "<environment the estate registers>"
COMPUTE_PLACEHOLDER = "<stack compute id>"

LINEAGE_INPUTS = ("git_commit", "build_id")
"""Pipeline inputs the estate's training submission sets for lineage."""
CHAMPION_INPUT = "champion_model"
"""A step input the estate binds to the production champion (the evaluation gate)."""

_TEMPLATE = re.compile(
    r"(?<!\$)\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|:\s*['\"]?<([A-Z][A-Z0-9_]+)>['\"]?\s*$"
)


def template_placeholders(text: str) -> list[tuple[int, str]]:
    """(line, name) of every ``{{NAME}}`` / ``<NAME>`` placeholder outside comments."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        for match in _TEMPLATE.finditer(line):
            found.append((number, match.group(1) or match.group(2)))
    return found


@dataclass
class FileReport:
    """What ``estate spec check`` says about one file."""

    file: str
    kind: str | None = None
    inputs: dict[str, Any] | None = None
    issues: list[SpecIssue] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    """Fields that differ from azure-ai-ml's conversion without a documented override."""
    overrides: list[str] = field(default_factory=list)
    data_assets: list[dict[str, Any]] = field(default_factory=list)
    """The data assets the estate registers before an online deployment (one per data-collector
    collection, as ``az ml`` does): name, version and the ``DataVersion`` properties."""

    @property
    def errors(self) -> list[SpecIssue]:
        """The errors (the file cannot be used as it is)."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[SpecIssue]:
        """The warnings (kept differently, said why)."""
        return [i for i in self.issues if i.severity == "warning"]

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "file": self.file,
            "kind": self.kind,
            "ok": not self.errors,
            "inputs": self.inputs,
            "errors": [i.as_dict() for i in self.errors],
            "warnings": [i.as_dict() for i in self.warnings],
            "differences": self.differences,
            "overrides": self.overrides,
            "data_assets": self.data_assets,
        }


def _spec(raw: YamlLines, entity: Any, *, endpoint: bool, issues: list[SpecIssue]) -> specs.ServingSpec:
    path = raw.path
    if endpoint:
        return specs.ServingSpec(
            model="",
            serving="",
            endpoint_file=path,
            deployment_file=path,
            endpoint=entity,
            deployment=None,
            environment=None,
            code=None,
            endpoint_raw=raw,
        )
    code = specs._code_spec(entity, path.parent, raw)
    environment = specs.environment_spec(
        getattr(entity, "environment", None),
        raw,
        where="environment",
        name=f"{path.parent.name}-serving",
        issues=issues,
    )
    needed = specs.deployment_warnings(entity, raw, issues, has_code=code is not None)
    return specs.ServingSpec(
        model="",
        serving="",
        endpoint_file=path,
        deployment_file=path,
        endpoint=None,
        deployment=entity,
        environment=environment,
        code=code,
        deployment_raw=raw,
        model_types=needed,
    )


def _finish(report: FileReport, conversion: Conversion) -> None:
    report.inputs = native_inputs(conversion.converted)
    report.differences = conversion.differences()
    report.overrides = sorted({o.path for o in conversion.overrides})


def _pipeline(report: FileReport, raw: YamlLines, job: Any, targets: specs.StackTargets) -> None:
    compute = getattr(getattr(job, "settings", None), "default_compute", None)
    if compute is None:
        compute = getattr(job, "compute", None)
    specs.check_compute(
        str(compute) if compute else None,
        targets.training_compute,
        raw,
        "settings.default_compute" if raw.has("settings.default_compute") else "compute",
    )
    inputs = set((getattr(job, "inputs", None) or {}).keys())
    missing = [name for name in LINEAGE_INPUTS if name not in inputs]
    if missing:
        report.issues.append(
            raw.issue(
                "warning",
                "inputs",
                f"no {' and '.join(missing)} input: the estate cannot record which commit and build "
                f"trained the model; add inputs: {{{', '.join(f'{m}: unknown' for m in missing)}}}",
            )
        )
    gated = False
    automl: list[str] = []
    for name, step in (getattr(job, "jobs", None) or {}).items():
        component = getattr(step, "component", None)  # AutoML and other typed steps have none
        if component is None:
            automl.append(name)
            continue
        step_inputs = getattr(component, "inputs", None) or {}
        if CHAMPION_INPUT in step_inputs:
            gated = True
    if not gated:
        report.issues.append(
            raw.issue(
                "warning",
                "jobs",
                f"no step has a {CHAMPION_INPUT} input: the candidate is never compared with the "
                "production champion; add an optional custom_model input to the evaluation step",
            )
        )
    for name in automl:
        report.issues.append(
            raw.issue(
                "warning",
                f"jobs.{name}",
                "an AutoML step: it has no component inputs the estate could bind (checked as it is)",
            )
        )


def check_file(path: Path, targets: specs.StackTargets, *, root: Path | None = None) -> FileReport:
    """Run one spec file through the estate's spec path; never raises for a bad spec."""
    shown = display_path(path, root)
    report = FileReport(file=shown)
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        found = template_placeholders(text)
        if found:
            first_line, first = found[0]
            listed = ", ".join(f"{name} (line {number})" for number, name in found)
            raise SpecError(
                [
                    SpecIssue(
                        "error",
                        shown,
                        first_line,
                        first,
                        f"template placeholders {listed}: substitute values first (the example's "
                        "script fills them in)",
                    )
                ]
            )
        raw = YamlLines(path, shown)
        kind: SpecKind | None = spec_kind(raw)
        report.kind = kind
        if kind is None:
            raise SpecError(
                [
                    SpecIssue(
                        "error",
                        shown,
                        1,
                        "$schema",
                        "not an endpoint, deployment, environment or pipeline spec; add the $schema line "
                        "of its kind (https://azuremlschemas.azureedge.net/latest/<kind>.schema.json)",
                    )
                ]
            )
        entity = load_entity(raw, kind)
        _convert(report, raw, kind, entity, targets)
    except SpecError as exc:
        report.issues.extend(exc.issues)
    except Exception as exc:
        if type(exc).__name__ not in ("ValidationException", "ValidationError"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        report.issues.append(SpecIssue("error", shown, None, "", f"azure-ai-ml refuses it: {message}"))
    return report


def _convert(
    report: FileReport, raw: YamlLines, kind: SpecKind, entity: Any, targets: specs.StackTargets
) -> None:
    issues = report.issues
    kubernetes = targets.target == "kubernetes"
    if kind == "online-endpoint":
        spec_k8s = type(entity).__name__ == "KubernetesOnlineEndpoint"
        if spec_k8s and not kubernetes:
            raise SpecError(
                [
                    raw.issue(
                        "error",
                        "compute",
                        "a Kubernetes endpoint on a managed target; use --target "
                        "kubernetes (target: kubernetes in the stack file) or remove compute",
                    )
                ]
            )
        if kubernetes:
            specs.check_compute(getattr(entity, "compute", None), targets.kubernetes_compute, raw, "compute")
        spec = _spec(raw, entity, endpoint=True, issues=issues)
        overrides = specs.EndpointOverrides(compute=COMPUTE_PLACEHOLDER if kubernetes else None)
        _finish(
            report, specs.online_endpoint_conversion(spec, overrides, location="<location>", issues=issues)
        )
    elif kind == "batch-endpoint":
        spec = _spec(raw, entity, endpoint=True, issues=issues)
        _finish(
            report, specs.batch_endpoint_conversion(spec, specs.EndpointOverrides(), location="<location>")
        )
    elif kind == "online-deployment":
        spec = _spec(raw, entity, endpoint=False, issues=issues)
        online = specs.DeploymentOverrides(
            model=MODEL_PLACEHOLDER,
            code_id=CODE_PLACEHOLDER if spec.code is not None else None,
            environment_id=ENV_PLACEHOLDER if spec.environment is not None else None,
            kubernetes=kubernetes,
        )
        conversion = specs.online_deployment_conversion(
            spec, str(entity.name), online, location="<location>", issues=issues
        )
        _finish(report, conversion)
        endpoint = str(getattr(entity, "endpoint_name", "") or "")
        for asset in specs.collection_assets(entity, endpoint_name=endpoint, slot=str(entity.name)):
            report.data_assets.append(
                {
                    "collection": asset.collection,
                    "name": asset.name,
                    "version": asset.version,
                    "properties": specs.data_version_properties(
                        asset, description="<estate description>", tags={}
                    ),
                }
            )
    elif kind == "batch-deployment":
        if type(entity).__name__ == "PipelineComponentBatchDeployment":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                component = getattr(entity, "component", None)
                if component is not None and not isinstance(component, str):
                    entity.component = "<component the pipeline registers>"
                rest = wire(entity._to_rest_object(location="<location>"))
            issues.append(
                raw.issue(
                    "warning",
                    "type",
                    "a pipeline-component deployment: checked, but ModelAssets "
                    "serves pinned registry models (type: model)",
                )
            )
            conversion = Conversion(baseline=dict(rest), converted=dict(rest))
            _finish(report, conversion)
            return
        specs.check_compute(getattr(entity, "compute", None), targets.training_compute, raw, "compute")
        spec = _spec(raw, entity, endpoint=False, issues=issues)
        batch = specs.DeploymentOverrides(
            model=MODEL_PLACEHOLDER,
            code_id=CODE_PLACEHOLDER if spec.code is not None else None,
            environment_id=ENV_PLACEHOLDER if spec.environment is not None else None,
            compute=COMPUTE_PLACEHOLDER,
        )
        _finish(
            report,
            specs.batch_deployment_conversion(spec, str(entity.name), batch, location="<location>"),
        )
    elif kind == "environment":
        environment = specs.environment_spec(
            entity, raw, where="", name=str(getattr(entity, "name", "") or ""), issues=issues
        )
        if environment is not None:
            report.inputs = {
                "name": environment.name,
                "version": environment.version,
                "properties": environment.properties,
            }
    else:
        _pipeline(report, raw, entity, targets)
