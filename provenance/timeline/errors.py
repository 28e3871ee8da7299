"""The timeline package's one error type."""

from __future__ import annotations

from provenance.errors import UsageError


class TimelineError(UsageError):
    """A timeline that cannot be read or used; one line naming the file (and the line when known)."""


EXTRA_HINT = "install the timeline extra: pip install 'provenance[timeline]'"
