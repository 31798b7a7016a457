#!/usr/bin/env python3
"""A stand-in for the Azure CLI used by the bootstrap tests: it logs each call and keeps the
existence of resource groups, accounts, containers, vaults, keys and role assignments in a state
directory, so a second run of the bootstrap sees what the first one created."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

STATE = Path(os.environ["FAKE_AZ_STATE"])


def arg(name: str) -> str:
    """Return the value following ``name`` on the command line ('' if absent)."""
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args else ""


def marker(*parts: str) -> Path:
    """Return the state file that records one resource."""
    return STATE / hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def main() -> int:
    """Answer one az call."""
    args = sys.argv[1:]
    with (STATE / "calls.log").open("a", encoding="utf-8") as log:
        log.write(" ".join(args) + "\n")
    words = [a for a in args if not a.startswith("-")][:4]
    command = " ".join(words)
    if command.startswith("account set"):
        return 0
    if command.startswith("ad signed-in-user show"):
        print("11111111-2222-3333-4444-555555555555")
        return 0
    resources = {
        "group": ("group", arg("--name")),
        "storage account": ("account", arg("--name")),
        "storage container-rm": ("container", arg("--name")),
        "keyvault key": ("key", arg("--vault-name"), arg("--name")),
        "keyvault": ("vault", arg("--name")),
    }
    for prefix, identity in resources.items():
        if not command.startswith(prefix + " "):
            continue
        verb = command[len(prefix) + 1 :].split(" ")[0]
        if verb == "show-deleted":
            return 0 if marker("deleted", *identity[1:]).exists() else 3
        if verb == "show":
            if not marker(*identity).exists():
                return 3
            if arg("--query") == "id":
                print(f"/subscriptions/s/{identity[0]}/{identity[-1]}")
            return 0
        if verb in ("create", "recover"):
            if prefix == "keyvault key":
                failures = STATE / "key-failures"
                left = int(failures.read_text()) if failures.exists() else 0
                if left > 0:
                    failures.write_text(str(left - 1))
                    print("Forbidden: caller is not authorized", file=sys.stderr)
                    return 1
            marker(*identity).write_text("1")
            return 0
        return 0
    if command.startswith("role assignment list"):
        print("1" if marker("role", arg("--assignee"), arg("--role"), arg("--scope")).exists() else "0")
        return 0
    if command.startswith("role assignment create"):
        marker("role", arg("--assignee-object-id"), arg("--role"), arg("--scope")).write_text("1")
        return 0
    print(f"fake az: unexpected call {args}", file=sys.stderr)
    return 9


if __name__ == "__main__":
    sys.exit(main())
