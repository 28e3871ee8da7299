"""Path-glob scopes: how an approval names material by where it sits.

Globs match an asset's path relative to the delivery root, with POSIX
separators. A frame sequence is one asset whose path is its pattern
(``shots/sh010/sh010_comp_v003.####.exr``), so ``#`` and ``@`` are ordinary
characters here: the glob spells the padding exactly as the pattern does.
``*``, ``?`` and ``[...]`` never cross a ``/``; ``**`` as a whole segment
matches any number of folders, none included. Version tokens get no special
treatment: ``_v003`` covers v003 only, ``_v*`` covers every version. That is
deliberate: an approval of one render must not silently cover the next.
"""

from __future__ import annotations

import functools
import re

from .errors import LedgerError


_DRIVE = re.compile(r"[A-Za-z]:")  # compiled once: verify checks every path scope of a ledger


def normalise_path(path: str) -> str:
    text = str(path).strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def parse_glob(value: str) -> str:
    """Check a glob is relative to the delivery root and return it normalised."""

    text = normalise_path(value)
    if not text:
        raise LedgerError("path glob is empty; pass a path relative to the delivery root, e.g. shots/sh010/*.exr")
    if text.startswith("/") or _DRIVE.match(text):
        raise LedgerError(f"path glob {value!r} is absolute; make it relative to the delivery root, "
                          f"e.g. shots/sh010/*.exr")
    if ".." in text.split("/") or ";" in text:
        raise LedgerError(f"path glob {value!r} contains '..' or ';'; name files inside the delivery root")
    return text


def compile_glob(glob: str) -> re.Pattern[str]:
    """The glob (already normalised) as a regular expression for ``fullmatch``."""
    out: list[str] = []
    parts = glob.split("/")
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part == "**":
            # A whole "**" segment: any run of folders, including none.
            out.append(".*" if index == last else "(?:[^/]+/)*")
            continue
        out.append(_segment(part))
        if index != last:
            out.append("/")
    return re.compile("".join(out))


def _segment(part: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(part):
        ch = part[i]
        if ch == "*":
            while i + 1 < len(part) and part[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = i + 1
            if end < len(part) and part[end] in "!^":
                end += 1
            if end < len(part) and part[end] == "]":
                end += 1
            end = part.find("]", end)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = part[i + 1:end]
                negate = body[:1] in ("!", "^")
                body = body[1:] if negate else body
                body = body.replace("\\", "\\\\")
                out.append(f"[^/{body}]" if negate else f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


_compile = functools.lru_cache(maxsize=4096)(compile_glob)


def glob_matches(glob: str, path: str) -> bool:
    """True when ``path`` (relative to the delivery root) is selected by ``glob``."""
    return _compile(normalise_path(glob)).fullmatch(normalise_path(path)) is not None
