"""The ``estate`` command line.

Each command lives in its own module of this package and exposes ``register(app)``.
Errors a user can cause (:class:`infra.errors.ConfigError`) are printed as one line on
stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from infra.errors import EXIT_CONFIG, ConfigError

app = typer.Typer(
    name="estate",
    help="mlops-estate: offline previews, promotion, scaffolding, timelines, costs and benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """mlops-estate: offline previews, promotion, scaffolding, timelines, costs and benchmarks."""


# Command modules, in the order `estate --help` lists them.
COMMAND_MODULES = (
    "infra.cli.preview",
    "infra.cli.promote",
    "infra.cli.new_model",
    "infra.cli.timeline",
    "infra.cli.cost",
    "infra.cli.bench",
    "infra.cli.spec",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the app, turning ConfigError into exit status 2."""
    try:
        app(args=argv, standalone_mode=True)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except SystemExit as exc:  # typer/click exit codes pass through
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
