"""PNG text-chunk scanner on PNGs built in the test (Pillow, struct, zlib)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from provenance.errors import InputError
from provenance.models import Signal
from provenance.source import ByteSource, ScanInput
from provenance.scanners.png import PngScanner

INFOTEXT = "a duck\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8"
GRAPH = '{"3": {"inputs": {"seed": 1}, "class_type": "KSampler"}}'


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def bare_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


def with_chunks(png: bytes, *extra: bytes, after_idat: bool = False) -> bytes:
    """Insert chunks after IHDR, or just before IEND (after the image data)."""
    if after_idat:
        iend = png.rindex(b"IEND") - 4
        return png[:iend] + b"".join(extra) + png[iend:]
    ihdr_end = 8 + 8 + 13 + 4
    return png[:ihdr_end] + b"".join(extra) + png[ihdr_end:]


def scan(data: bytes):
    return PngScanner().scan(ScanInput("t.png", "image/png", ByteSource.from_bytes(data)))


def by_location(result) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


def test_pillow_text_chunks_all_three_kinds() -> None:
    info = PngInfo()
    info.add_text("parameters", INFOTEXT)
    info.add_text("prompt", GRAPH, zip=True)
    info.add_itxt("workflow", '{"last_node_id": 9, "nodes": []}', zip=True)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG", pnginfo=info)
    found = by_location(scan(buf.getvalue()))
    assert found["png:tEXt:parameters"].generator == "AUTOMATIC1111"
    assert found["png:zTXt:prompt"].generator == "ComfyUI"
    assert found["png:iTXt:workflow"].signal is Signal.GENERATED


def test_bare_png_has_no_evidence_and_no_errors() -> None:
    result = scan(bare_png())
    assert result.evidence == () and result.errors == ()


def test_text_after_idat_and_private_comf_chunk_are_read() -> None:
    data = with_chunks(bare_png(), chunk(b"comf", b"prompt\0" + GRAPH.encode()),
                       chunk(b"tEXt", b"parameters\0" + INFOTEXT.encode()), after_idat=True)
    found = by_location(scan(data))
    assert found["png:comf:prompt"].generator == "ComfyUI"
    assert found["png:tEXt:parameters"].generator == "AUTOMATIC1111"


def test_cabx_is_info_only() -> None:
    result = scan(with_chunks(bare_png(), chunk(b"caBX", b"\0" * 64)))
    (ev,) = result.evidence
    assert ev.location == "png:caBX" and ev.signal is Signal.INFO


def test_camera_like_text_is_not_ai() -> None:
    data = with_chunks(bare_png(), chunk(b"tEXt", b"Software\0GIMP 2.10"), chunk(b"tEXt", b"Comment\0holiday"))
    assert all(e.signal is Signal.INFO for e in scan(data).evidence)


def test_ztxt_bomb_is_a_chunk_error_and_other_chunks_survive() -> None:
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)  # ~64 KiB on disk
    data = with_chunks(bare_png(), chunk(b"zTXt", b"prompt\0\0" + bomb),
                       chunk(b"tEXt", b"parameters\0" + INFOTEXT.encode()))
    result = scan(data)
    assert [e.code for e in result.errors] == ["png-zlib-bomb"]
    assert "png:tEXt:parameters" in by_location(result)


def test_corrupt_ztxt_is_reported() -> None:
    result = scan(with_chunks(bare_png(), chunk(b"zTXt", b"prompt\0\0not zlib at all")))
    assert [e.code for e in result.errors] == ["png-zlib"]


def test_chunk_storm_is_capped_and_reported() -> None:
    storm = chunk(b"teSt", b"") * 120_000
    data = with_chunks(bare_png(), chunk(b"tEXt", b"parameters\0" + INFOTEXT.encode()), storm)
    result = scan(data)
    assert "png-chunk-storm" in [e.code for e in result.errors]
    assert "png:tEXt:parameters" in by_location(result)


def test_lying_length_after_evidence_keeps_the_evidence() -> None:
    good = chunk(b"tEXt", b"parameters\0" + INFOTEXT.encode())
    liar = struct.pack(">I", 0x7FFFFFF0) + b"tEXt" + b"x" * 16
    data = bare_png()[:33] + good + liar
    result = scan(data)
    assert "png:tEXt:parameters" in by_location(result)
    assert [e.code for e in result.errors] == ["png-truncated"]


def test_truncated_without_evidence_is_an_input_error() -> None:
    with pytest.raises(InputError):
        scan(bare_png()[:40])


def test_not_a_png_is_an_input_error() -> None:
    with pytest.raises(InputError) as exc:
        scan(b"GIF89a" + b"\0" * 100)
    assert exc.value.code == "png-signature"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_byte_flips_end_in_a_result_or_input_error(data) -> None:  # type: ignore[no-untyped-def]
    info = PngInfo()
    info.add_text("parameters", INFOTEXT, zip=True)
    info.add_itxt("Comment", "x" * 50, zip=True)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG", pnginfo=info)
    raw = bytearray(buf.getvalue())
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(8, len(raw) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(8, len(raw)))
    try:
        scan(bytes(raw[:cut]))
    except InputError:
        pass


def test_every_walker_of_one_damaged_file_sees_the_same_chunks_and_error() -> None:
    # The first chunk walk is kept on the source and replayed for the other scanners:
    # a replay must end exactly as a fresh walk does, error included.
    from provenance.scanners._png_chunks import iter_chunks

    cut = with_chunks(bare_png(), chunk(b"tEXt", b"parameters\0" + INFOTEXT.encode()))[:-20]
    source = ByteSource.from_bytes(cut)
    walks = []
    for _ in range(2):
        seen = []
        with pytest.raises(InputError) as err:
            for c in iter_chunks(source):
                seen.append(c.type)
        walks.append((seen, err.value.code, err.value.message))
    fresh = []
    with pytest.raises(InputError) as err:
        for c in iter_chunks(ByteSource.from_bytes(cut)):
            fresh.append(c.type)
    assert walks[0] == walks[1] == (fresh, err.value.code, err.value.message)
    assert b"tEXt" in fresh and err.value.code == "png-truncated"
    assert by_location(scan(cut))["png:tEXt:parameters"].generator == "AUTOMATIC1111"


def test_walking_past_large_image_chunks_reads_their_headers_not_their_data() -> None:
    # On network storage a 4K frame's walk must not cost the frame: 40 IDAT chunks of
    # 256 KiB (10 MB) are walked, and the text chunk after them still found.
    from provenance.scanners._png_chunks import iter_chunks

    png = bare_png()
    iend = png.rindex(b"IEND") - 4
    idats = b"".join(chunk(b"IDAT", bytes(256 * 1024)) for _ in range(40))
    big = png[:iend] + idats + chunk(b"tEXt", b"parameters\0" + INFOTEXT.encode()) + png[iend:]
    source = ByteSource.from_bytes(big)
    types = [c.type for c in iter_chunks(source)]
    assert types.count(b"IDAT") == 41 and types[-2:] == [b"tEXt", b"IEND"]
    assert source.counts.ranged < 256 * 1024
