"""Built-in scanners, one module per evidence source.

``BUILTIN_SCANNERS`` is explicit and ordered; ``default_registry`` builds a
fresh registry from it. Adding a scanner: one module here, one line below,
one test file in ``tests/scanners/``.
"""

from __future__ import annotations

from provenance.knowledge.registry import ScannerRegistry

from provenance.scanners.c2pa import C2paScanner
from provenance.scanners.dpx import DpxScanner
from provenance.scanners.exif import ExifScanner
from provenance.scanners.exr import ExrScanner
from provenance.scanners.id3 import Id3Scanner
from provenance.scanners.jpeg_com import JpegCommentScanner
from provenance.scanners.mp4 import Mp4Scanner
from provenance.scanners.mxf import MxfScanner
from provenance.scanners.png import PngScanner
from provenance.scanners.riff import RiffScanner
from provenance.scanners.stealth import StealthScanner
from provenance.scanners.vorbis import VorbisScanner
from provenance.scanners.xmp import XmpScanner

BUILTIN_SCANNERS = (
    C2paScanner,
    XmpScanner,
    ExifScanner,
    PngScanner,
    StealthScanner,
    Id3Scanner,
    VorbisScanner,
    Mp4Scanner,
    RiffScanner,
    ExrScanner,
    DpxScanner,
    JpegCommentScanner,
    MxfScanner,
)


def default_registry() -> ScannerRegistry:
    return ScannerRegistry(cls() for cls in BUILTIN_SCANNERS)
