"""The ledger's one error type, kept apart so that every ledger module can raise it."""

from __future__ import annotations

from provenance.errors import ProvenanceError


class LedgerError(ProvenanceError):
    """A ledger operation was refused; the message is one line and names the fix."""
