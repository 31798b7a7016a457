"""Start the release pipeline for the version a training run registered.

Usage (a pipeline step, ``SYSTEM_ACCESSTOKEN`` in the environment)::

    python pipelines/scripts/start_release.py --registration out/registration.json \\
        --organization https://dev.azure.com/contoso/ --project mlops-estate --branch refs/heads/main

Reads ``registration.json`` (written by ``model_assets.submit_training --registration-out``).
When it says ``registered: true`` the script finds the pipeline named ``release`` and queues it
through the Azure DevOps "Runs - Run Pipeline" REST call with the template parameters
``model`` and ``version``; otherwise it prints why nothing is released and exits 0. Exit 2 on a
malformed file or a missing token; 3 when Azure DevOps refuses the call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

API = "api-version=7.1"
RELEASE_PIPELINE = "release"
Send = Callable[[str, str, dict[str, Any] | None, str], dict[str, Any]]


def http_send(
    method: str, url: str, body: dict[str, Any] | None, bearer: str
) -> dict[str, Any]:  # pragma: no cover - network
    """One JSON call to Azure DevOps with the job token."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {bearer}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read().decode() or "{}"))


def read_registration(path: Path) -> dict[str, Any]:
    """The registration record; ValueError naming the file when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable registration record ({exc})") from None
    if not isinstance(data, dict) or "registered" not in data or "model" not in data:
        raise ValueError(f"{path}: needs the keys 'model' and 'registered'")
    if data["registered"] and not data.get("version"):
        raise ValueError(f"{path}: 'registered' is true but 'version' is empty")
    return data


def start_release(
    registration: dict[str, Any], *, organization: str, project: str, branch: str, bearer: str, send: Send
) -> str | None:
    """Queue the release for a registered version; returns the run id, or None when nothing was registered."""
    if not registration["registered"]:
        print(
            f"{registration['model']}: nothing registered ({registration.get('reason', 'no reason')}); no release"
        )
        return None
    base = f"{organization.rstrip('/')}/{project}/_apis/pipelines"
    pipelines = send("GET", f"{base}?{API}", None, bearer).get("value", [])
    ids = [p["id"] for p in pipelines if p.get("name") == RELEASE_PIPELINE]
    if len(ids) != 1:
        raise LookupError(f"expected one pipeline named {RELEASE_PIPELINE!r} in {project}, found {len(ids)}")
    body = {
        "resources": {"repositories": {"self": {"refName": branch}}},
        "templateParameters": {"model": str(registration["model"]), "version": str(registration["version"])},
    }
    run = send("POST", f"{base}/{ids[0]}/runs?{API}", body, bearer)
    print(f"release of {registration['model']} {registration['version']} queued: run {run.get('id')}")
    return str(run.get("id"))


def main(argv: Sequence[str] | None = None, send: Send = http_send) -> int:
    """Command line; ``send`` is the HTTP edge (tests fake it)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--registration", type=Path, required=True)
    p.add_argument("--organization", required=True)
    p.add_argument("--project", required=True)
    p.add_argument("--branch", default="refs/heads/main")
    args = p.parse_args(argv)
    bearer = os.environ.get("SYSTEM_ACCESSTOKEN") or None
    try:
        registration = read_registration(args.registration)
        if registration["registered"] and not bearer:
            raise ValueError("SYSTEM_ACCESSTOKEN is not set; map $(System.AccessToken) into the step")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        start_release(
            registration,
            organization=args.organization,
            project=args.project,
            branch=args.branch,
            bearer=bearer or "",
            send=send,
        )
    except (LookupError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
