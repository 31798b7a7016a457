"""Errors the estate reports to people, not as tracebacks.

Every error a user can cause by editing a stack file, a spec or a command line is a
:class:`ConfigError`: one message that names the file, the key path (or argument), the bad
value and what is allowed. The CLI prints it and exits with status 2; the Pulumi program
raises it as ``pulumi.RunError`` so the real CLI prints it without a traceback too.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_CONFIG = 2
EXIT_DEFECT = 3
"""A check found a defect that is not bad input (e.g. a refused replace of a protected resource)."""
EXIT_CHANGES = 4
"""Changes are present, in the CI no-changes mode (``--expect-no-changes``) only."""
EXIT_INTERNAL = 70
"""An internal error: a bug in the estate's own code (EX_SOFTWARE)."""
REPORT_TO = "the mlops-estate maintainers (the platform team's issue tracker)"
"""Where the CLI tells people to report an internal error."""


class ConfigError(Exception):
    """A configuration or usage error: bad stack file, spec, argument or command."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        self.detail = message
        prefix = ""
        if file and key:
            prefix = f"{file}: {key}: "
        elif file:
            prefix = f"{file}: "
        elif key:
            prefix = f"{key}: "
        super().__init__(prefix + message)


class DefectError(Exception):
    """A check found a defect that is not bad input (exit status 3): one line, no traceback."""
