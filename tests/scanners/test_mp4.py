"""The MP4 scanner on MP4/MOV files built box by box in the test."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.models import Confidence, ScannerResult, Signal
from provenance.knowledge.sniff import sniff
from provenance.source import ByteSource, ScanInput
from provenance.scanners._bmff import MAX_DEPTH
from provenance.scanners.mp4 import C2PA_UUID, Mp4Scanner


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full(kind: bytes, *payload: bytes) -> bytes:
    return box(kind, b"\0\0\0\0", *payload)


def data(text: str, kind: int = 1) -> bytes:
    return box(b"data", struct.pack(">I", kind), b"\0\0\0\0", text.encode())


def hdlr(handler: bytes) -> bytes:
    return full(b"hdlr", b"\0\0\0\0", handler, b"\0" * 12, b"\0")


FTYP = box(b"ftyp", b"isom", b"\0\0\2\0", b"isommp41")
MVHD = full(b"mvhd", b"\0" * 96)


def movie(*moov_children: bytes, top: bytes = b"") -> bytes:
    return FTYP + top + box(b"mdat", b"\0" * 32) + box(b"moov", MVHD, *moov_children)


def itunes(*items: bytes) -> bytes:
    return box(b"udta", full(b"meta", hdlr(b"mdir"), box(b"ilst", *items)))


def keyed(keys: list[str], values: list[bytes], qt_style: bool = False) -> bytes:
    entries = b"".join(struct.pack(">I", 8 + len(k.encode())) + b"mdta" + k.encode() for k in keys)
    keys_box = full(b"keys", struct.pack(">I", len(keys)), entries)
    items = b"".join(box(struct.pack(">I", i + 1), v) for i, v in enumerate(values))
    children = hdlr(b"mdta") + keys_box + box(b"ilst", items)
    return box(b"meta", children) if qt_style else box(b"udta", full(b"meta", children))


def scan(blob: bytes, media_type: str | None = None) -> ScannerResult:
    media_type = media_type or sniff(blob)
    scanner = Mp4Scanner()
    assert scanner.accepts(media_type)
    return scanner.scan(ScanInput("t.mp4", media_type, ByteSource.from_bytes(blob)))


def by_location(result: ScannerResult) -> dict[str, object]:
    return {e.location: e for e in result.evidence}


def test_ilst_comment_and_tool_reach_the_signature_table() -> None:
    result = scan(movie(itunes(box(b"\xa9too", data("Lavf61.1.100")),
                               box(b"\xa9cmt", data("made with suno; id=1")))))
    found = by_location(result)
    assert found["mp4:ilst:©cmt"].generator == "Suno"
    assert found["mp4:ilst:©cmt"].confidence is Confidence.DECLARATION
    assert found["mp4:ilst:©too"].signal is Signal.INFO
    assert not result.errors


def test_freeform_item_is_named_by_mean_and_name() -> None:
    graph = json.dumps({"3": {"class_type": "KSampler", "inputs": {}}})
    item = box(b"----", full(b"mean", b"com.apple.iTunes"), full(b"name", b"prompt"), data(graph))
    found = by_location(scan(movie(itunes(item))))
    assert found["mp4:ilst:----:com.apple.iTunes:prompt"].generator == "ComfyUI"


def test_keyed_metadata_keeps_key_names() -> None:
    aigc = json.dumps({"Label": "1", "ContentProducer": "x"})
    graph = json.dumps({"last_node_id": 3, "nodes": []})
    result = scan(movie(keyed(["AIGC", "workflow", "encoder"], [data(aigc), data(graph), data("Lavf")])))
    found = by_location(result)
    assert found["mp4:mdta:AIGC"].confidence is Confidence.DECLARATION
    assert found["mp4:mdta:workflow"].generator == "ComfyUI"
    assert found["mp4:mdta:encoder"].signal is Signal.INFO


def test_quicktime_meta_without_full_box_header_is_read() -> None:
    # QuickTime writes moov/meta with no version/flags word: a full-box reader misparses it.
    found = by_location(scan(movie(keyed(["prompt", "workflow"],
                                         [data('{"1": {"class_type": "X"}}'), data('{"nodes": [{"id": 1}]}')],
                                         qt_style=True))))
    assert found["mp4:mdta:prompt"].generator == "ComfyUI"


def test_key_index_without_a_key_is_not_invented() -> None:
    result = scan(movie(keyed(["encoder"], [data("Lavf"), data("made with suno")])))
    locations = {e.location for e in result.evidence}
    assert "mp4:mdta:encoder" in locations
    assert "mp4:mdta:#2" not in locations  # no rule for an anonymous key, but no crash either


def classic(text: bytes, language: int = 0x55C4) -> bytes:
    return struct.pack(">HH", len(text), language) + text


def test_classic_udta_strings() -> None:
    found = by_location(scan(movie(box(b"udta", box(b"\xa9cmt", classic(b"made with suno; id=7")),
                                       box(b"\xa9day", classic(b"2024"))))))
    assert found["mp4:udta:©cmt"].generator == "Suno"
    assert "mp4:udta:©day" not in found  # a date is no evidence


def test_classic_udta_mac_roman_text() -> None:
    # Language codes below 0x400 mean MacRoman: 0xA5 is a bullet there, not a yen sign.
    found = by_location(scan(movie(box(b"udta", box(b"\xa9too", classic(b"Stable Diffusion \xa5", 0))))))
    assert found["mp4:udta:©too"].value == "Stable Diffusion \u2022"
    assert found["mp4:udta:©too"].generator == "Stable Diffusion"


def test_classic_udta_tool_name() -> None:
    record = struct.pack(">HH", 6, 0) + b"Google"
    found = by_location(scan(movie(box(b"udta", box(b"\xa9too", record)))))
    assert found["mp4:udta:©too"].generator == "Google"
    assert found["mp4:udta:©too"].confidence is Confidence.HEURISTIC


def test_c2pa_uuid_box_is_info_only() -> None:
    result = scan(movie(top=box(b"uuid", C2PA_UUID, b"\0" * 40)))
    found = by_location(result)
    assert found["mp4:uuid:c2pa"].signal is Signal.INFO
    other = scan(movie(top=box(b"uuid", b"\x11" * 16, b"\0" * 40)))
    assert "mp4:uuid:c2pa" not in by_location(other)


def test_binary_data_items_are_skipped() -> None:
    found = by_location(scan(movie(itunes(box(b"\xa9cmt", data("\x00\x01binary", kind=13))))))
    assert "mp4:ilst:©cmt" not in found


def test_nested_moov_is_a_clean_error() -> None:
    nested = b"\0" * 8
    for _ in range(1000):
        nested = box(b"moov", nested)
    with pytest.raises(InputError) as err:
        scan(FTYP + nested)
    assert err.value.code == "bmff-too-deep"


def test_nesting_just_inside_the_limit_is_accepted() -> None:
    nested = b""
    for _ in range(MAX_DEPTH - 1):
        nested = box(b"udta", nested)
    assert scan(FTYP + box(b"moov", nested)).errors == ()


def test_lying_box_size_is_clamped_and_reported() -> None:
    blob = movie(itunes(box(b"\xa9cmt", data("made with suno"))))
    # Make the moov box claim 4 GiB.
    at = blob.index(b"moov") - 4
    lying = blob[:at] + struct.pack(">I", 0xFFFFFFF0) + blob[at + 4 :]
    result = scan(lying)
    assert any(i.code == "bmff-truncated" for i in result.errors)
    assert "mp4:ilst:©cmt" in by_location(result)  # partial evidence survives


def test_64bit_size_claiming_exabytes() -> None:
    blob = FTYP + struct.pack(">I4sQ", 1, b"moov", 2**62) + MVHD
    result = scan(blob)
    assert any(i.code == "bmff-truncated" for i in result.errors)


def test_box_size_below_header_is_reported() -> None:
    result = scan(FTYP + struct.pack(">I4s", 3, b"moov") + b"\0" * 16)
    assert any(i.code == "bmff-malformed" for i in result.errors)


def test_too_many_boxes_is_refused() -> None:
    blob = FTYP + box(b"free") * 100_001
    with pytest.raises(InputError) as err:
        scan(blob)
    assert err.value.code == "bmff-too-many-boxes"


@pytest.mark.parametrize("cut", [4, 9, 30, 60, -3])
def test_truncated_files_are_reported(cut: int) -> None:
    blob = movie(keyed(["prompt"], [data("{}")]))
    try:
        result = scan(blob[:cut], "video/mp4")
    except InputError:
        return
    assert result.errors


def test_empty_file() -> None:
    assert scan(b"", "video/mp4") == ScannerResult()


def test_magic_only_file() -> None:
    assert scan(FTYP).evidence == ()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_after_ftyp_never_crash(tail: bytes) -> None:
    # Property: hostile input yields evidence, issues or an InputError, never another exception.
    try:
        result = scan(FTYP + tail, "video/mp4")
    except InputError:
        return
    assert isinstance(result, ScannerResult)
