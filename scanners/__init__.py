"""Built-in scanners, one module per evidence source.

``BUILTIN_SCANNERS`` is explicit and ordered; ``default_registry`` builds a
fresh registry from it. Adding a scanner: one module here, one line below,
one test file in ``tests/scanners/``.
"""

from __future__ import annotations

from provenance.registry import ScannerRegistry

from .c2pa import C2paScanner
from .dpx import DpxScanner
from .exif import ExifScanner
from .exr import ExrScanner
from .id3 import Id3Scanner
from .mp4 import Mp4Scanner
from .png import PngScanner
from .riff import RiffScanner
from .stealth import StealthScanner
from .vorbis import VorbisScanner
from .xmp import XmpScanner

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
)


def default_registry() -> ScannerRegistry:
    return ScannerRegistry(cls() for cls in BUILTIN_SCANNERS)
