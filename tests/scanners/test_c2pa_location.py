"""Finding a C2PA store wherever the container walk reaches it, not only near the file's ends.

The files are signed by c2pa-python (c2pa-rs). c2pa-rs puts its JPEG APP11
segments after the JFIF APP0 segment; the source JPEG here (made by Pillow)
carries a 400 KiB ICC profile in APP2 segments *before* APP0, as some writers
order them, so the signed store sits about 400 KiB from the start and more than
256 KiB from the end. In MP3, c2pa-rs appends its GEOB frame after the frames
already in the ID3 tag, so a cover picture (written by mutagen) pushes it in.
"""

from __future__ import annotations

import io
import random

from mutagen.id3 import APIC, ID3, TIT2
from PIL import Image

from provenance.knowledge.verdict import decide
from provenance.models import C2paState, VerdictKind
from provenance.scanners.c2pa import HEAD_WINDOW, TAIL_WINDOW, C2paScanner, has_c2pa_marker
from provenance.source import ByteSource, ScanInput
from provenance.tagging.c2pa_signing import build_manifest, sign_asset
from provenance.tagging.identity import create_identity


def _icc_first_jpeg() -> bytes:
    rng = random.Random(7)
    image = Image.frombytes("RGB", (640, 640), rng.randbytes(640 * 640 * 3))  # noise: a big scan
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=95, icc_profile=bytes(400 * 1024))
    raw = buf.getvalue()
    app0_end = 4 + int.from_bytes(raw[4:6], "big")
    assert raw[2:4] == b"\xff\xe0"
    app0, rest = raw[2:app0_end], raw[app0_end:]
    pos = 0
    while rest[pos : pos + 2] == b"\xff\xe2":
        pos += 2 + int.from_bytes(rest[pos + 2 : pos + 4], "big")
    return b"\xff\xd8" + rest[:pos] + app0 + rest[pos:]


def test_store_behind_big_icc_segments_is_found_and_validated(tmp_path) -> None:
    src, dst = tmp_path / "src.jpg", tmp_path / "dst.jpg"
    src.write_bytes(_icc_first_jpeg())
    identity = create_identity(tmp_path / "id", "Test Vendor")
    sign_asset(src, dst, identity=identity, mime="image/jpeg", embed=True, parent_manifest=False,
               manifest_definition=build_manifest("trainedAlgorithmicMedia", "VendorGen", "2"))
    data = dst.read_bytes()
    at = data.find(b"jumdc2pa")
    assert at > HEAD_WINDOW and len(data) - at > TAIL_WINDOW  # outside both byte windows
    assert has_c2pa_marker(ByteSource.from_bytes(data))
    result = C2paScanner().scan(ScanInput("f", "image/jpeg", ByteSource.from_bytes(data)))
    assert result.c2pa is not None and result.c2pa.state is not C2paState.INVALID
    assert result.c2pa.state in (C2paState.VALID, C2paState.TRUSTED)
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED
    # The same layout without a store stays absent, and a walk over it costs no error.
    assert not has_c2pa_marker(ByteSource.from_bytes(src.read_bytes()))


def test_mp3_store_behind_a_big_cover_picture(tmp_path) -> None:
    src, dst = tmp_path / "song.mp3", tmp_path / "signed.mp3"
    src.write_bytes((b"\xff\xfb\x90\x64" + bytes(413)) * 1000)  # MPEG-1 layer III frames
    tags = ID3()
    tags.add(TIT2(encoding=3, text=["Night Drive"]))
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=random.Random(3).randbytes(600_000)))
    tags.save(src)
    identity = create_identity(tmp_path / "id", "Test Vendor")
    sign_asset(src, dst, identity=identity, mime="audio/mpeg", embed=True, parent_manifest=False,
               manifest_definition=build_manifest("trainedAlgorithmicMedia", "VendorGen", "2"))
    data = dst.read_bytes()
    at = data.find(b"GEOB")
    assert at > HEAD_WINDOW and len(data) - at > TAIL_WINDOW
    assert has_c2pa_marker(ByteSource.from_bytes(data))
    result = C2paScanner().scan(ScanInput("f", "audio/mpeg", ByteSource.from_bytes(data)))
    assert result.c2pa is not None and result.c2pa.state in (C2paState.VALID, C2paState.TRUSTED)
    assert decide(result.evidence).kind is VerdictKind.AI_GENERATED
    assert not has_c2pa_marker(ByteSource.from_bytes(src.read_bytes()))


def test_every_marker_is_seen_alone_in_the_head_or_the_tail() -> None:
    # The search first looks for "c2pa" or "caBX" and checks the other needles only
    # when needed; each needle on its own must still be found, at either end.
    from provenance.scanners import c2pa

    filler = bytes(range(256)).replace(b"c", b"x").replace(b"C", b"x") * 4096  # 1 MiB, no needle
    assert not has_c2pa_marker(ByteSource.from_bytes(filler))
    for needle in c2pa._NEEDLES:
        assert has_c2pa_marker(ByteSource.from_bytes(needle + filler)), needle
        assert has_c2pa_marker(ByteSource.from_bytes(filler + needle)), needle
