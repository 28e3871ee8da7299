"""The approvals ledger: written GenAI approvals as an append-only, hash-chained log.

Library API for the audit and for users' own pipelines; the click layer in
``provenance.cli.ledger`` only parses options, calls these and renders.
"""

from __future__ import annotations

from .globs import glob_matches
from .model import (
    CATEGORIES,
    CATEGORY_HELP,
    STATUSES,
    USES,
    Approval,
    LedgerError,
    LedgerEvent,
    Scope,
    VerifyResult,
)
from .schema import SCHEMA_VERSION
from .store import ENV_VAR, Ledger, open_ledger, resolve_ledger_path

__all__ = [
    "CATEGORIES",
    "CATEGORY_HELP",
    "ENV_VAR",
    "SCHEMA_VERSION",
    "STATUSES",
    "USES",
    "Approval",
    "Ledger",
    "LedgerError",
    "LedgerEvent",
    "Scope",
    "VerifyResult",
    "glob_matches",
    "open_ledger",
    "resolve_ledger_path",
]
