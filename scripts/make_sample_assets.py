"""Build the demo delivery in ``sample_assets/``: deterministic apart from the C2PA signatures.

    python scripts/make_sample_assets.py [OUT]        (default: sample_assets)

A small, realistic vendor delivery: stills that exercise every image scanner,
a 24-frame EXR shot with five generated frames tagged by the vendor (C2PA
sidecars + package manifest), audio stems, a movie file, reference and temp
folders, and the approvals ledger and policy that the audit checks them
against. The approvals are chosen so that `provenance audit sample_assets`
shows every status a producer meets: approved, unapproved, expired, stale,
revoked, out-of-scope and clean. The vendor identity's private key is made in
a temporary folder and thrown away; only its trust anchor is kept.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import shutil
import struct
import sys
import tempfile
import wave
from pathlib import Path

import piexif
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TXXX, WOAS
from PIL import Image, PngImagePlugin

from provenance.tagging.identity import create_identity
from provenance.ledger import open_ledger
from provenance.tagging import TagJob, TagOptions, make_declaration, tag_files
from provenance.tagging.spec import C2paMode

APPROVALS = "_approvals"
EDITORIAL = "_editorial"
FIXED_CLOCK = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)
COMFY_PROMPT = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 20, "cfg": 7.0}},
                           "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl.safetensors"}}})
COMFY_WORKFLOW = json.dumps({"last_node_id": 4, "nodes": [{"id": 3, "type": "KSampler"}], "links": []})
INFOTEXT = ("neon street sign, rain, night\nNegative prompt: blurry\n"
            "Steps: 24, Sampler: DPM++ 2M Karras, CFG scale: 6, Seed: 1234, Size: 64x48, Model hash: 31e35c80fc")
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _pixels(size: tuple[int, int], seed: int, mode: str = "RGB") -> Image.Image:
    img = Image.new(mode, size)
    img.putdata([((x * 7 + seed) % 256, (y * 5 + seed) % 256, (x * y + seed) % 256, 255)[: len(mode)]
                 for y in range(size[1]) for x in range(size[0])])
    return img


def _png(path: Path, text: dict[str, str], seed: int) -> None:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    _pixels((64, 48), seed).save(path, pnginfo=info)


def _xmp(fields: str) -> bytes:
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
            f'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" {fields}/></rdf:RDF></x:xmpmeta>'
            '<?xpacket end="w"?>').encode()


def _camera_exif() -> bytes:
    return piexif.dump({"0th": {piexif.ImageIFD.Make: b"ARRI", piexif.ImageIFD.Model: b"ALEXA Mini LF",
                                piexif.ImageIFD.Software: b"ARRI Reference Tool 1.2"},
                        "Exif": {piexif.ExifIFD.DateTimeOriginal: b"2026:10:14 17:02:11"}})


def _jpeg(path: Path, seed: int, exif: bytes | None = None, xmp: bytes | None = None) -> None:
    buf = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    _pixels((64, 48), seed).save(buf, "JPEG", quality=85, **kwargs)
    data = buf.getvalue()
    if xmp:
        header = b"http://ns.adobe.com/xap/1.0/\x00"
        segment = b"\xff\xe1" + struct.pack(">H", len(header) + len(xmp) + 2) + header + xmp
        data = data[:2] + segment + data[2:]
    path.write_bytes(data)


def _stealth_png(path: Path, payload: str, seed: int) -> None:
    """A1111 'stealth' infotext in the alpha channel's low bits, column-major."""
    import gzip

    body = gzip.compress(payload.encode(), mtime=0)
    bits = "".join(f"{b:08b}" for b in b"stealth_pngcomp") + f"{len(body) * 8:032b}" + "".join(f"{b:08b}" for b in body)
    width, height = 64, 48
    if len(bits) > width * height:
        raise ValueError("payload too large for the demo image")
    img = _pixels((width, height), seed, "RGBA")
    px = img.load()
    for i, bit in enumerate(bits):
        x, y = divmod(i, height)
        r, g, b, a = px[x, y]
        px[x, y] = (r, g, b, (a & 0xFE) | int(bit))
    img.save(path)


def _exr(path: Path, frame: int) -> None:
    """A 4x2 uncompressed scanline OpenEXR frame with one HALF channel, as a comp would write."""
    def attr(name: str, kind: str, value: bytes) -> bytes:
        return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(value)) + value

    width, height = 4, 2
    window = struct.pack("<iiii", 0, 0, width - 1, height - 1)
    header = (b"v/1\x01" + struct.pack("<i", 2)
              + attr("channels", "chlist", b"Y\0" + struct.pack("<iB3xii", 1, 0, 1, 1) + b"\0")
              + attr("compression", "compression", b"\0")
              + attr("dataWindow", "box2i", window) + attr("displayWindow", "box2i", window)
              + attr("lineOrder", "lineOrder", b"\0")
              + attr("pixelAspectRatio", "float", struct.pack("<f", 1.0))
              + attr("screenWindowCenter", "v2f", struct.pack("<ff", 0, 0))
              + attr("screenWindowWidth", "float", struct.pack("<f", 1.0))
              + attr("software", "string", b"Nuke 15.1v3")
              + attr("nuke/version", "string", b"15.1v3")
              + attr("capDate", "string", b"2026:11:01 12:00:00")
              + b"\0")
    table_at = len(header)
    first_block = table_at + 8 * height
    row = struct.pack("<" + "e" * width, *[(frame % 24) / 24.0] * width)
    blocks = b"".join(struct.pack("<ii", y, len(row)) + row for y in range(height))
    table = b"".join(struct.pack("<Q", first_block + y * (8 + len(row))) for y in range(height))
    path.write_bytes(header + table + blocks)


def _wav(path: Path, seconds: float = 0.25) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(b"".join(struct.pack("<h", (i * 37) % 2000 - 1000) for i in range(int(48000 * seconds))))
    return buf.getvalue()


def _bwf(path: Path) -> None:
    """A dialogue stem with a BWF `bext` chunk, as a location recorder writes it."""
    data = _wav(path)
    bext = (b"Scene 12 take 3 boom".ljust(256, b"\0") + b"Sound Devices 888".ljust(32, b"\0")
            + b"SD888-0042".ljust(32, b"\0") + b"2026-10-14" + b"17:02:11" + b"\0" * 8 + struct.pack("<H", 1)
            + b"\0" * 254 + b"A=PCM,F=48000,W=16,M=mono\r\n")
    chunk = b"bext" + struct.pack("<I", len(bext)) + bext + (b"\0" if len(bext) % 2 else b"")
    body = data[12:] + chunk
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)


def _mp3(path: Path) -> None:
    # One silent MPEG-1 layer III frame header repeated: enough for mutagen and the scanners.
    frame = b"\xff\xfb\x90\x64" + b"\0" * 413
    path.write_bytes(frame * 8)
    tags = ID3()
    tags.add(TXXX(encoding=3, desc="comment", text=["made with suno; created=2026-10-30T11:02:00Z; id=4f855e28-2b4c-4f0e-9d7a-1c5b9b6f0e11"]))
    tags.add(WOAS(url="https://suno.com/song/4f855e28-2b4c-4f0e-9d7a-1c5b9b6f0e11"))
    tags.save(path)


def _flac(path: Path, tmp: Path) -> None:
    """A FLAC stem as ComfyUI's SaveAudio writes it: PROMPT/WORKFLOW Vorbis comments."""
    import subprocess

    src = tmp / "stem.wav"
    src.write_bytes(_wav(src))
    # Pillow/mutagen cannot encode FLAC; build a minimal valid stream by hand: STREAMINFO + one verbatim frame
    # is involved, so instead ship a FLAC container with STREAMINFO only (mutagen reads tags without audio).
    streaminfo = struct.pack(">HH", 4096, 4096) + b"\0\0\0" + b"\0\0\0" + \
        ((48000 << 44) | (0 << 41) | (15 << 36) | 0).to_bytes(8, "big") + b"\0" * 16
    path.write_bytes(b"fLaC" + bytes([0x80]) + len(streaminfo).to_bytes(3, "big") + streaminfo)
    audio = FLAC(path)
    audio["PROMPT"] = COMFY_PROMPT
    audio["WORKFLOW"] = COMFY_WORKFLOW
    audio.save()
    del subprocess


def _mp4(path: Path) -> None:
    """A movie with QuickTime keyed metadata (`mdta`) as ComfyUI's SaveVideo writes it."""
    def box(kind: bytes, *payload: bytes) -> bytes:
        body = b"".join(payload)
        return struct.pack(">I", 8 + len(body)) + kind + body

    def full(kind: bytes, *payload: bytes) -> bytes:
        return box(kind, b"\0\0\0\0", *payload)

    keys = ["prompt", "workflow", "encoder"]
    values = [COMFY_PROMPT, COMFY_WORKFLOW, "Lavf61.7.100"]
    keys_box = full(b"keys", struct.pack(">I", len(keys)),
                    *[struct.pack(">I", 8 + len(k)) + b"mdta" + k.encode() for k in keys])
    items = b"".join(box(struct.pack(">I", i + 1), box(b"data", struct.pack(">II", 1, 0), v.encode()))
                     for i, v in enumerate(values))
    hdlr = full(b"hdlr", b"\0\0\0\0", b"mdta", b"\0" * 12, b"\0")
    mvhd = full(b"mvhd", struct.pack(">IIII", 0, 0, 1000, 2000), struct.pack(">IH", 0x00010000, 0x0100),
                b"\0" * 10, struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000),
                b"\0" * 24, struct.pack(">I", 2))
    moov = box(b"moov", mvhd, box(b"meta", hdlr, keys_box, box(b"ilst", items)))
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2mp41")
    path.write_bytes(ftyp + moov + box(b"mdat", b"\0" * 64))


def build(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    stills, shot, audio, movie = (out / "final" / d for d in ("stills", "vfx/sh010", "audio", "movie"))
    for folder in (stills, shot, audio, movie, out / "reference", out / "temp", out / APPROVALS):
        folder.mkdir(parents=True)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # --- final stills: one per image evidence source --------------------------------------
        _png(stills / "keyart_character_v002.png", {"prompt": COMFY_PROMPT, "workflow": COMFY_WORKFLOW}, 1)
        _jpeg(stills / "poster_alt_v001.jpg", 2, exif=piexif.dump({"Exif": {
            piexif.ExifIFD.UserComment: b"UNICODE\0" + INFOTEXT.encode("utf-16-be")}}))
        _stealth_png(stills / "matte_sky_v004.png", INFOTEXT.replace("neon street sign", "storm sky"), 3)
        _jpeg(stills / "camera_plate_a001.jpg", 4, exif=_camera_exif())
        # The sign insert was approved at v1; the vendor then re-rendered it (v1 hash kept for the approval).
        first_cut = tmp / "sign_insert.jpg"
        insert_xmp = _xmp(f'Iptc4xmpExt:DigitalSourceType="{IPTC}compositeWithTrainedAlgorithmicMedia" '
                          'Iptc4xmpExt:AISystemUsed="Adobe Firefly Image 4"')
        _jpeg(first_cut, 5, exif=_camera_exif(), xmp=insert_xmp)
        _jpeg(stills / "sign_insert_v002.jpg", 6, exif=_camera_exif(), xmp=insert_xmp)
        _png(stills / "crowd_fill_v001.png", {"parameters": INFOTEXT.replace("neon street sign", "crowd")}, 7)
        # A vendor plate, tagged on export with a signed C2PA manifest (the real vendor flow).
        _pixels((64, 48), 8).save(stills / "bg_plate_vendor_v001.png")

        # --- final VFX shot: 24 frames; the vendor generated frames 1010-1014 ------------------
        for frame in range(1001, 1025):
            _exr(shot / f"sh010_comp_v003.{frame}.exr", frame)

        # --- audio and movie ------------------------------------------------------------------
        _mp3(audio / "score_cue_12_suno.mp3")
        _bwf(audio / "dialogue_sc12_t3.wav")
        _flac(audio / "music_bed_v001.flac", tmp)
        _mp4(movie / "teaser_previz_v001.mp4")

        # --- reference and temp: disclosed, not blocked ---------------------------------------
        _png(out / "reference" / "moodboard_city.png", {}, 9)
        mj = _xmp(f'Iptc4xmpExt:DigitalSourceType="https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"')
        _jpeg(out / "reference" / "moodboard_city_mj.jpg", 10, xmp=mj)
        _png(out / "temp" / "slapcomp_sh010.png", {"parameters": INFOTEXT}, 11)

        # --- vendor export: identity, tagging (C2PA embedded / sidecars + package manifest) -----
        identity = create_identity(tmp / "vendor", "Northlight VFX (demo)")
        shutil.copy(tmp / "vendor" / "trust-anchor.pem", out / APPROVALS / "vendor-trust-anchor.pem")
        generated = make_declaration("trainedAlgorithmicMedia", "VendorGen 2.1", approval="DEMO-GAI-0003",
                                     prompt_info="overcast city skyline, late afternoon")
        jobs = [TagJob(stills / "bg_plate_vendor_v001.png", generated)]
        frames = make_declaration("compositeWithTrainedAlgorithmicMedia", "VendorGen 2.1", approval="DEMO-GAI-0002",
                                  prompt_info="sky replacement")
        jobs += [TagJob(shot / f"sh010_comp_v003.{f}.exr", frames) for f in range(1010, 1015)]
        report = tag_files(jobs, TagOptions(identity=identity, c2pa=C2paMode.AUTO,
                                            manifest=out / "provenance-manifest.json"))
        failed = [o for o in report.outcomes if o.status == "failed"]
        if failed or report.manifest_error:
            raise SystemExit(f"tagging failed: {failed or report.manifest_error}")

        _ledger(out, first_cut)
    _policy(out)
    _conform(out)


def _policy(out: Path) -> None:
    """Only what differs from the built-in policy: where this delivery keeps its approvals and the vendor's anchor."""
    text = f"""# provenance audit policy for the demo delivery.
#
# Only what differs from the built-in default is written here; every other
# setting keeps its default. `provenance policy show sample_assets` lists the
# policy in effect and where each value came from; `provenance policy init`
# writes the whole documented default to start from.

schema = 1

[paths]
# Not part of the delivery: the approvals and the conform timeline that travel with the demo.
ignore = ["{APPROVALS}/**", "{EDITORIAL}/**"]

[c2pa]
trust_anchors = ["{APPROVALS}/vendor-trust-anchor.pem"]

# The demo carries its ledger; a studio points this (or --ledger) at its own.
[ledger]
path = "{APPROVALS}/ledger.db"
"""
    (out / "provenance.toml").write_text(text, encoding="utf-8")


# The conform EDL of reel 1 (CMX 3600, 24 fps): which delivered media the cut uses, and where.
# Source timecode of the EXR sequence is its frame number (00:00:41:21 is frame 1005).
CONFORM_EDL = """TITLE: EP101_REEL1_CONFORM
FCM: NON-DROP FRAME

001  A001C003 V     C        00:00:00:00 00:00:02:00 01:00:00:00 01:00:02:00
* FROM CLIP NAME: camera_plate_a001.jpg
* SOURCE FILE: /mnt/ep101/final/stills/camera_plate_a001.jpg
002  SH010    V     C        00:00:41:21 00:00:42:13 01:00:02:00 01:00:02:16
* FROM CLIP NAME: sh010_comp_v003.1005.exr
* SOURCE FILE: /mnt/ep101/final/vfx/sh010/sh010_comp_v003.%04d.exr
003  SLAPCOMP V     C        00:00:00:00 00:00:01:00 01:00:02:16 01:00:03:16
* FROM CLIP NAME: slapcomp_sh010.png
004  KEYART   V     C        00:00:00:00 00:00:02:00 01:00:03:16 01:00:05:16
* FROM CLIP NAME: keyart_character_v002.png
005  KEYART   V     C        00:00:02:00 00:00:02:00 01:00:05:16 01:00:05:16
005  MATTE    V     D    012 00:00:00:00 00:00:02:00 01:00:05:16 01:00:07:16
* FROM CLIP NAME: keyart_character_v002.png
* TO CLIP NAME: matte_sky_v004.png
006  A003C012 V     C        14:22:10:00 14:22:11:00 01:00:07:16 01:00:08:16
* FROM CLIP NAME: A003C012_231104_R2XK.mov
007  SCORE    A     C        00:00:00:00 00:00:08:16 01:00:00:00 01:00:08:16
* FROM CLIP NAME: score_cue_12_suno.mp3
"""


def _conform(out: Path) -> None:
    (out / EDITORIAL).mkdir(parents=True, exist_ok=True)
    (out / EDITORIAL / "ep101_reel1_conform.edl").write_text(CONFORM_EDL, encoding="utf-8")


def _ledger(out: Path, first_cut: Path) -> None:
    """The approvals the studio granted, as ledger events with a fixed clock."""
    old_hash = hashlib.sha256(first_cut.read_bytes()).hexdigest()
    poster_hash = hashlib.sha256((out / "final/stills/poster_alt_v001.jpg").read_bytes()).hexdigest()
    common = {"approver": "Dana Whitfield", "role": "VP Post Production", "org": "Studio (demo)",
              "title": "Harbour Lights S1", "approved_on": "2026-10-20"}
    ledger = open_ledger(out / APPROVALS / "ledger.db", create=True, clock=lambda: FIXED_CLOCK)
    with ledger:
        ledger.init()
        ledger.add("DEMO-GAI-0001", sha256=poster_hash, categories=["final-deliverable"], actor="demo", **common)
        ledger.add("DEMO-GAI-0002", path="final/vfx/sh010/sh010_comp_v003.####.exr",
                   categories=["final-deliverable", "on-screen-element"], actor="demo",
                   conditions="sky only; no identifiable landmarks", **common)
        ledger.add("DEMO-GAI-0003", path="final/stills/bg_plate_vendor_v001.png",
                   categories=["final-deliverable"], actor="demo", **common)
        ledger.add("DEMO-GAI-0004", path="final/stills/sign_insert_v002.jpg", sha256=old_hash,
                   categories=["final-deliverable", "third-party-ip"], actor="demo",
                   conditions="approved on the v1 render", **common)
        ledger.add("DEMO-GAI-0005", path="final/stills/matte_sky_v004.png", categories=["final-deliverable"],
                   actor="demo", **{**common, "approved_on": "2025-03-01"}, valid_until="2025-09-30")
        ledger.add("DEMO-GAI-0006", path="final/audio/music_bed_v001.flac", categories=["final-deliverable"],
                   use="temporary", actor="demo", conditions="temp score for the director's cut only", **common)
        ledger.add("DEMO-GAI-0007", path="final/stills/crowd_fill_v001.png",
                   categories=["final-deliverable", "talent-likeness"], actor="demo", **common)
        ledger.revoke("DEMO-GAI-0007", "background performers did not consent", actor="demo")
        ledger.add("DEMO-GAI-0008", path="final/vfx/sh020/**", categories=["final-deliverable"], actor="demo",
                   conditions="shot omitted from this delivery", **common)
        # Readers open the ledger read-only; a rollback journal needs no -shm/-wal files beside it.
        ledger.db.execute("PRAGMA journal_mode=DELETE")


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="make_sample_assets.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", metavar="OUT", nargs="?", default="sample_assets",
                        help="folder to build the demo delivery in (default: sample_assets)")
    args = parser.parse_args(argv)  # --help prints usage and exits; it never becomes a folder name
    build(Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
