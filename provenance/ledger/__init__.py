"""The approvals ledger: written GenAI approvals as an append-only, hash-chained log.

Library API for the audit and for users' own pipelines; the click layer in
``provenance.cli.ledger`` only parses options, calls these and renders.
"""

from __future__ import annotations

from .backend import is_url, redact
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
from .signing import Approver, SigningKey, keygen, load_signing_key
from .store import ENV_VAR, Ledger, open_ledger, resolve_ledger_path

__all__ = [
    "CATEGORIES",
    "CATEGORY_HELP",
    "ENV_VAR",
    "SCHEMA_VERSION",
    "STATUSES",
    "USES",
    "Approval",
    "Approver",
    "Ledger",
    "LedgerError",
    "LedgerEvent",
    "Scope",
    "SigningKey",
    "VerifyResult",
    "glob_matches",
    "is_url",
    "keygen",
    "load_signing_key",
    "open_ledger",
    "redact",
    "resolve_ledger_path",
]
