"""Register an onboarded model's committed artifact in the shared registry, then record it.

    python -m model_assets.register_artifact MODEL --subscription SUB --resource-group RG --registry NAME
        [--version N] [--catalog PATH]

The register step of an onboarded model (``estate onboard``): loads
``model_assets/<MODEL>/azureml/model.yml`` (the committed ``model/`` folder), registers it in the
shared Azure ML registry with azure-ai-ml at ``--version`` (default: one above the highest
version the registry catalog lists, ``1`` for a new model) and, only after the registry accepted
it, records the version and its model type (``custom_model``/``mlflow_model``/``triton_model``,
as the registry accepted it) in ``model_assets/registry-catalog.yaml``
(:func:`infra.catalog.record_version`) — the catalog lists registered versions only, and the
offline preview checks a no-code deployment's pinned version against the recorded type. Commit the catalog change with the promotion
(``estate promote dev MODEL N``).

Exit status: 0 registered and recorded, 2 bad arguments, 3 the registry refused it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.catalog import catalog_path, load_catalog, record_version
from infra.errors import EXIT_CONFIG, ConfigError

MODELS = Path(__file__).resolve().parent


def next_version(model: str, catalog: Path) -> str:
    """One above the highest registered version of ``model`` (``"1"`` when it has none)."""
    versions = [v for v in load_catalog(catalog).versions(model) if v.isdigit()]
    return str(max((int(v) for v in versions), default=0) + 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--subscription", required=True)
    parser.add_argument("--resource-group", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--version", default=None)
    parser.add_argument("--catalog", type=Path, default=None)
    args = parser.parse_args(argv)
    catalog = args.catalog or catalog_path()
    spec = MODELS / args.model / "azureml" / "model.yml"
    try:
        if not spec.is_file():
            raise ConfigError(f"{spec} not found; onboard the model first (estate onboard)", key="MODEL")
        version = args.version or next_version(args.model, catalog)
        from azure.ai.ml import MLClient, load_model
        from azure.identity import DefaultAzureCredential

        model = load_model(spec)
        model.version = version
        client = MLClient(
            DefaultAzureCredential(),
            subscription_id=args.subscription,
            resource_group_name=args.resource_group,
            registry_name=args.registry,
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        created = client.models.create_or_update(model)
    except Exception as exc:
        print(
            f"error: registry {args.registry} refused {args.model} version {version}: {exc}".splitlines()[0],
            file=sys.stderr,
        )
        return 3
    registered = str(created.version or version)
    model_type = str(getattr(created, "type", None) or model.type or "custom_model")
    record_version(args.model, registered, catalog, model_type=model_type)
    print(
        f"registered {args.model} version {registered} ({model_type}) in {args.registry}; recorded in {catalog}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
