"""The ``estate`` command line.

Each command lives in its own module of this package and exposes ``register(app)``.
Errors a user can cause (:class:`infra.errors.ConfigError`) are printed as one line on
stderr with exit status 2, never as a traceback; a defect a check found
(:class:`infra.errors.DefectError`) exits 3; any other exception is a bug of the estate
itself: one line saying where to report it, exit 70 (``ESTATE_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import typer

from infra.errors import EXIT_CONFIG, EXIT_DEFECT, EXIT_INTERNAL, REPORT_TO, ConfigError, DefectError

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
    "infra.cli.onboard",
    "infra.cli.timeline",
    "infra.cli.cost",
    "infra.cli.bench",
    "infra.cli.arm",
    "infra.cli.flows",
    "infra.cli.spec",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def internal_error_message(exc: BaseException) -> str:
    """The one line printed for a bug: what failed, where, and where to report it."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return (
        f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{where}; "
        f"this is a bug in mlops-estate, please report it to {REPORT_TO} "
        "with the output of ESTATE_DEBUG=1"
    )


def main(argv: list[str] | None = None) -> int:
    """Console entry point: ConfigError → 2, DefectError → 3, any other exception → 70."""
    try:
        app(args=argv, standalone_mode=True)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DefectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DEFECT
    except SystemExit as exc:  # typer/click exit codes pass through
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("ESTATE_DEBUG"):
            traceback.print_exc()
        print(internal_error_message(exc), file=sys.stderr)
        return EXIT_INTERNAL
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
