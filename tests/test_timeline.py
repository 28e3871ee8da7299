"""Timeline readers, clip resolution and frame mapping (provenance/timeline/).

Timelines are built with the OTIO API or written by hand following each
format's specification; ``tests/data/timeline/premiere_example.edl`` is a real
Adobe Premiere export from OpenTimelineIO's test data (Apache-2.0, see the
README beside it).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest

if os.environ.get("CI") == "true":  # the project's rule (tests/external.py): in CI a missing extra fails
    import opentimelineio  # noqa: F401
else:
    pytest.importorskip("opentimelineio", reason="the timeline extra (opentimelineio) is not installed")

import opentimelineio as otio  # noqa: E402

from provenance.timeline import AssetIndex, IndexedAsset, TimelineError, load_cut, map_frames, resolve  # noqa: E402
from provenance.timeline.cut import flatten  # noqa: E402
from provenance.timeline.timecode import TimecodeError, frames_to_tc, parse_rate, tc_to_frames  # noqa: E402

from .timeline_builders import edl, file_clip, need_adapter, seq_clip, timeline, tr, write_otio  # noqa: E402

DATA = Path(__file__).parent / "data" / "timeline"
SEQ = IndexedAsset("", "shots/sh010_comp.####.png", "sequence", tuple(range(1001, 1301)))


def cut_of(tl):
    return flatten(tl, "cut.otio", "0" * 64)


# -- rates and timecode --------------------------------------------------------------------------

def test_ntsc_rates_are_exact_rationals():
    assert parse_rate("23.976") == Fraction(24000, 1001)
    assert parse_rate("29.97") == Fraction(30000, 1001)
    assert parse_rate("59.94") == Fraction(60000, 1001)
    assert parse_rate("30000/1001") == Fraction(30000, 1001)
    assert parse_rate(29.97002997) == Fraction(30000, 1001)  # OTIO's float spelling of the same rate
    assert parse_rate("25") == 25
    with pytest.raises(TimecodeError, match="not a number"):
        parse_rate("fast")


def test_drop_frame_timecode_matches_opentimelineio_over_a_day():
    for rate, nominal in ((Fraction(30000, 1001), 30), (Fraction(60000, 1001), 60)):
        for frame in range(0, 24 * 3600 * nominal, 9973):
            text = frames_to_tc(frame, rate, drop=True)
            assert text == otio.opentime.to_timecode(otio.opentime.RationalTime(frame, float(rate)), float(rate), True)
            assert tc_to_frames(text, rate) == frame
    assert tc_to_frames("01:00:00;00", Fraction(30000, 1001)) == 107892
    with pytest.raises(TimecodeError, match="does not exist"):
        tc_to_frames("00:01:00;00", Fraction(30000, 1001))  # frames 0 and 1 are skipped at minute 1


# -- EDL -----------------------------------------------------------------------------------------

def test_drop_frame_2997_edl_reads_and_prints_drop_frame(tmp_path: Path):
    path = edl(tmp_path / "df.edl",
               "001  A001C003 V     C        01:00:00;00 01:00:05;00 01:00:00;00 01:00:05;00",
               "* FROM CLIP NAME: plate_a.mov",
               "002  A001C004 V     C        00:10:00;00 00:10:02;00 01:00:05;00 01:00:07;00",
               fcm="DROP FRAME")
    cut = load_cut(path, "29.97")
    assert cut.rate == Fraction(30000, 1001) and cut.drop_frame
    first, second = cut.clips
    assert first.record_in == 107892 and first.reads[0] == 107892
    assert first.record_out - first.record_in == 150  # 5 s of drop-frame timecode at 29.97 is 150 frames
    assert (cut.tc(second.record_in), cut.tc(second.record_out)) == ("01:00:05;00", "01:00:07;00")
    assert second.reads[0] == 17982  # 00:10:00;00
    # The same EDL at 24 fps cannot be drop-frame: a one-line error naming the line, not a traceback.
    with pytest.raises(TimelineError, match=r"df\.edl line 4: .*drop-frame.*--timeline-rate"):
        load_cut(path, "24")


def test_malformed_edl_names_file_and_line(tmp_path: Path):
    path = edl(tmp_path / "bad.edl",
               "001  A001 V     C        01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00",
               "002  A002 V     C        01:00:00:00 01:00:0X:00 01:00:01:00 01:00:02:00")
    with pytest.raises(TimelineError) as err:
        load_cut(path, "24")
    message = str(err.value)
    assert "bad.edl line 5" in message and "source out" in message and "\n" not in message
    with pytest.raises(TimelineError, match=r"line 4: transition 'X'"):
        load_cut(edl(tmp_path / "bad2.edl", "001  A001 V     X  01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00"), "24")


def test_edl_dissolve_counts_the_outgoing_clips_handles(tmp_path: Path):
    # sh010 cuts at record 01:00:00:20 into a 10-frame dissolve to sh020 (source TC = frame number at 24 fps).
    path = edl(tmp_path / "dissolve.edl",
               "001  SH010    V     C        00:00:41:17 00:00:42:13 01:00:00:00 01:00:00:20",
               "* FROM CLIP NAME: sh010_comp.1001.png",
               "002  SH010    V     C        00:00:42:13 00:00:42:13 01:00:00:20 01:00:00:20",
               "002  SH020    V     D    010 00:00:41:17 00:00:42:17 01:00:00:20 01:00:01:20",
               "* FROM CLIP NAME: sh010_comp.1001.png",
               "* TO CLIP NAME: sh020_comp.1001.png")
    cut = load_cut(path, "24")
    out, inc = cut.clips
    assert out.name == "sh010_comp.1001.png" and inc.name == "sh020_comp.1001.png"
    assert out.source_frames == (1001, 1030)  # 20 frames cut + 10 handle frames under the dissolve
    assert (cut.tc(out.record_in), cut.tc(out.record_out)) == ("01:00:00:00", "01:00:01:06")
    assert inc.source_frames == (1001, 1024) and cut.tc(inc.record_in) == "01:00:00:20"
    assert map_frames(out, SEQ).used() == list(range(1001, 1031))


def test_otio_transition_with_in_offset_reads_the_incoming_clips_handles():
    a = seq_clip("a", 1001, 20)
    b = seq_clip("b", 1101, 20)
    transition = otio.schema.Transition(in_offset=tr(0, 4).duration, out_offset=tr(0, 6).duration)
    cut = cut_of(timeline("T", ("V1", [a, transition, b])))
    first, second = cut.clips
    assert map_frames(first, SEQ).used() == list(range(1001, 1027))  # 6 frames past its out
    assert map_frames(second, SEQ).used() == list(range(1097, 1121))  # 4 frames before its in
    assert second.record_in == 86400 + 20 - 4


def test_edl_speed_change_reads_every_second_frame(tmp_path: Path):
    path = edl(tmp_path / "m2.edl",
               "001  SH030    V     C        00:00:41:17 00:00:42:05 01:00:00:00 01:00:00:12",
               "M2   SH030       048.0                00:00:41:17",
               "* FROM CLIP NAME: sh010_comp.1001.png")
    clip = load_cut(path, "24").clips[0]
    assert clip.speed == 2.0
    assert map_frames(clip, SEQ).used() == list(range(1001, 1024, 2))
    assert clip.record_out - clip.record_in == 12


def test_otio_retimes_slow_motion_and_freeze_frame():
    slow = seq_clip("slow", 1040, 10)
    slow.effects.append(otio.schema.LinearTimeWarp(time_scalar=0.5))
    frozen = seq_clip("frozen", 1200, 8)
    frozen.effects.append(otio.schema.FreezeFrame())
    cut = cut_of(timeline("T", ("V1", [slow, frozen])))
    assert map_frames(cut.clips[0], SEQ).per_record == (1040, 1040, 1041, 1041, 1042, 1042, 1043, 1043, 1044, 1044)
    assert map_frames(cut.clips[1], SEQ).used() == [1200]


def test_a_nested_sequence_counts_only_the_part_its_placement_shows():
    inner = otio.schema.Stack(name="nested sh010")
    inner_track = otio.schema.Track(name="N1")
    inner_track.extend([seq_clip("bg", 1001, 50), seq_clip("fg", 1101, 50)])
    inner.append(inner_track)
    inner.source_range = tr(40, 20)  # shows nested frames 40-59: bg 1041-1050, then fg 1101-1110
    cut = cut_of(timeline("T", ("V1", [file_clip("before", None, count=10), inner])))
    bg, fg = [c for c in cut.clips if c.name in ("bg", "fg")]
    assert (bg.record_in, bg.record_out) == (86400 + 10, 86400 + 20) and bg.track == "V1"
    assert map_frames(bg, SEQ).used() == list(range(1041, 1051))
    assert (fg.record_in, fg.record_out) == (86400 + 20, 86400 + 30)
    assert map_frames(fg, SEQ).used() == list(range(1101, 1111))


def test_sequence_used_partly_maps_to_frames_1040_to_1060():
    clip = cut_of(timeline("T", ("V1", [seq_clip("sh010", 1040, 21)]))).clips[0]
    fmap = map_frames(clip, SEQ)
    assert fmap.used() == list(range(1040, 1061)) and fmap.note is None


def test_edl_sequence_source_timecode_is_the_frame_number(tmp_path: Path):
    # 00:00:43:08 at 24 fps is frame 1040; out 00:00:44:05 is frame 1061 (exclusive).
    path = edl(tmp_path / "seq.edl",
               "001  SH010    V     C        00:00:43:08 00:00:44:05 01:00:00:00 01:00:00:21",
               "* FROM CLIP NAME: sh010_comp.1040.png",
               "* SOURCE FILE: /mnt/job/shots/sh010_comp.%04d.png")
    clip = load_cut(path, "24").clips[0]
    res = resolve(clip, AssetIndex([SEQ]))
    assert (res.state, res.rule) == ("resolved", "path")
    assert map_frames(clip, SEQ).used() == list(range(1040, 1061))


def test_real_premiere_edl_reads_and_maps_conservatively():
    cut = load_cut(DATA / "premiere_example.edl", "24")
    assert cut.name == "Premiere_Example.01"
    assert [(c.name, cut.tc(c.record_in), cut.tc(c.record_out)) for c in cut.clips] == [
        ("ZZ100_501.take_1.0001.exr", "00:59:53:11", "00:59:54:18"),
        ("ZZ100_502A.take_2.0101.exr", "00:59:54:18", "00:59:56:20"),
    ]
    seq = IndexedAsset("", "plates/ZZ100_501.take_1.####.exr", "sequence", tuple(range(1, 101)))
    res = resolve(cut.clips[0], AssetIndex([seq]))
    assert (res.state, res.rule) == ("resolved", "clip name")
    # Premiere wrote a source timecode (01:00:04:05) that is no frame of the sequence: the whole
    # sequence then counts as used, with a note; a mapping error must never hide AI frames.
    fmap = map_frames(cut.clips[0], seq)
    assert fmap.whole and "whole sequence" in (fmap.note or "")


# -- other formats -------------------------------------------------------------------------------

FCP7 = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="4">
  <sequence id="sequence-1">
    <name>REEL1_FCP7</name>
    <duration>48</duration>
    <rate><timebase>24</timebase><ntsc>FALSE</ntsc></rate>
    <timecode><rate><timebase>24</timebase><ntsc>FALSE</ntsc></rate>
      <string>01:00:00:00</string><frame>86400</frame><displayformat>NDF</displayformat></timecode>
    <media><video><track>
      <clipitem id="clipitem-1">
        <name>slap</name><duration>240</duration>
        <rate><timebase>24</timebase><ntsc>FALSE</ntsc></rate>
        <start>0</start><end>24</end><in>48</in><out>72</out>
        <file id="file-1"><name>slap.png</name><pathurl>file://localhost/mnt/job/temp/slap.png</pathurl>
          <rate><timebase>24</timebase><ntsc>FALSE</ntsc></rate><duration>240</duration></file>
      </clipitem>
    </track></video></media>
  </sequence>
</xmeml>
"""

FCPX = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.8">
  <resources>
    <format id="r1" name="FFVideoFormat1080p24" frameDuration="100/2400s" width="1920" height="1080"/>
    <asset id="r2" name="slap" uid="A1" src="file:///mnt/job/temp/slap.png" start="0s" duration="240/24s"
           hasVideo="1" format="r1"/>
  </resources>
  <library><event name="Conform"><project name="REEL1_FCPX">
    <sequence duration="48/24s" format="r1" tcStart="86400/24s" tcFormat="NDF">
      <spine>
        <gap name="Gap" offset="86400/24s" duration="24/24s" start="86400/24s"/>
        <asset-clip name="slap" ref="r2" offset="86424/24s" duration="24/24s" start="48/24s" format="r1"/>
      </spine>
    </sequence>
  </project></event></library>
</fcpxml>
"""

SLAP = IndexedAsset("", "temp/slap.png", "file")


def test_fcp7_xml_clip_resolves_by_its_path_url(tmp_path: Path):
    need_adapter("fcp_xml", "otio-fcp-adapter")
    path = tmp_path / "reel1.xml"
    path.write_text(FCP7, encoding="utf-8")
    cut = load_cut(path)
    (clip,) = cut.clips
    assert cut.format == "fcp_xml" and cut.name == "REEL1_FCP7"
    assert (clip.name, cut.tc(clip.record_in), cut.tc(clip.record_out)) == ("slap", "01:00:00:00", "01:00:01:00")
    assert resolve(clip, AssetIndex([SLAP, IndexedAsset("", "other/slap.mov", "file")])).asset == SLAP


def test_fcpx_xml_clip_resolves(tmp_path: Path):
    need_adapter("fcpx_xml", "otio-fcpx-xml-adapter")
    path = tmp_path / "reel1.fcpxml"
    path.write_text(FCPX, encoding="utf-8")
    cut = load_cut(path)
    (clip,) = cut.clips
    assert cut.format == "fcpx_xml"
    assert (cut.tc(clip.record_in), cut.tc(clip.record_out)) == ("01:00:01:00", "01:00:02:00")
    assert resolve(clip, AssetIndex([SLAP])).asset == SLAP


def test_aaf_written_by_the_aaf_plugin_reads_back(tmp_path: Path):
    need_adapter("AAF", "otio-aaf-adapter")
    clip = file_clip("slap", "file:///mnt/job/temp/slap.png", start=48, count=24)
    clip.media_reference.available_range = tr(0, 240)
    tl = timeline("REEL1_AAF", ("V1", [otio.schema.Gap(source_range=tr(0, 12)), clip]))
    path = tmp_path / "reel1.aaf"
    otio.adapters.write_to_file(tl, str(path), use_empty_mob_ids=True)
    cut = load_cut(path)
    assert cut.format == "AAF"
    (read,) = cut.clips
    assert read.record_out - read.record_in == 24 and resolve(read, AssetIndex([SLAP])).asset == SLAP


def test_xml_syntax_error_names_the_line(tmp_path: Path):
    path = tmp_path / "broken.xml"
    path.write_text(FCP7.replace("</clipitem>", "</clipitm>"), encoding="utf-8")
    line = FCP7[:FCP7.index("</clipitem>")].count("\n") + 1
    with pytest.raises(TimelineError, match=rf"broken\.xml line {line}: not well-formed XML"):
        load_cut(path)


def test_otio_json_error_names_the_line(tmp_path: Path):
    path = tmp_path / "broken.otio"
    path.write_text('{\n  "OTIO_SCHEMA": "Timeline.1",\n  "name": \n}\n', encoding="utf-8")
    with pytest.raises(TimelineError, match=r"broken\.otio line 4: not valid OTIO JSON"):
        load_cut(path)


def test_a_missing_adapter_plugin_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # The plug-ins are installed here; hide one the way an install without the extra looks.
    monkeypatch.setattr(otio.adapters, "available_adapter_names", lambda: ["otio_json", "otioz", "otiod"])
    path = tmp_path / "reel1.aaf"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 60)
    with pytest.raises(TimelineError, match=r"otio-aaf-adapter; install the timeline extra: pip install"):
        load_cut(path)


def test_unknown_format_is_a_usage_error(tmp_path: Path):
    path = tmp_path / "cut.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(TimelineError, match="unknown timeline format .txt"):
        load_cut(path)


# -- resolution ----------------------------------------------------------------------------------

def test_two_files_with_one_name_are_ambiguous_unless_the_path_tells_them_apart():
    a = IndexedAsset("", "shots/a/plate.png", "file")
    b = IndexedAsset("", "shots/b/plate.png", "file")
    index = AssetIndex([a, b])
    by_name = cut_of(timeline("T", ("V1", [file_clip("plate.png", None)]))).clips[0]
    res = resolve(by_name, index)
    assert res.state == "ambiguous" and res.candidates == (a, b)
    assert "shots/a/plate.png, shots/b/plate.png" in res.describe()
    by_path = cut_of(timeline("T", ("V1", [file_clip("x", "file:///mnt/job/shots/b/plate.png")]))).clips[0]
    assert resolve(by_path, index).asset == b


def test_matching_rules_order_and_the_reel():
    plate = IndexedAsset("", "plates/A001C003.mov", "file")
    other = IndexedAsset("", "plates/hero.mov", "file")
    index = AssetIndex([plate, other, SEQ])
    tl = timeline("T", ("V1", [file_clip("hero.mov", "file:///x/A001C003.mov"),
                               file_clip("sh010_comp.[1001-1300].png", None)]))
    first, second = cut_of(tl).clips
    assert resolve(first, index).rule == "path" and resolve(first, index).asset == plate  # path before clip name
    assert resolve(second, index).asset == SEQ
    clip = otio.schema.Clip(name="", source_range=tr(0, 5))
    clip.metadata["cmx_3600"] = {"reel": "A001C003"}
    reel = cut_of(timeline("T", ("V1", [clip]))).clips[0]
    assert (resolve(reel, index).rule, resolve(reel, index).asset) == ("reel", plate)


def test_a_clip_with_no_media_is_unresolved():
    clip = cut_of(timeline("T", ("V1", [file_clip("", None)]))).clips[0]
    res = resolve(clip, AssetIndex([SEQ]))
    assert res.state == "unresolved" and res.asset is None


def test_an_aaf_keeps_its_atime_when_read(tmp_path: Path):
    """pyaaf2 opens the path it is given: it gets a private copy, never the delivery's file."""
    from tests.atime import age, skip_unless_reads_move_atime

    need_adapter("AAF", "otio-aaf-adapter")
    clip = file_clip("slap", "file:///mnt/job/temp/slap.png", start=48, count=24)
    clip.media_reference.available_range = tr(0, 240)
    path = tmp_path / "reel1.aaf"
    otio.adapters.write_to_file(timeline("REEL1_AAF", ("V1", [clip])), str(path), use_empty_mob_ids=True)
    old = age(path)
    skip_unless_reads_move_atime(tmp_path)
    assert len(load_cut(path).clips) == 1
    assert path.stat().st_atime_ns == old
