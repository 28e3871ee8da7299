"""Vendor-side export tagging: mark AI material so the evidence travels with it.

``tag_files`` is the one entry point: per file it writes the plain-tag
declaration the format's readers understand (XMP, ID3, Vorbis, MP4 atoms, or
an XMP sidecar), then a signed C2PA manifest (embedded or ``.c2pa`` sidecar),
verifies the staged result, swaps it in atomically and records the file in the
package manifest. Modules: ``spec`` (validated declaration), ``plan`` (what
would be written; CSV rows), ``formats`` + ``xmp_*`` / ``audio_write`` /
``mp4_write`` (writers), ``atomic`` (staging), ``verify`` (read-back), ``core``.
"""

from __future__ import annotations

from .core import FileOutcome, TagOptions, TagReport, tag_files
from .plan import TagJob, jobs_from_csv
from .spec import C2paMode, Declaration, TagConflict, TagError, make_declaration

__all__ = [
    "C2paMode",
    "Declaration",
    "FileOutcome",
    "TagConflict",
    "TagError",
    "TagJob",
    "TagOptions",
    "TagReport",
    "jobs_from_csv",
    "make_declaration",
    "tag_files",
]
