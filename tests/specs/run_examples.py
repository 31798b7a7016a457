"""Run ``estate spec check`` over the azureml-examples manifest and report the figures.

Usage: ``AZUREML_EXAMPLES_DIR=<checkout> python -m tests.specs.run_examples [--json PATH]``
(``make spec-examples``). The tree is not in this repository and no package registry serves
it: point ``AZUREML_EXAMPLES_DIR`` at a checkout of Azure/azureml-examples at the manifest's
commit (``git clone https://github.com/Azure/azureml-examples && git checkout <commit>``).
Without it the run is skipped with a message (exit 0).

Per file: accepted as published (no error), one actionable message (exactly one error naming
line and field and what to write), refused otherwise; a Python exception is a crash; a field
that differs from azure-ai-ml's own conversion without a documented override is a difference.
Exit 3 on a crash or a difference, or when fewer than 90 % are accepted or one message away.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).resolve().parent / "azureml-examples.manifest"
ENV = "AZUREML_EXAMPLES_DIR"
ACTIONABLE = ("write ", "remove", "add ", "pin", "substitute", "use ", "required", "register", "give ")


def read_manifest(path: Path = MANIFEST) -> tuple[str, list[str]]:
    """(commit, paths) of the manifest."""
    commit = ""
    paths: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("commit "):
            commit = line.split()[1]
        else:
            paths.append(line)
    return commit, paths


def actionable(issue: dict[str, object]) -> bool:
    """One error that names a line and a field (or a placeholder) and says what to do."""
    text = str(issue["message"]).lower()
    return bool(issue["line"]) and any(word in text for word in ACTIONABLE)


SAMPLE_VALUES = {"version": "1", "acr": "myregistry"}


def _after_substitution(path: Path, targets: Any, root: Path) -> list[dict[str, Any]]:
    """Errors left once the placeholders get sample values (a temp copy beside the file)."""
    import re

    from components.serving.spec_check import check_file

    def value(name: str) -> str:
        lower = name.lower()
        for key, sample in SAMPLE_VALUES.items():
            if key in lower:
                return sample
        return "my-" + re.sub(r"[^a-z0-9]+", "-", lower).strip("-")[:20] if "dir" not in lower else "."

    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?<!\$)\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", lambda m: value(m.group(1)), text)
    text = re.sub(r"<([A-Z][A-Z0-9_]+)>", lambda m: value(m.group(1)), text)
    copy = path.with_name(f".substituted-{path.name}")
    try:
        copy.write_text(text, encoding="utf-8")
        return [dict(e) for e in check_file(copy, targets, root=root).as_dict()["errors"]]
    finally:
        copy.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    from components.serving.spec_check import check_file
    from components.serving.specs import StackTargets

    root = os.environ.get(ENV)
    if not root or not Path(root).is_dir():
        print(
            f"spec-examples: skipped: set {ENV} to a checkout of Azure/azureml-examples (see {MANIFEST.name})"
        )
        return 0
    commit, paths = read_manifest()
    head = subprocess.run(
        ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if head and head != commit:
        print(f"spec-examples: warning: {root} is at {head[:12]}, the manifest names {commit[:12]}")
    targets = StackTargets(
        target="managed", training_compute="cpu-training", kubernetes_compute="aks-inference"
    )
    rows: list[dict[str, Any]] = []
    for rel in paths:
        path = Path(root) / rel
        kube = "kubernetes" in rel
        use = (
            StackTargets(
                target="kubernetes",
                training_compute=targets.training_compute,
                kubernetes_compute=targets.kubernetes_compute,
            )
            if kube
            else targets
        )
        try:
            report = check_file(path, use, root=Path(root)).as_dict()
        except Exception:
            rows.append({"file": rel, "status": "crash", "detail": traceback.format_exc(limit=3)})
            continue
        errors = report["errors"]
        if len(errors) == 1 and "template placeholder" in str(errors[0]["message"]):
            # Follow the message as a user would: substitute values, check again.
            followed = _after_substitution(path, use, Path(root))
            if followed:
                errors = [errors[0], *followed]
        status = (
            "accepted"
            if not errors
            else "one-message"
            if len(errors) == 1 and actionable(errors[0])
            else "refused"
        )
        rows.append(
            {
                "file": rel,
                "status": status,
                "kind": report["kind"],
                "errors": errors,
                "warnings": len(report["warnings"]),
                "differences": report["differences"],
            }
        )
    total = len(rows)
    count = {
        s: sum(1 for r in rows if r["status"] == s) for s in ("accepted", "one-message", "refused", "crash")
    }
    differences = [(r["file"], d) for r in rows for d in r.get("differences", [])]
    share = (count["accepted"] + count["one-message"]) / total if total else 0.0
    for row in rows:
        if row["status"] in ("refused", "crash", "one-message"):
            detail = row.get("detail") or "; ".join(
                f"{e['line']}: {e['field']}: {e['message']}" for e in row["errors"]
            )
            print(f"{row['status']}: {row['file']}: {str(detail)[:300]}")
    for file, path in differences:
        print(f"difference: {file}: {path}")
    print(
        f"spec-examples: {total} files: {count['accepted']} accepted as published, {count['one-message']} after one "
        f"actionable message, {count['refused']} refused, {count['crash']} crashed; {len(differences)} unexplained "
        f"field differences; {share:.0%} accepted or one message away"
    )
    if "--json" in argv:
        Path(argv[argv.index("--json") + 1]).write_text(
            json.dumps({"counts": count, "rows": rows}, indent=2, default=str)
        )
    return 3 if count["crash"] or differences or share < 0.9 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
