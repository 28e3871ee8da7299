"""Ed25519 signatures on ledger events, and the approver keys a policy trusts.

A signature covers the RFC 8785 canonical JSON of ``{event_type, ref,
payload, key_id, signed_at}``: what was decided and by whom, not where the
event sits in one ledger's chain (seq, prev_hash, ts). So a signed event stays
valid when it travels to another company's ledger in a bundle.

``key_id`` is the public key itself (``ed25519:`` + base64 of the 32 raw
bytes), the same text a policy lists under ``[ledger.approvers."Name"]``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .model import Approval, LedgerError, Signed, parse_category

PREFIX = "ed25519:"
_NAME_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    key_id: str
    path: str
    warnings: tuple[str, ...] = ()

    def sign(self, event_type: str, ref: str, payload: dict[str, Any], signed_at: str) -> Signed:
        raw = self.private.sign(material(event_type, ref, payload, self.key_id, signed_at))
        return Signed(self.key_id, signed_at, base64.b64encode(raw).decode("ascii"))


@dataclass(frozen=True)
class Approver:
    """One trusted approver from the policy: a name, a public key, what they may approve."""

    name: str
    public_key: str
    categories: tuple[str, ...] = ()  # empty: any category


def material(event_type: str, ref: str, payload: Mapping[str, Any], key_id: str, signed_at: str) -> bytes:
    return canonical_bytes({"event_type": event_type, "ref": ref, "payload": dict(payload), "key_id": key_id,
                            "signed_at": signed_at})


_SAFE_INT = 2**53 - 1  # RFC 8785 refuses integers a double cannot hold exactly


def canonical_bytes(obj: Any) -> bytes:
    """``rfc8785.dumps(obj)``, byte for byte, in a fraction of its time for plain JSON.

    rfc8785 is pure Python (25 µs for an event here, a quarter of checking its
    signature). For strings, booleans, null, safe integers, lists and objects whose
    keys are in the Basic Multilingual Plane, json's own canonical spelling is the
    same bytes: the same escapes (the short ones, else ``\\u00xx``), UTF-8 as is,
    and code-point key order equals RFC 8785's UTF-16 order there. Anything else
    (floats, keys beyond U+FFFF, other types, lone surrogates) goes to rfc8785.
    ``tests/test_ledger_canonical.py`` checks the two agree on hostile input.
    """
    if _plain(obj):
        try:
            return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 refuses it with its own error
    return rfc8785.dumps(obj)


def _plain(obj: Any) -> bool:
    kind = type(obj)
    if kind is str or kind is bool or obj is None:
        return True
    if kind is int:
        return -_SAFE_INT <= obj <= _SAFE_INT
    if kind is list:
        return all(_plain(item) for item in obj)
    if kind is dict:
        return all(type(key) is str and (key.isascii() or max(key) <= "\uffff") and _plain(value)
                   for key, value in obj.items())
    return False


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str, where: str = "public_key") -> Ed25519PublicKey:
    value = str(text).strip()
    try:
        if not value.startswith(PREFIX):
            raise ValueError(value)
        raw = base64.b64decode(value[len(PREFIX):], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        raise LedgerError(f"{where} {value[:60]!r} is not an Ed25519 public key; copy the `ed25519:…` line "
                          f"that `provenance ledger keygen` printed") from None


# verify meets the same few keys on every signed event; a refusal raises and is not cached.
_event_key = functools.lru_cache(maxsize=256)(parse_public_key)


def check(event_type: str, ref: str, payload: Mapping[str, Any], signed: Signed) -> bool:
    """True when ``signed.signature`` is the key's signature over the event's decision."""
    try:
        public = _event_key(signed.key_id)
        raw = base64.b64decode(signed.signature, validate=True)
        public.verify(raw, material(event_type, ref, payload, signed.key_id, signed.signed_at))
        return True
    except (LedgerError, InvalidSignature, ValueError, binascii.Error, TypeError):
        return False


def keygen(name: str, out_dir: Path) -> tuple[Path, Path, str]:
    """Write NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub; return both paths and the key id."""
    who = str(name).strip()
    if not who:
        raise LedgerError("keygen needs the approver's name; pass --name 'Dana Reyes'")
    if not out_dir.is_dir():
        raise LedgerError(f"folder {out_dir} does not exist; create it first or pass another --out")
    stem = _NAME_SAFE.sub("-", who).strip("-").lower() or "approver"
    key_path, pub_path = out_dir / f"{stem}.key", out_dir / f"{stem}.pub"
    for path in (key_path, pub_path):
        if path.exists():
            raise LedgerError(f"{path} already exists; move it away or pass another --out (keys are never overwritten)")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # Created 0600 from the first byte: never readable by others, not even briefly.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    key_id = key_id_of(private.public_key())
    pub_path.write_text(f"{key_id}\n", encoding="ascii")
    return key_path, pub_path, key_id


def load_signing_key(path: str | os.PathLike[str]) -> SigningKey:
    source = Path(path)
    try:
        data = source.read_bytes()
        mode = source.stat().st_mode
    except OSError as exc:
        raise LedgerError(f"cannot read signing key {source} ({exc.strerror}); pass the .key file that "
                          f"`provenance ledger keygen` wrote") from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise LedgerError(f"{source} is not an unencrypted PEM private key; pass the .key file that "
                          f"`provenance ledger keygen` wrote") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise LedgerError(f"{source} is not an Ed25519 key; make one with `provenance ledger keygen`")
    warnings = ()
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings = (f"signing key {source} is readable by others (mode {stat.S_IMODE(mode):o}); "
                    f"run `chmod 600 {source}`",)
    return SigningKey(private, key_id_of(private.public_key()), str(source), warnings)


def parse_approvers(raw: Any, source: str) -> tuple[Approver, ...]:
    """``[ledger.approvers."Name"]`` tables: public_key, optional categories."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise LedgerError(f"{source}: ledger.approvers must be a table of approvers, "
                          f"e.g. [ledger.approvers.\"Dana Reyes\"]")
    out = []
    for name, table in sorted(raw.items()):
        where = f"{source}: ledger.approvers.{name!r}"
        if not isinstance(table, dict) or set(table) - {"public_key", "categories"} or "public_key" not in table:
            raise LedgerError(f"{where} must hold public_key = \"ed25519:…\" and optionally categories = [...]")
        key = str(table["public_key"]).strip()
        parse_public_key(key, f"{where}.public_key")
        cats = table.get("categories", [])
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            raise LedgerError(f"{where}.categories must be a list of category names")
        out.append(Approver(str(name), key, tuple(parse_category(c) for c in cats)))
    return tuple(out)


def judge(event_type: str, ref: str, payload: Mapping[str, Any], signed: Signed | None,
          approvers: Mapping[str, Approver], approver: str | None,
          categories: tuple[str, ...] = ()) -> str:
    """What a signature is worth: "valid", "unsigned", "bad-signature", "unknown-key", "wrong-approver"
    or "category-not-allowed"."""
    if signed is None or not signed.signature:
        return "unsigned"
    if not check(event_type, ref, payload, signed):
        return "bad-signature"
    trusted = approvers.get(signed.key_id)
    if trusted is None:
        return "unknown-key"
    if approver is not None and trusted.name != approver:
        return "wrong-approver"
    if trusted.categories and any(c not in trusted.categories for c in categories):
        return "category-not-allowed"
    return "valid"


def judge_after(event_type: str, ref: str, payload: Mapping[str, Any], signed: Signed | None,
                approvers: Mapping[str, Approver], after: Approval | None) -> str:
    """:func:`judge` against the approval as the event leaves it: its approver, and for a grant or
    amend its categories (what the signer approved)."""
    return judge(event_type, ref, payload, signed, approvers, after.approver if after else None,
                 after.categories if after and event_type in ("grant", "amend") else ())
