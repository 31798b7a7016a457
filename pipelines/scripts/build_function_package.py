"""Build the retraining Function's run-from-package zip.

Usage: ``python pipelines/scripts/build_function_package.py --app components/retraining/function_app
--site-packages DIR --out retrain.zip``. The zip holds the app folder's files at its root
(``function_app.py``, ``host.json``, ``retrain/``...) minus what ``.funcignore`` lists, and the
installed dependencies under ``.python_packages/lib/site-packages`` — the layout the Functions
Python host loads from a package. Entries are sorted and dated 1980-01-01, so the same sources
give the same bytes. Exit 2 when the app folder has no ``function_app.py`` or ``host.json``.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

SITE_PACKAGES = ".python_packages/lib/site-packages"
REQUIRED = ("function_app.py", "host.json")
EPOCH = (1980, 1, 1, 0, 0, 0)


def ignored_patterns(app: Path) -> list[str]:
    """The ``.funcignore`` patterns (plus the file itself)."""
    path = app / ".funcignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return [".funcignore", *[line.strip() for line in lines if line.strip() and not line.startswith("#")]]


def _files(root: Path, patterns: list[str]) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in patterns):
            continue
        if path.is_file():
            yield path


def build(app: Path, site_packages: Path | None, out: Path) -> list[str]:
    """Write the package; returns its entry names in order."""
    missing = [name for name in REQUIRED if not (app / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{app} is not a Functions app folder: missing {', '.join(missing)}")
    entries: list[tuple[str, Path]] = [
        (path.relative_to(app).as_posix(), path) for path in _files(app, ignored_patterns(app))
    ]
    if site_packages is not None and site_packages.is_dir():
        entries += [
            (f"{SITE_PACKAGES}/{path.relative_to(site_packages).as_posix()}", path)
            for path in _files(site_packages, ["__pycache__", "*.pyc"])
        ]
    entries.sort()
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    os.replace(temp, out)
    return [name for name, _ in entries]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", type=Path, required=True)
    p.add_argument("--site-packages", type=Path, default=None)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    try:
        names = build(args.app, args.site_packages, args.out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {len(names)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
