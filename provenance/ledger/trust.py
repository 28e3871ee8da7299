"""Which approver keys count, and whether approvals must be signed.

Only a policy the user chose counts here: ``--policy FILE``, else the user's
own configuration (``$PROVENANCE_CONFIG``, else
``$XDG_CONFIG_HOME/provenance/policy.toml``). The ``provenance.toml`` at a
delivery's root never does: the vendor who ships the delivery writes that
file, and must not be able to trust its own key or switch signing off.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from provenance.source.noatime import read_text

from .model import LedgerError
from .signing import Approver, parse_approvers

CONFIG_ENV = "PROVENANCE_CONFIG"


@dataclass(frozen=True)
class LedgerTrust:
    require_signed: bool = False
    approvers: tuple[Approver, ...] = ()
    source: str | None = None  # the file the settings came from

    @property
    def by_key(self) -> dict[str, Approver]:
        return {a.public_key: a for a in self.approvers}


def user_config_path() -> Path:
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "provenance" / "policy.toml"


def load_trust(policy_path: str | os.PathLike[str] | None) -> LedgerTrust:
    """The [ledger] trust settings from ``--policy``, else the user's configuration, else none."""
    path = Path(policy_path) if policy_path else user_config_path()
    if not policy_path and not path.is_file():
        return LedgerTrust()
    try:
        # O_NOATIME: --policy may name the delivery's own provenance.toml.
        raw = tomllib.loads(read_text(path, encoding="utf-8")[0])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LedgerError(f"cannot read policy {path}: {getattr(exc, 'strerror', None) or exc}; pass a readable "
                          f"TOML policy") from None
    return parse_trust(raw.get("ledger"), str(path))


def parse_trust(table: object, source: str) -> LedgerTrust:
    if table is None:
        return LedgerTrust(source=source)
    if not isinstance(table, dict):
        raise LedgerError(f"{source}: [ledger] must be a table")
    required = table.get("require_signed", False)
    if not isinstance(required, bool):
        raise LedgerError(f"{source}: ledger.require_signed must be true or false")
    return LedgerTrust(required, parse_approvers(table.get("approvers"), source), source)
