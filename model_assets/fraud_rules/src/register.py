"""Register step of the fraud rules (optional): the rules folder becomes a registry version.

Runs only when the pipeline's ``register_rules`` input is true and the evaluation report
passed. Sends one ``custom_model`` :class:`azure.ai.ml.entities.Model` with lineage tags
(rules version, git commit, build id, sample metrics). The client is injected for tests.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data, Model

REPORT_FILE = "evaluation_report.json"


def register(
    report: dict[str, Any], rules_dir: Path, client: Any, *, model_name: str, git_commit: str, build_id: str
) -> str | None:
    """Register the rules when the report passed; returns the new version or None."""
    if not report["register"]:
        print(f"not registering {model_name}: {report['reason']}")
        return None
    tags = {
        "git_commit": git_commit,
        "build_id": build_id,
        "kind": "rule-based",
        "rules_version": report["context"].get("rules_version", "unknown"),
        "gate_reason": report["reason"],
    }
    tags.update({f"metric_{k}": repr(v) for k, v in report["candidate"]["metrics"].items()})
    model = Model(
        path=str(rules_dir),
        name=model_name,
        type=AssetTypes.CUSTOM_MODEL,
        description=f"{model_name} rules {tags['rules_version']}",
        tags=tags,
    )
    registered = client.models.create_or_update(model)
    print(f"registered {model_name} version {registered.version}")
    return str(registered.version)


MLTABLE = """\
# The labelled sample as a table: model monitors read their reference data as MLTable.
paths:
  - file: ./reference.csv
transformations:
  - read_delimited:
      delimiter: ','
      header: all_files_same_headers
"""


def reference_data_name(model_name: str) -> str:
    """The data asset model monitors compare production data with (``<model>-training``)."""
    return f"{model_name.replace('_', '-')}-training"


def register_reference_data(client: Any, sample: Path, *, model_name: str) -> str:
    """Register the labelled sample the rules were evaluated on as the monitors' reference data."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="reference-"))
    shutil.copy(sample, folder / "reference.csv")
    (folder / "MLTable").write_text(MLTABLE, encoding="utf-8")
    created = client.data.create_or_update(
        Data(
            name=reference_data_name(model_name),
            path=str(folder),
            type=AssetTypes.MLTABLE,
            description=f"Labelled sample {model_name} was evaluated on; model monitor reference",
        )
    )
    return str(created.version)


def write_result(output: Path | None, result: dict[str, Any]) -> None:
    """``registration.json`` for the release (which version, if any, was registered)."""
    if output is None:
        return
    output.mkdir(parents=True, exist_ok=True)
    (output / "registration.json").write_text(
        json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def main(argv: Sequence[str] | None = None, client: Any = None) -> int:  # pragma: no cover - needs Azure
    """Command line of the Azure ML register step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--git-commit", required=True)
    parser.add_argument("--build-id", required=True)
    parser.add_argument(
        "--enabled",
        choices=["true", "false", "True", "False"],
        default="false",
        help="the pipeline's register_rules input",
    )
    parser.add_argument("--sample", type=Path, default=None, help="labelled sample (reference data)")
    parser.add_argument("--output", type=Path, default=None, help="folder for registration.json")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "model": args.model_name,
        "registry": args.registry,
        "registered": False,
        "version": None,
    }
    if args.enabled.lower() != "true":
        print(f"registration of {args.model_name} is off (register_rules=false)")
        write_result(args.output, {**result, "reason": "register_rules=false"})
        return 0
    report = json.loads((args.report / REPORT_FILE).read_text(encoding="utf-8"))
    if client is None and report["register"]:
        from azure.ai.ml import MLClient
        from azure.identity import DefaultAzureCredential

        client = MLClient(credential=DefaultAzureCredential(), registry_name=args.registry)
    version = register(
        report,
        args.rules,
        client,
        model_name=args.model_name,
        git_commit=args.git_commit,
        build_id=args.build_id,
    )
    if version is not None and args.sample is not None:
        register_reference_data(client, args.sample, model_name=args.model_name)
    write_result(
        args.output,
        {
            **result,
            "registered": version is not None,
            "version": version,
            "reason": report["reason"],
            "reference_data": reference_data_name(args.model_name),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
