"""Domain exceptions. Input problems are kept apart from bugs.

``InputError`` is raised by scanners for a file that is truncated, corrupt or
hostile: the runner records it against that file and goes on. Anything else a
scanner raises is a bug in provenance and propagates.
"""

from __future__ import annotations


class ProvenanceError(Exception):
    """Base for errors a user can act on (bad input, bad configuration)."""


class InputError(ProvenanceError):
    """A file could not be read fully. ``code`` is stable and machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class UsageError(ProvenanceError):
    """Bad command-line or configuration input; the message names the fix."""
