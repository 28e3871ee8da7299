"""A synthetic delivery of N files for the benchmark.

Each kind of file is built once as a template in memory and then written as
many times as the mix asks for, so building 200,000 files takes a minute and
not an hour. Files are small on purpose: the benchmark measures per-file
overhead (open, header walk, cache), which is what dominates a scan of
hundreds of thousands of frames; bandwidth is a property of the storage.

Mix (fractions of N): EXR sequences 50 %, PNG render sequences 20 %, PNG
stills 8 %, JPEG stills 12 %, WAV 4 %, MP3 3 %, MP4 3 %, and a few C2PA-signed
JPEG/PNG stills (0.25 %, at least 4). One EXR sequence in ten and one PNG
sequence in five carry generator metadata, as do half the stills.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

MIX = (
    ("exr_seq", 0.50),
    ("png_seq", 0.20),
    ("png_still", 0.08),
    ("jpeg_still", 0.12),
    ("wav", 0.04),
    ("mp3", 0.03),
    ("mp4", 0.03),
)
EXR_SEQ_FRAMES = 200
PNG_SEQ_FRAMES = 100
A1111 = ("a photo of a lighthouse at dusk\nNegative prompt: blurry\n"
         "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 640x360, Model: sdxl")
COMFY_PROMPT = '{"3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 20}}}'
XMP_AI = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
    '<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia'
    '</Iptc4xmpExt:DigitalSourceType></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


@dataclass(frozen=True)
class Templates:
    exr_plain: bytes
    exr_ai: bytes
    png_frame: bytes
    png_frame_ai: bytes
    png_still: bytes
    png_still_ai: bytes
    jpeg_camera: bytes
    jpeg_xmp_ai: bytes
    jpeg_plain: bytes
    wav_plain: bytes
    wav_ai: bytes
    mp3: bytes
    mp4: bytes
    c2pa_files: tuple[tuple[str, bytes], ...]  # (extension, signed bytes)


# --- EXR: header attributes by hand, uncompressed half RGBA scanlines -------

def _attr(name: str, kind: str, value: bytes) -> bytes:
    return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(value)) + value


def exr_file(width: int, height: int, extra: dict[str, str]) -> bytes:
    channels = b"".join(c.encode() + b"\0" + struct.pack("<iBBBBii", 1, 0, 0, 0, 0, 1, 1) for c in "ABGR") + b"\0"
    box = struct.pack("<iiii", 0, 0, width - 1, height - 1)
    header = b"".join([
        _attr("channels", "chlist", channels),
        _attr("compression", "compression", b"\0"),
        _attr("dataWindow", "box2i", box),
        _attr("displayWindow", "box2i", box),
        _attr("lineOrder", "lineOrder", b"\0"),
        _attr("pixelAspectRatio", "float", struct.pack("<f", 1.0)),
        _attr("screenWindowCenter", "v2f", struct.pack("<ff", 0, 0)),
        _attr("screenWindowWidth", "float", struct.pack("<f", 1.0)),
        *(_attr(k, "string", v.encode()) for k, v in extra.items()),
    ]) + b"\0"
    line = width * 4 * 2  # four half channels
    start = 8 + len(header) + 8 * height
    offsets = b"".join(struct.pack("<Q", start + y * (8 + line)) for y in range(height))
    chunks = b"".join(struct.pack("<ii", y, line) + bytes(line) for y in range(height))
    return b"v/1\x01" + struct.pack("<I", 2) + header + offsets + chunks


# --- PNG / JPEG via Pillow ----------------------------------------------------

def png_file(width: int, height: int, text: dict[str, str]) -> bytes:
    from PIL import Image, PngImagePlugin

    row = bytes((x * 255 // max(1, width - 1)) for x in range(width))
    gray = Image.frombytes("L", (width, height), row * height)
    image = Image.merge("RGBA", (gray, gray.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gray, Image.new("L", gray.size, 255)))
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, compress_level=6)
    return out.getvalue()


def jpeg_file(exif_tags: dict[int, str] | None = None, xmp: str | None = None) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (320, 180), (90, 120, 150))
    exif = Image.Exif()
    for tag, value in (exif_tags or {}).items():
        exif[tag] = value
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes() if exif_tags else b"")
    data = out.getvalue()
    if xmp:
        payload = b"http://ns.adobe.com/xap/1.0/\0" + xmp.encode("utf-8")
        segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
        data = data[:2] + segment + data[2:]
    return data


# --- Audio and video containers -----------------------------------------------

def _chunk(cid: bytes, body: bytes) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


def wav_file(software: str | None) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    body = b"WAVE" + _chunk(b"fmt ", fmt) + _chunk(b"data", bytes(16000))
    if software:
        body += _chunk(b"LIST", b"INFO" + _chunk(b"ISFT", software.encode() + b"\0"))
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp3_file() -> bytes:
    from mutagen.id3 import ID3, TIT2, TSSE

    tag = ID3()
    tag.add(TIT2(encoding=3, text="temp score"))
    tag.add(TSSE(encoding=3, text="Lavf60.3.100"))
    out = io.BytesIO()
    tag.save(out, v2_version=3)
    frame = b"\xff\xfb\x90\x64" + bytes(413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    return out.getvalue() + frame * 40


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4_file() -> bytes:
    mvhd = _box(b"mvhd", bytes(4) + bytes(8) + struct.pack(">II", 1000, 2000) + bytes(80))
    udta = _box(b"udta", _box(b"\xa9nam", struct.pack(">HH", 6, 0) + b"temp 1"))
    return (_box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
            + _box(b"moov", mvhd + udta) + _box(b"mdat", bytes(32000)))


# --- C2PA: sign two stills with a throwaway identity --------------------------

def signed_files() -> tuple[tuple[str, bytes], ...]:
    from provenance.tagging.c2pa_signing import build_manifest, sign_asset
    from provenance.tagging.identity import create_identity

    out = []
    with tempfile.TemporaryDirectory(prefix="provenance-bench-") as tmp:
        identity = create_identity(os.path.join(tmp, "id"), "Bench Vendor")
        manifest = build_manifest("trainedAlgorithmicMedia", "Bench Generator", "1.0")
        for ext, mime, data in (("jpg", "image/jpeg", jpeg_file()), ("png", "image/png", png_file(320, 180, {}))):
            src, dst = os.path.join(tmp, f"src.{ext}"), os.path.join(tmp, f"dst.{ext}")
            with open(src, "wb") as fh:
                fh.write(data)
            sign_asset(src, dst, identity=identity, manifest_definition=manifest, mime=mime,
                       embed=True, parent_manifest=False)
            with open(dst, "rb") as fh:
                out.append((ext, fh.read()))
    return tuple(out)


def templates() -> Templates:
    return Templates(
        exr_plain=exr_file(64, 32, {"software": "Nuke 14.0v5", "nuke/version": "14.0v5"}),
        exr_ai=exr_file(64, 32, {"software": "ComfyUI"}),
        png_frame=png_file(640, 360, {"Software": "Nuke"}),
        png_frame_ai=png_file(640, 360, {"prompt": COMFY_PROMPT}),
        png_still=png_file(320, 180, {}),
        png_still_ai=png_file(320, 180, {"parameters": A1111}),
        jpeg_camera=jpeg_file({0x010F: "Canon", 0x0110: "Canon EOS R5"}),
        jpeg_xmp_ai=jpeg_file(xmp=XMP_AI),
        jpeg_plain=jpeg_file(),
        wav_plain=wav_file(None),
        wav_ai=wav_file("Suno v4"),
        mp3=mp3_file(),
        mp4=mp4_file(),
        c2pa_files=signed_files(),
    )


def plan(n: int, t: Templates) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) for exactly ``n`` files, the same list for the same ``n``."""
    n_c2pa = max(4, n // 400)
    rest = n - n_c2pa
    counts = {kind: int(rest * share) for kind, share in MIX}
    counts["exr_seq"] += rest - sum(counts.values())

    yield from _sequences(counts["exr_seq"], EXR_SEQ_FRAMES, "shots/sh{:04d}/comp/sh{:04d}_comp.{:04d}.exr",
                          lambda s: t.exr_ai if s % 10 == 3 else t.exr_plain)
    yield from _sequences(counts["png_seq"], PNG_SEQ_FRAMES, "renders/r{:04d}/beauty/r{:04d}_beauty.{:04d}.png",
                          lambda s: t.png_frame_ai if s % 5 == 2 else t.png_frame)
    for i in range(counts["png_still"]):
        yield f"stills/png/{i // 1000:03d}/still_{i:06d}.png", t.png_still_ai if i % 2 else t.png_still
    jpegs = (t.jpeg_camera, t.jpeg_plain, t.jpeg_xmp_ai, t.jpeg_camera)
    for i in range(counts["jpeg_still"]):
        yield f"stills/jpg/{i // 1000:03d}/photo_{i:06d}.jpg", jpegs[i % 4]
    for i in range(counts["wav"]):
        yield f"audio/wav/{i // 1000:03d}/cue_{i:06d}.wav", t.wav_ai if i % 4 == 0 else t.wav_plain
    for i in range(counts["mp3"]):
        yield f"audio/mp3/{i // 1000:03d}/temp_{i:06d}.mp3", t.mp3
    for i in range(counts["mp4"]):
        yield f"video/{i // 1000:03d}/ref_{i:06d}.mp4", t.mp4
    for i in range(n_c2pa):
        ext, data = t.c2pa_files[i % len(t.c2pa_files)]
        yield f"c2pa/signed_{i:05d}.{ext}", data


def _sequences(total: int, per_seq: int, pattern: str, pick) -> Iterator[tuple[str, bytes]]:  # type: ignore[no-untyped-def]
    seq = 0
    while total > 0:
        frames = min(per_seq, total)
        data = pick(seq)
        for f in range(frames):
            yield pattern.format(seq, seq, 1001 + f), data
        total -= frames
        seq += 1


def build_tree(root: str, n: int) -> dict[str, int]:
    """Write the delivery under ``root`` (must not exist yet); returns bytes written per kind."""
    os.makedirs(root)
    t = templates()
    made: set[str] = set()
    written: dict[str, int] = {}
    for rel, data in plan(n, t):
        path = os.path.join(root, rel)
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        with open(path, "wb") as fh:
            fh.write(data)
        kind = rel.rsplit(".", 1)[-1]
        written[kind] = written.get(kind, 0) + len(data)
    return written

