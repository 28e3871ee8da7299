"""Small still thumbnails for the HTML report, as data: URIs.

Bounded on every axis: only single-file stills, only inside the delivery
root, only below a file-size and pixel budget, at most a fixed number per
report. Reading is read-only; a file Pillow cannot decode just gets none.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import warnings
from pathlib import Path
from typing import Any

from PIL import Image

from provenance.source.noatime import open_binary

log = logging.getLogger(__name__)

STILL_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/tiff", "image/bmp")
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel still decodes in well under a second; beyond that, skip
MAX_THUMBNAILS = 400
BOX = (160, 120)


def thumbnails(data: dict[str, Any], root: Path) -> dict[str, str]:
    """``{asset path: data URI}`` for the flagged stills first, then the rest, up to the budget."""
    if not root.is_dir():
        return {}
    base = root.resolve()
    stills = [a for a in data["assets"] if a.get("kind") == "file" and a.get("media_type") in STILL_TYPES]
    stills.sort(key=lambda a: (a["status"] == "clean", str(a["path"])))
    out: dict[str, str] = {}
    for asset in stills[:MAX_THUMBNAILS]:
        path = _inside(base, str(asset["path"]))
        if path is not None:
            uri = thumbnail_uri(path)
            if uri:
                out[str(asset["path"])] = uri
    return out


def _inside(base: Path, rel: str) -> Path | None:
    """The file at ``rel`` if it really is below ``base``: a saved audit may be hostile."""
    candidate = base / rel
    if os.path.islink(candidate):
        return None
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if base not in real.parents or not real.is_file():
        return None
    return real


def thumbnail_uri(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        # Pillow gets an already-open O_NOATIME file: given the path it would open it itself and
        # move the still's atime. Its warnings about the file only cost the thumbnail, never stderr.
        fh, _quiet = open_binary(path)
        with fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(fh)
            if img.width * img.height > MAX_PIXELS:
                return None
            img.draft("RGB", (BOX[0] * 2, BOX[1] * 2))  # JPEG: decode at reduced scale
            img.seek(0)
            frame = img.convert("RGBA")
        frame.thumbnail(BOX)
        flat = Image.new("RGB", frame.size, (128, 128, 128))
        flat.paste(frame, mask=frame.getchannel("A"))
        buf = io.BytesIO()
        flat.save(buf, "JPEG", quality=70)
    except Exception as exc:  # noqa: BLE001 - any decoder failure only costs the thumbnail
        log.info("no thumbnail for %s: %s", path, exc)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
