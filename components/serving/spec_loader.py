"""Load one Azure ML CLI v2 spec file the way ``az ml`` does, and report problems by file:line.

``az ml`` picks the loader from the command and, for batch deployments, from the file's
``type`` (``model`` → ``ModelBatchDeployment``, ``pipeline`` → ``PipelineComponentBatchDeployment``,
none → the older ``BatchDeployment``). Here the kind comes from the file's ``$schema`` (or,
without one, its shape) and then the same azure-ai-ml loader runs.

azure-ai-ml reports schema errors as a nested JSON dump followed by links; a missing file
referenced from a union field (``environment``) hides in a wall of alternatives. Every error is
reduced to one :class:`SpecIssue` per field: ``file:line: field: what is wrong; what to write``.
The line comes from the YAML itself (ruamel keeps each key's position).
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from infra.errors import ConfigError

# azure-ai-ml logs "This is an experimental class" for DataCollector and friends on every run;
# the spec's fields are validated by its schemas, the notice is not for estate users.
logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
# ...and "the provided asset name will not be used for anonymous registration" for named inline
# environments: the estate names them itself and says so (a spec warning with the line).
logging.getLogger("azure.ai.ml._schema.assets").setLevel(logging.ERROR)

Severity = Literal["error", "warning"]
SpecKind = Literal[
    "online-endpoint",
    "online-deployment",
    "batch-endpoint",
    "batch-deployment",
    "environment",
    "pipeline",
]
"""The spec kinds the estate converts or checks."""

SCHEMA_KINDS: dict[str, SpecKind] = {
    "managedonlineendpoint": "online-endpoint",
    "kubernetesonlineendpoint": "online-endpoint",
    "managedonlinedeployment": "online-deployment",
    "kubernetesonlinedeployment": "online-deployment",
    "batchendpoint": "batch-endpoint",
    "batchdeployment": "batch-deployment",
    "modelbatchdeployment": "batch-deployment",
    "pipelinecomponentbatchdeployment": "batch-deployment",
    "environment": "environment",
    "pipelinejob": "pipeline",
}
"""``$schema`` file names (lower case, without ``.schema.json``) → spec kind."""


@dataclass(frozen=True)
class SpecIssue:
    """One error or warning about one field of one spec file."""

    severity: Severity
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """JSON form (``estate spec check --json``)."""
        return {
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


class SpecError(ConfigError):
    """A spec that cannot be used; carries every error found (first one is the message)."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = issues
        first = issues[0]
        parts = [
            (f"line {i.line}: " if i.line else "") + (f"{i.field}: " if i.field else "") + i.message
            for i in issues
            if i.file == first.file
        ]
        super().__init__("; ".join(parts), file=first.file)


def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` relative to ``root`` (or the working directory) when inside it."""
    resolved = path.resolve()
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return str(resolved.relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def _position(node: object, method: str, key: object) -> tuple[int, int] | None:
    """ruamel's (line, column) of a mapping key or list item (0-based), when it kept one."""
    lc = getattr(node, "lc", None)
    lookup = getattr(lc, method, None)
    if lookup is None:
        return None
    try:
        line, column = lookup(key)[:2]
    except (KeyError, IndexError, TypeError):
        return None
    return int(line), int(column)


class YamlLines:
    """The raw YAML of a spec with each key's line (1-based), for messages."""

    def __init__(self, path: Path, shown: str):
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError

        self.path = path
        self.shown = shown
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError([SpecIssue("error", shown, None, "", "file not found")]) from None
        try:
            self.data = YAML(typ="rt").load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            column = f", column {mark.column + 1}" if mark is not None else ""
            problem = exc.problem or exc.context or "invalid YAML"
            raise SpecError(
                [SpecIssue("error", shown, line, "", f"not valid YAML{column}: {problem}")]
            ) from None
        if not isinstance(self.data, Mapping):
            raise SpecError([SpecIssue("error", shown, 1, "", "expected a YAML mapping of fields")])

    def line(self, field: str) -> int | None:
        """Line of ``field`` (dotted path; list indices as numbers); nearest known parent otherwise."""
        node: object = self.data
        line: int | None = None
        for part in [p for p in field.split(".") if p]:
            if isinstance(node, Mapping) and part in node:
                position = _position(node, "key", part)
                if position is not None:
                    line = int(position[0]) + 1
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                position = _position(node, "item", int(part))
                if position is not None:
                    line = int(position[0]) + 1
                node = node[int(part)]
            else:
                break
        return line

    def field_naming(self, missing: str) -> str | None:
        """The field whose value is the relative path of ``missing`` (a file azure-ai-ml did not find)."""

        def walk(node: object, prefix: str) -> Iterator[tuple[str, str]]:
            if isinstance(node, Mapping):
                for key, inner in node.items():
                    yield from walk(inner, f"{prefix}.{key}" if prefix else str(key))
            elif isinstance(node, str):
                yield prefix, node

        for field, value in walk(self.data, ""):
            cleaned = value.strip().removeprefix("./").removeprefix("file:")
            if cleaned and missing.replace("\\", "/").endswith("/" + cleaned.lstrip("./")):
                return field
        return None

    def has(self, field: str) -> bool:
        """Whether the YAML states ``field`` (dotted path)."""
        node: object = self.data
        for part in field.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return True

    def get(self, field: str) -> object:
        """The raw YAML value at ``field`` (``None`` when absent)."""
        node: object = self.data
        for part in field.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node

    def issue(self, severity: Severity, field: str, message: str) -> SpecIssue:
        """An issue about ``field`` at its line."""
        return SpecIssue(severity, self.shown, self.line(field) or None, field, message)


def spec_kind(raw: YamlLines) -> SpecKind | None:
    """The kind of a spec from its ``$schema``, else from its fields; ``None`` when unknown."""
    schema = str(raw.get("$schema") or "")
    if schema:
        name = schema.rsplit("/", 1)[-1].lower().removesuffix(".json").removesuffix(".schema")
        if name in SCHEMA_KINDS:
            return SCHEMA_KINDS[name]
    data = raw.data
    kind = str(data.get("type") or "")
    if kind == "pipeline" and "jobs" in data:
        return "pipeline"
    if "endpoint_name" in data:
        batch_fields = {"mini_batch_size", "output_action", "settings", "compute", "retry_settings"}
        if kind in ("model", "pipeline") or batch_fields & set(data):
            return "batch-deployment"
        return "online-deployment"
    endpoint_fields = {
        "$schema",
        "name",
        "description",
        "tags",
        "identity",
        "public_network_access",
        "compute",
        "auth_mode",
        "traffic",
        "mirror_traffic",
        "kind",
        "defaults",
    }
    if "name" in data and set(data) <= endpoint_fields:
        return "batch-endpoint" if "defaults" in data else "online-endpoint"
    if {"image", "build", "conda_file"} & set(data):
        return "environment"
    return None


# -- azure-ai-ml errors -------------------------------------------------------------------------

HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Unknown field\.$"), "remove it: the {schema} schema has no such field"),
    (re.compile(r"^Missing data for required field\.$"), "required: add it"),
    (re.compile(r"^Not a valid string\.$"), "write the value as a quoted string (e.g. '1')"),
    (re.compile(r"^Not a valid integer\.$"), "write a whole number"),
    (re.compile(r"^Not a valid boolean\.$"), "write true or false"),
)


def _hint(message: str, schema: str) -> str:
    for pattern, hint in HINTS:
        if pattern.match(message):
            return f"{message.rstrip('.')}; {hint.format(schema=schema)}"
    return message


def _missing_file(value: object) -> str | None:
    if isinstance(value, str):
        match = re.search(r"No such file or directory:?\s*'?([^'\n]+)", value)
        return match.group(1).strip() if match else None
    if isinstance(value, Mapping):
        for inner in value.values():
            found = _missing_file(inner)
            if found:
                return found
    if isinstance(value, list):
        for inner in value:
            found = _missing_file(inner)
            if found:
                return found
    return None


def _leaves(value: object, prefix: str) -> Iterator[tuple[str, str]]:
    """(field, message) pairs of a marshmallow ``normalized_messages()`` tree, one per field."""
    missing = _missing_file(value)
    if missing is not None:
        yield prefix, f"file or folder not found: {missing}"
        return
    if isinstance(value, str):
        yield prefix, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "_schema":
                yield from _leaves(inner, prefix)
            elif str(key).isdigit() and isinstance(inner, Mapping) and "value" in inner:
                yield from _leaves(inner["value"], prefix)
            elif key == "value" and isinstance(inner, (Mapping, list)):
                yield from _leaves(inner, prefix)
            else:
                yield from _leaves(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            yield prefix, " ".join(str(v).strip() for v in value)
            return
        # A union: the alternatives failed for different reasons. Report the one that went
        # deepest (errors on named sub-fields) — that is the shape the author meant.
        alternatives = [v for v in value if v]
        deep = [v for v in alternatives if isinstance(v, Mapping) and set(v) - {"_schema"}]
        chosen = (
            min(deep, key=lambda v: len(list(_leaves(v, ""))))
            if deep
            else alternatives[0]
            if alternatives
            else None
        )
        if chosen is not None:
            yield from _leaves(chosen, prefix)


def _messages(exc: BaseException) -> object | None:
    for candidate in (exc, exc.__cause__, exc.__context__):
        normalized: Callable[[], object] | None = getattr(candidate, "normalized_messages", None)
        if normalized is None:
            continue
        messages = normalized()
        if isinstance(messages, Mapping) and set(messages) == {"_schema"}:
            inner = messages["_schema"]
            if isinstance(inner, list) and len(inner) == 1 and isinstance(inner[0], str):
                try:
                    found = re.search(r"\{.*\}", inner[0], re.DOTALL)
                    if found is not None:
                        return json.loads(found.group(0))
                except (AttributeError, json.JSONDecodeError):
                    return messages
        return messages
    text = str(exc)
    match = re.search(r"failed:\s*(\{.*\})\s*\n", text, re.DOTALL)
    if match:
        try:
            return json.loads(match.group(1))
        except json.JSONDecodeError:
            return None
    return None


def load_issues(raw: YamlLines, exc: BaseException, schema: str) -> list[SpecIssue]:
    """azure-ai-ml's load error as one issue per field, with lines and a hint."""
    messages = _messages(exc)
    issues: list[SpecIssue] = []
    if isinstance(messages, Mapping) and isinstance(messages.get("errors"), list):
        # azure-ai-ml's validation-result form (pipelines, components): path, message, "#line N".
        for error in messages["errors"]:
            if not isinstance(error, Mapping):
                continue
            field = str(error.get("path") or "")
            found = re.search(r"#line (\d+)", str(error.get("location") or ""))
            text = str(error.get("message") or "")
            quoted = re.findall(
                r"'((?:Value|Not|Missing|Unknown)[^']*)'|\"((?:Value|Not|Missing|Unknown)[^\"]*)\"", text
            )
            if quoted:
                text = [a or b for a, b in quoted][-1]
            line = int(found.group(1)) if found else raw.line(field)
            issues.append(SpecIssue("error", raw.shown, line, field, _hint(text.strip(), schema)))
        if issues:
            return issues
    if messages is not None:
        seen: set[str] = set()
        for field, message in _leaves(messages, ""):
            if field in seen:
                continue
            seen.add(field)
            if message.startswith("file or folder not found: "):
                missing = message.removeprefix("file or folder not found: ").strip()
                field = raw.field_naming(missing) or field
                stated = raw.get(field) if field else None
                if isinstance(stated, str):
                    message = (
                        f"'{stated}' not found next to this file ({missing}); add the file or write "
                        "the path of the existing one, relative to this spec"
                    )
            issue = raw.issue("error", field, _hint(message.strip(), schema))
            if issue.line is None and field and "." not in field:
                issue = SpecIssue("error", raw.shown, 1, field, issue.message)  # a missing top-level field
            issues.append(issue)
    if not issues:
        text = str(exc).strip()
        not_found = _missing_file(text)
        first = (
            f"file or folder not found: {not_found}"
            if not_found
            else (text.splitlines()[0] if text else type(exc).__name__)
        )
        issues.append(SpecIssue("error", raw.shown, None, "", first))
    return issues


def load_entity(raw: YamlLines, kind: SpecKind) -> object:
    """Load the spec with the azure-ai-ml loader ``az ml`` uses for ``kind`` (and batch ``type``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import azure.ai.ml as aml
        from azure.ai.ml.entities import _load_functions as loaders

        loader: Callable[..., object]
        schema: str = kind
        if kind == "online-endpoint":
            loader = aml.load_online_endpoint
        elif kind == "online-deployment":
            loader = aml.load_online_deployment
        elif kind == "batch-endpoint":
            loader = aml.load_batch_endpoint
        elif kind == "batch-deployment":
            declared = str(raw.get("type") or "")
            if declared == "model":
                loader, schema = loaders.load_model_batch_deployment, "model batch deployment"
            elif declared == "pipeline":
                loader, schema = loaders.load_pipeline_component_batch_deployment, "pipeline batch deployment"
            else:
                loader = aml.load_batch_deployment
        elif kind == "environment":
            loader = aml.load_environment
        else:
            loader = aml.load_job
        try:
            return loader(raw.path)
        except Exception as exc:
            raise SpecError(load_issues(raw, exc, schema.replace("-", " "))) from None
