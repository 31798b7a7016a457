"""Register step: put the candidate into the Azure ML registry, only if the gate said so.

Reads the evaluation report; when ``register`` is false nothing is sent and the reason is
printed. Otherwise one :class:`azure.ai.ml.entities.Model` (type ``custom_model``) goes to
the registry, its version left for the registry to assign, with lineage tags: git commit,
build id, data version, the candidate's metrics, the champion it beat and the gate's reason.
The client is a parameter so tests use a fake; the command line builds the real one.
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
RESULT_FILE = "registration.json"


def lineage_tags(
    report: dict[str, Any], *, git_commit: str, build_id: str, data_version: str
) -> dict[str, str]:
    """The tags that tie a registered version to its code, build, data and evaluation."""
    tags = {
        "git_commit": git_commit,
        "build_id": build_id,
        "data_version": data_version,
        "gate_metric": report["gate"]["metric"],
        "gate_margin": repr(report["gate"]["margin"]),
        "gate_reason": report["reason"],
    }
    for name, value in report["candidate"]["metrics"].items():
        tags[f"metric_{name}"] = repr(value)
    champion = report.get("champion")
    tags["champion_version"] = champion["version"] if champion and champion.get("version") else "none"
    return tags


def register(
    report: dict[str, Any],
    model_dir: Path,
    client: Any,
    *,
    model_name: str,
    git_commit: str,
    build_id: str,
    data_version: str,
) -> str | None:
    """Register the model when the report allows it; returns the new version, or None."""
    if report.get("model") != model_name:
        raise ValueError(f"the evaluation report is for {report.get('model')!r}, not {model_name!r}")
    if not report["register"]:
        print(f"not registering {model_name}: {report['reason']}")
        return None
    model = Model(
        path=str(model_dir),
        name=model_name,
        type=AssetTypes.CUSTOM_MODEL,
        description=f"{model_name}: {report['reason']}",
        tags=lineage_tags(report, git_commit=git_commit, build_id=build_id, data_version=data_version),
    )
    registered = client.models.create_or_update(model)
    print(f"registered {model_name} version {registered.version}")
    return str(registered.version)


def reference_data_name(model_name: str) -> str:
    """The data asset model monitors compare production data with: ``<model>-training``
    (underscores become dashes, as the monitors name it)."""
    return f"{model_name.replace('_', '-')}-training"


MLTABLE = """\
# The training split as a table: model monitors read their reference data as MLTable.
paths:
  - file: ./train.csv
transformations:
  - read_delimited:
      delimiter: ','
      header: all_files_same_headers
"""


def register_reference_data(client: Any, data_dir: Path, *, model_name: str, data_version: str) -> str:
    """Register the training split of a registered version as the monitors' reference data
    asset (an MLTable over ``train.csv``; the monitor's reference input is ``mltable``)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="reference-"))
    shutil.copy(data_dir / "train.csv", folder / "train.csv")
    (folder / "MLTable").write_text(MLTABLE, encoding="utf-8")
    asset = Data(
        name=reference_data_name(model_name),
        path=str(folder),
        type=AssetTypes.MLTABLE,
        description=f"Training data of {model_name} (data version {data_version}); model monitor reference",
        tags={"data_version": data_version, "model": model_name},
    )
    created = client.data.create_or_update(asset)
    print(f"registered reference data {asset.name} version {created.version}")
    return str(created.version)


def _registry_client(registry: str) -> Any:  # pragma: no cover - needs Azure
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient(credential=DefaultAzureCredential(), registry_name=registry)


def main(argv: Sequence[str] | None = None, client: Any = None) -> int:
    """Command line of the Azure ML register step (``client`` is for tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="trained model folder")
    parser.add_argument("--report", type=Path, required=True, help="folder with evaluation_report.json")
    parser.add_argument("--data", type=Path, required=True, help="prepared data folder (data_version.json)")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--registry", required=True, help="Azure ML registry name")
    parser.add_argument("--git-commit", required=True)
    parser.add_argument("--build-id", required=True)
    parser.add_argument("--output", type=Path, required=True, help="folder for registration.json")
    args = parser.parse_args(argv)
    report = json.loads((args.report / REPORT_FILE).read_text(encoding="utf-8"))
    data_version = json.loads((args.data / "data_version.json").read_text(encoding="utf-8"))["data_version"]
    version = None
    reference = None
    if report["register"]:
        client = client or _registry_client(args.registry)
        version = register(
            report,
            args.model,
            client,
            model_name=args.model_name,
            git_commit=args.git_commit,
            build_id=args.build_id,
            data_version=data_version,
        )
        if version is not None:
            reference = register_reference_data(
                client, args.data, model_name=args.model_name, data_version=data_version
            )
    else:
        print(f"not registering {args.model_name}: {report['reason']}")
    args.output.mkdir(parents=True, exist_ok=True)
    result = {
        "model": args.model_name,
        "registry": args.registry,
        "registered": version is not None,
        "version": version,
        "reason": report["reason"],
        "reference_data": reference_data_name(args.model_name),
        "reference_data_version": reference,
    }
    (args.output / RESULT_FILE).write_text(
        json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
