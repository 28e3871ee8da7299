"""Built-in scanners, one module per evidence source.

``BUILTIN_SCANNERS`` is explicit and ordered: id, version and where the class
lives. A registry imports a scanner's module only when a file needs reading,
so a warm rescan (every file answered from the cache) loads none of them.
Adding a scanner: one module here, one line below, one test file in
``tests/scanners/``. Bump the version here and on the class together
(``tests/scanners/test_registry_table.py`` holds them equal).
"""

from __future__ import annotations

from provenance.knowledge.registry import ScannerRef, ScannerRegistry

BUILTIN_SCANNERS = (
    ScannerRef("c2pa", "7", "provenance.scanners.c2pa:C2paScanner"),
    ScannerRef("xmp", "4", "provenance.scanners.xmp:XmpScanner"),
    ScannerRef("exif", "3", "provenance.scanners.exif:ExifScanner"),
    ScannerRef("png", "1", "provenance.scanners.png:PngScanner"),
    ScannerRef("stealth", "2", "provenance.scanners.stealth:StealthScanner"),
    ScannerRef("id3", "2", "provenance.scanners.id3:Id3Scanner"),
    ScannerRef("vorbis", "1", "provenance.scanners.vorbis:VorbisScanner"),
    ScannerRef("mp4", "1", "provenance.scanners.mp4:Mp4Scanner"),
    ScannerRef("riff", "2", "provenance.scanners.riff:RiffScanner"),
    ScannerRef("exr", "1", "provenance.scanners.exr:ExrScanner"),
    ScannerRef("dpx", "1", "provenance.scanners.dpx:DpxScanner"),
    ScannerRef("jpeg_com", "1", "provenance.scanners.jpeg_com:JpegCommentScanner"),
    ScannerRef("mxf", "1", "provenance.scanners.mxf:MxfScanner"),
)


def default_registry() -> ScannerRegistry:
    return ScannerRegistry(BUILTIN_SCANNERS)
