"""One broken file, one error: duplicates across scanners collapse and a file's list is capped."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from provenance.knowledge.sniff import sniff
from provenance.scan.file_scan import MAX_FILE_ERRORS, one_per_problem, scan_bytes
from provenance.scanners import default_registry
from provenance.models import ScanIssue
from provenance.source import ByteSource, ScanInput, ScanOptions
from tests.external import require_module


def _scan(data: bytes):
    item = ScanInput("f", sniff(data[:4096]), ByteSource.from_bytes(data), {}, ScanOptions())
    return scan_bytes(item, default_registry(), propagate_bugs=True)


@pytest.mark.parametrize(("fmt", "code"), [("PNG", "png-truncated"), ("WEBP", "webp-truncated")])
@pytest.mark.parametrize("keep", [lambda n: 20, lambda n: 40, lambda n: n // 2, lambda n: n - 30],
                         ids=["in-header", "after-header", "half", "end-30"])
def test_truncated_image_gives_one_error(fmt, code, keep) -> None:
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0131] = "GIMP"
    # RGBA and lossless: the stealth reader decodes these too, and must not add its own error.
    Image.new("RGBA", (64, 64), (1, 2, 3, 4)).save(buf, fmt, lossless=True, exif=exif.tobytes())
    data = buf.getvalue()
    assert [e.code for e in _scan(data[: keep(len(data))]).errors] == [code]


def test_truncated_heic_gives_one_error() -> None:
    pillow_heif = require_module("pillow_heif", "pillow-heif")
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0131] = "Fooocus v2.5.5"
    buf = io.BytesIO()
    Image.new("RGB", (48, 32)).save(buf, "HEIF", exif=exif.tobytes(), xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    data = buf.getvalue()
    for cut in (40, len(data) // 2):
        assert len(_scan(data[:cut]).errors) == 1


def test_hostile_jpeg_errors_are_capped_with_a_count() -> None:
    # 4,000 EXIF segments, each with its own broken IFD offset: 4,000 distinct problems.
    segments = b"".join(b"\xff\xe1\x00\x10Exif\0\0II*\0" + offset.to_bytes(4, "little")
                        for offset in range(1000, 5000))
    scan = _scan(b"\xff\xd8" + segments + b"\xff\xd9")
    assert len(scan.errors) == MAX_FILE_ERRORS + 1
    assert scan.errors[-1].code == "errors-omitted"
    assert scan.errors[-1].message.startswith(f"{4000 - MAX_FILE_ERRORS} more")
    same = b"\xff\xe1\x00\x10Exif\0\0II*\0\xff\xff\xff\x7f" * 4000
    assert len(_scan(b"\xff\xd8" + same + b"\xff\xd9").errors) == 1


def test_distinct_problems_are_kept_in_order() -> None:
    issues = [ScanIssue("a", "x", "s1"), ScanIssue("a", "x", "s2"), ScanIssue("a", "y", "s1"), ScanIssue("b", "x")]
    assert one_per_problem(issues) == (issues[0], issues[2], issues[3])
