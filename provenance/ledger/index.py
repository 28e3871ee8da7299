"""Which approvals touch an asset, found through indexes instead of asking every approval.

Asking each of N approvals about each of M assets costs M × N glob tests: 20,000
assets against 100,000 approvals is two billion. Here sha256 and C2PA-instance
scopes are dictionary lookups, and path globs sit in a tree keyed by their
literal leading folders (``shots/sh010/*.exr`` under ``shots`` → ``sh010``), so
an asset is tested only against globs whose literal part is a prefix of its
path. Each glob is compiled once, the first time an asset reaches it.

The answers are those of :meth:`Approval.match`; ``tests/test_ledger_index.py``
checks the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .globs import compile_glob, normalise_path

_META = re.compile(r"[*?\[]")
_INDEXED = frozenset({"sha256", "c2pa-instance", "path"})  # scope kinds looked up here; others ask match()


class _Node:
    __slots__ = ("children", "globs")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.globs: list[tuple[str, str, int]] = []  # (literal start of the rest, glob, approval number)


class ApprovalIndex:
    def __init__(self, approvals: Iterable[Any]) -> None:
        self.approvals: list[Any] = list(approvals)
        self._sha: dict[str, list[int]] = {}
        self._iid: dict[str, list[int]] = {}
        self._pinned: set[int] = set()
        self._root = _Node()
        # Records without scopes (hand-built), or with a scope kind not indexed here (a cut's
        # timeline range, which only the record's own match() can judge): asked directly.
        self._others: list[int] = []
        self._compiled: dict[str, re.Pattern[str]] = {}
        for number, approval in enumerate(self.approvals):
            scopes = getattr(approval, "scopes", None)
            if scopes is None:
                self._others.append(number)
            elif len(scopes) == 1:  # the usual approval: one scope, placed without a list of its kinds
                scope = scopes[0]
                if scope.kind == "sha256":  # the commonest kind, filed here without a call
                    self._sha.setdefault(scope.value, []).append(number)
                    self._pinned.add(number)
                elif not self._place(scope, number):
                    self._others.append(number)
            elif not _INDEXED.issuperset([scope.kind for scope in scopes]):
                self._others.append(number)
            else:
                for scope in scopes:
                    self._place(scope, number)
        self._refs: frozenset[str] | None = None
        self._in_force: tuple[Any, list[Any]] | None = None

    def _place(self, scope: Any, number: int) -> bool:
        """File one scope under its kind; False for a kind only the record's own match() can judge."""
        kind = scope.kind
        if kind == "sha256":
            self._sha.setdefault(scope.value, []).append(number)
            self._pinned.add(number)
        elif kind == "c2pa-instance":
            self._iid.setdefault(scope.value, []).append(number)
        elif kind == "path":
            self._add_glob(normalise_path(scope.value), number)
        else:
            return False
        return True

    @property
    def refs(self) -> frozenset[str]:
        """Every approval's ref (computed once: each audit pass asks)."""
        if self._refs is None:
            self._refs = frozenset(a.ref for a in self.approvals)
        return self._refs

    def in_force(self, today: Any) -> list[Any]:
        """The approvals neither revoked nor superseded on ``today`` (computed once per day)."""
        if self._in_force is None or self._in_force[0] != today:
            self._in_force = (today, [a for a in self.approvals
                                      if a.status_on(today) not in ("revoked", "superseded")])
        return self._in_force[1]

    def __len__(self) -> int:
        return len(self.approvals)

    def _add_glob(self, glob: str, number: int) -> None:
        found = _META.search(glob)
        literal = glob[:found.start()] if found else glob
        # The folders named in full before the first wildcard; the last part names files,
        # and a literal one still needs the full test.
        *folders, start = literal.split("/")
        node = self._root
        for part in folders:
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node()
            node = child
        # ``start``: what the rest of a path must start with (up to the first wildcard), a
        # cheap test that spares most globs in a busy folder their regular expression.
        node.globs.append((start, glob, number))

    def _glob_hits(self, path: str) -> set[int]:
        hits: set[int] = set()
        node: _Node | None = self._root
        parts = path.split("/")
        for depth in range(len(parts) + 1):
            if node is None:
                break
            if node.globs:
                rest = "/".join(parts[depth:])
                for start, glob, number in node.globs:
                    if rest.startswith(start) and number not in hits and self._pattern(glob).fullmatch(path):
                        hits.add(number)
            node = node.children.get(parts[depth]) if depth < len(parts) else None
        return hits

    def _pattern(self, glob: str) -> re.Pattern[str]:
        found = self._compiled.get(glob)
        if found is None:
            found = self._compiled[glob] = compile_glob(glob)
        return found

    def matches(self, path: str, sha256: str | None, c2pa_instance_ids: Sequence[str] = ()) -> list[tuple[Any, str]]:
        """(approval, "covered" | "stale") for each approval that touches the asset, in ledger order."""
        how: dict[int, str] = {}
        if sha256:
            for number in self._sha.get(sha256.lower(), ()):
                how[number] = "covered"
        for iid in c2pa_instance_ids:
            for number in self._iid.get(iid, ()):
                how[number] = "covered"
        for number in self._glob_hits(normalise_path(path)):
            how.setdefault(number, "stale" if number in self._pinned else "covered")
        for number in self._others:
            found = self.approvals[number].match(path, sha256, c2pa_instance_ids)
            if found:
                how[number] = found
        return [(self.approvals[n], how[n]) for n in sorted(how)]

    def pinning(self, sha256: str) -> list[Any]:
        """The approvals with a sha256 scope equal to ``sha256``, in ledger order."""
        digest = sha256.lower()
        numbers = set(self._sha.get(digest, ()))
        numbers.update(n for n in self._others
                       if any(getattr(s, "kind", "") == "sha256" and str(s.value).lower() == digest
                              for s in getattr(self.approvals[n], "scopes", None) or ()))
        return [self.approvals[n] for n in sorted(numbers)]

    def touches(self, path: str, c2pa_instance_ids: Sequence[str] = ()) -> bool:
        """Whether any approval could bind this asset by path or C2PA identity (so it is worth hashing)."""
        return bool(self.matches(path, None, c2pa_instance_ids))
