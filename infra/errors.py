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
