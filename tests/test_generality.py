"""Generality: realistic variants of what real generators, cameras and tools write.

The public corpus holds one or two files per tool; a delivery holds every
variant a tool's versions, forks and export paths produce. Each row below
builds one such variant in a temporary folder with the libraries real tools
use (Pillow, piexif, mutagen, c2pa) following the tool's documented layout
(see the reference notes, SIGNATURES.md), scans it end to end and checks the
verdict class. Negatives matter as much: camera, editor, renderer and DAW
files, and human works whose title or credit merely names an AI product,
must never come out as AI.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import uuid
from collections.abc import Callable
from pathlib import Path

import piexif
import piexif.helper
import pytest
from mutagen.id3 import COMM, GEOB, TALB, TIT2, TPE1, TSSE, TXXX, WOAS
from mutagen.mp4 import MP4
from PIL import Image, PngImagePlugin

from provenance.tagging.c2pa_signing import sign_asset
from provenance.tagging.identity import create_identity
from provenance.models import C2paState, VerdictKind
from provenance.scan import scan_path
from provenance.source import ScanOptions
from provenance.knowledge.verdict import decide
from provenance.scanners import default_registry
from provenance.scanners._c2pa_lineage import store_evidence

from .scanners.test_exr import exr, string
from .scanners.test_id3 import MP3_FRAME
from .scanners.test_mp4 import box, data, itunes, keyed, movie
from .scanners.test_riff import bext, chunk, info_list, with_chunks
from .scanners.test_stealth import embed
from .builders import pcm_wav

GEN, MOD, NOT = "ai-generated", "ai-modified", "not-ai"
REGISTRY = default_registry()
UUID = "d95be554-1f0c-4b4a-9a0f-3f4c8d7e2a11"
INFOTEXT = ("masterpiece, a lighthouse at dusk\nNegative prompt: lowres, blurry\n"
            "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567890, Size: 832x1216, "
            "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.10.1")
COMFY_PROMPT = json.dumps({"3": {"inputs": {"seed": 42, "steps": 20, "cfg": 8, "sampler_name": "euler",
                                            "model": ["4", 0]}, "class_type": "KSampler"},
                           "4": {"inputs": {"ckpt_name": "flux1-dev.safetensors"},
                                 "class_type": "CheckpointLoaderSimple"}})
COMFY_WORKFLOW = json.dumps({"id": str(uuid.UUID(int=7)), "revision": 0, "last_node_id": 9, "last_link_id": 9,
                             "nodes": [{"id": 3, "type": "KSampler", "pos": [0, 0]}],
                             "links": [[1, 4, 0, 3, 0, "MODEL"]], "version": 0.4})
NAI_COMMENT = json.dumps({"prompt": "1girl, cherry blossoms", "steps": 28, "height": 1216, "width": 832,
                          "scale": 5.0, "seed": 3141592653, "sampler": "k_euler_ancestral", "n_samples": 1,
                          "uc": "lowres", "noise_schedule": "karras", "signed_hash": "qOh2bS1Hx0WRj+3vZ5=="})


# ----------------------------------------------------------------------------- builders

def _jpeg(exif: dict | bytes | None = None, xmp: str | None = None, size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    kwargs: dict = {}
    if exif is not None:
        kwargs["exif"] = exif if isinstance(exif, bytes) else piexif.dump(exif)
    if xmp is not None:
        kwargs["xmp"] = xmp.encode()
    Image.new("RGB", size, (90, 120, 150)).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def _webp(exif: dict | bytes | None = None, xmp: str | None = None, lossless: bool = False) -> bytes:
    buf = io.BytesIO()
    kwargs: dict = {"lossless": lossless}
    if exif is not None:
        kwargs["exif"] = exif if isinstance(exif, bytes) else piexif.dump(exif)
    if xmp is not None:
        kwargs["xmp"] = xmp.encode()
    Image.new("RGB", (64, 48), (10, 120, 50)).save(buf, "WEBP", **kwargs)
    return buf.getvalue()


def _png(text: dict[str, str] | None = None, itxt: dict[str, str] | None = None, xmp: str | None = None,
         exif: dict | None = None, im: Image.Image | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    for k, v in (itxt or {}).items():
        info.add_itxt(k, v)
    if xmp is not None:
        info.add_itxt("XML:com.adobe.xmp", xmp)
    buf = io.BytesIO()
    kwargs: dict = {"pnginfo": info}
    if exif is not None:
        kwargs["exif"] = piexif.dump(exif)
    (im or Image.new("RGB", (64, 48), (200, 80, 40))).save(buf, "PNG", **kwargs)
    return buf.getvalue()


NS = {
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "TC260": "http://www.tc260.org.cn/ns/AIGC/1.0/",
    "crs": "http://ns.adobe.com/camera-raw-settings/1.0/",
}


def _xmp(simple: dict[str, str] | None = None, alt: dict[str, str] | None = None,
         seq: dict[str, list[str]] | None = None, raw: str = "") -> str:
    """An XMP packet as Adobe/exiftool write it: simple properties, lang-alt and seq arrays."""
    decl = " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items())
    body = "".join(f"<{k}>{_esc(v)}</{k}>" for k, v in (simple or {}).items())
    body += "".join(f'<{k}><rdf:Alt><rdf:li xml:lang="x-default">{_esc(v)}</rdf:li></rdf:Alt></{k}>'
                    for k, v in (alt or {}).items())
    body += "".join(f"<{k}><rdf:Seq>" + "".join(f"<rdf:li>{_esc(i)}</rdf:li>" for i in v) + f"</rdf:Seq></{k}>"
                    for k, v in (seq or {}).items())
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" {decl}>{body}{raw}</rdf:Description>'
            '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _exif(ifd0: dict | None = None, exif: dict | None = None) -> dict:
    return {"0th": ifd0 or {}, "Exif": exif or {}, "GPS": {}, "1st": {}, "thumbnail": None}


def _uc_unicode(text: str, byteorder: str = "be") -> bytes:
    return b"UNICODE\0" + text.encode("utf-16-be" if byteorder == "be" else "utf-16-le")


def _le_exif_usercomment(comment: bytes) -> bytes:
    """A little-endian (``II``) EXIF block with ExifIFD UserComment, as exiftool/Windows tools write it."""
    ifd0_at, exif_at = 8, 8 + 2 + 12 + 4
    data_at = exif_at + 2 + 12 + 4
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, exif_at) + b"\0\0\0\0"
    exif = struct.pack("<H", 1) + struct.pack("<HHII", 0x9286, 7, len(comment), data_at) + b"\0\0\0\0"
    return b"II*\0" + struct.pack("<I", ifd0_at) + ifd0 + exif + comment


def _camera(make: str, model: str, software: str = "", **more: str) -> bytes:
    ifd0 = {piexif.ImageIFD.Make: make, piexif.ImageIFD.Model: model}
    if software:
        ifd0[piexif.ImageIFD.Software] = software
    if "artist" in more:
        ifd0[piexif.ImageIFD.Artist] = more["artist"]
    if "description" in more:
        ifd0[piexif.ImageIFD.ImageDescription] = more["description"]
    if "host" in more:
        ifd0[piexif.ImageIFD.HostComputer] = more["host"]
    exif = {piexif.ExifIFD.DateTimeOriginal: "2024:05:01 10:00:00", piexif.ExifIFD.ExposureTime: (1, 250)}
    if "comment" in more:
        exif[piexif.ExifIFD.UserComment] = piexif.helper.UserComment.dump(more["comment"], "ascii")
    return _jpeg(_exif(ifd0, exif), more.get("xmp"))


def _mp3(*frames: object) -> bytes:
    from mutagen.id3 import ID3

    tags = ID3()
    for frame in frames:
        tags.add(frame)
    buf = io.BytesIO()
    tags.save(buf, v2_version=3)
    return buf.getvalue() + MP3_FRAME * 4


def _m4a(**tags: str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / "a.m4a"
        items = [box(k.encode("latin-1") if len(k) == 4 else k.encode(), data(v)) for k, v in tags.items()]
        path.write_bytes(movie(itunes(*items)))
        return path
    return build


def _file(name: str, blob: Callable[[], bytes]) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(blob())
        return path
    return build


# ----------------------------------------------------------------------------- C2PA builders

@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    return create_identity(tmp_path_factory.mktemp("gen-id") / "vendor", "Generality Test Vendor")


def _action(action: str, dst: str | None = None, agent: str | None = None, **extra) -> dict:
    out: dict = {"action": action}
    if dst:
        out["digitalSourceType"] = f"http://cv.iptc.org/newscodes/digitalsourcetype/{dst}"
    if agent:
        out["softwareAgent"] = {"name": agent}
    out.update(extra)
    return out


def _definition(generator: str, *actions: dict, assertions: tuple = ()) -> dict:
    return {"claim_generator_info": [{"name": generator, "version": "1.0"}],
            "assertions": [{"label": "c2pa.actions", "data": {"actions": list(actions)}}, *assertions]}


def _signed(name: str, mime: str, media: Callable[[], bytes], *steps: dict, tamper: bool = False):
    """A file signed once per step; later steps keep the earlier manifest as their parent."""
    def build(tmp: Path, identity) -> Path:
        src = tmp / f"src-{name}"
        src.write_bytes(media())
        for i, definition in enumerate(steps):
            dst = tmp / f"step{i}-{name}"
            sign_asset(src, dst, identity=identity, manifest_definition=definition, mime=mime, embed=True,
                       parent_manifest=i > 0)
            src = dst
        out = tmp / name
        blob = bytearray(src.read_bytes())
        if tamper:
            # Flip a byte in the pixel data near the end: the hard binding no longer matches.
            blob[-40] ^= 0xFF
        out.write_bytes(bytes(blob))
        return out
    return build


def _plain_png() -> bytes:
    return _png()


def _plain_jpeg() -> bytes:
    return _jpeg()


def _plain_webp() -> bytes:
    return _webp()


def _plain_wav() -> bytes:
    return pcm_wav(b"\0\0" * 800)


def _plain_mp3() -> bytes:
    return MP3_FRAME * 8


# ----------------------------------------------------------------------------- the table

A1111_ONLY_POSTPROCESSING = "Postprocess upscale by: 4, Postprocess upscaler: R-ESRGAN 4x+"

VARIANTS: list[tuple[str, Callable[[Path], Path], str]] = [
    # --- AUTOMATIC1111 family -------------------------------------------------
    ("a1111 jpeg UserComment UNICODE utf-16-be (piexif helper)",
     _file("a.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment:
                                              piexif.helper.UserComment.dump(INFOTEXT, "unicode")}))), GEN),
    ("a1111 jpeg UserComment UNICODE utf-16-le in a little-endian EXIF",
     _file("a.jpg", lambda: _jpeg(b"Exif\0\0" + _le_exif_usercomment(_uc_unicode(INFOTEXT, "le")))), GEN),
    ("a1111 jpeg UserComment ASCII prefix",
     _file("a.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment:
                                              piexif.helper.UserComment.dump(INFOTEXT, "ascii")}))), GEN),
    ("a1111 jpeg UserComment raw utf-8 without prefix",
     _file("a.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment: INFOTEXT.encode()}))), GEN),
    ("a1111 jpeg UserComment with a Japanese prompt",
     _file("a.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment: piexif.helper.UserComment.dump(
         "夕暮れの灯台、傑作、最高品質\n" + INFOTEXT.split("\n", 1)[1], "unicode")}))), GEN),
    ("reForge webp UserComment UNICODE",
     _file("a.webp", lambda: _webp(_exif(exif={piexif.ExifIFD.UserComment: piexif.helper.UserComment.dump(
         INFOTEXT.replace("v1.10.1", "f1.7.0-v1.10.1RC-latest-2185"), "unicode")}))), GEN),
    ("a1111 avif-free png saved as .jpeg (sniffed, not trusted by extension)",
     _file("a.jpeg", lambda: _png({"parameters": INFOTEXT})), GEN),
    ("a1111 png after Extras tab: postprocessing only", _file("a.png", lambda: _png({"postprocessing":
                                                                                    A1111_ONLY_POSTPROCESSING})), MOD),
    ("a1111 png (old) extras key only",
     _file("a.png", lambda: _png({"extras": "Upscale: 2, visibility: 1.0, model:ESRGAN_4x"})), MOD),
    ("a1111 png generated then upscaled: parameters + postprocessing",
     _file("a.png", lambda: _png({"parameters": INFOTEXT, "postprocessing": A1111_ONLY_POSTPROCESSING})), GEN),
    ("a1111 png with hires fix and ADetailer keys",
     _file("a.png", lambda: _png({"parameters": INFOTEXT + ", Denoising strength: 0.4, Hires upscale: 2, "
                                  "ADetailer model: face_yolov8n.pt"})), GEN),
    ("Fooocus png with the a1111 scheme", _file("a.png", lambda: _png({"parameters": INFOTEXT,
                                                                       "fooocus_scheme": "a1111"})), GEN),
    ("a1111 stealth alpha only (pnginfo, uncompressed)",
     _file("a.png", lambda: _png(im=embed(Image.new("RGBA", (96, 96), (0, 0, 0, 255)), b"stealth_pnginfo",
                                          INFOTEXT.encode()))), GEN),
    # --- ComfyUI ---------------------------------------------------------------
    ("comfyui png with only the prompt graph", _file("c.png", lambda: _png({"prompt": COMFY_PROMPT})), GEN),
    ("comfyui png with only the workflow (new frontend)", _file("c.png", lambda: _png({"workflow": COMFY_WORKFLOW})),
     GEN),
    ("comfyui static webp: EXIF Make/Model",
     _file("c.webp", lambda: _webp(_exif({piexif.ImageIFD.Make: "workflow:" + COMFY_WORKFLOW,
                                          piexif.ImageIFD.Model: "prompt:" + COMFY_PROMPT}))), GEN),
    ("comfyui webp: only Model prompt", _file("c.webp", lambda: _webp(_exif({piexif.ImageIFD.Model: "prompt:"
                                                                              + COMFY_PROMPT}))), GEN),
    ("comfyui jpeg custom node: ImageDescription Workflow:",
     _file("c.jpg", lambda: _jpeg(_exif({piexif.ImageIFD.ImageDescription: "Workflow: " + COMFY_WORKFLOW,
                                         piexif.ImageIFD.Make: "Prompt: " + COMFY_PROMPT}))), GEN),
    ("comfyui jpeg Image Saver node: a1111 infotext UserComment",
     _file("c.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment: piexif.helper.UserComment.dump(
         INFOTEXT + ", Hashes: {\"model\": \"31e35c80fc\"}", "unicode")}))), GEN),
    # --- InvokeAI ---------------------------------------------------------------
    ("invokeai 2.x sd-metadata only",
     _file("i.png", lambda: _png({"sd-metadata": json.dumps({"model": "stable diffusion", "model_weights":
                                                             "stable-diffusion-1.5", "image": {"prompt": [
                                                                 {"prompt": "a cat", "weight": 1}], "seed": 1,
                                                                 "steps": 30, "sampler": "k_lms"}})})), GEN),
    ("invokeai 4.x graph only", _file("i.png", lambda: _png({"invokeai_graph": json.dumps(
        {"id": "abc", "nodes": {"noise": {"type": "noise", "seed": 7}}, "edges": []})})), GEN),
    # --- NovelAI ----------------------------------------------------------------
    ("novelai png, full set of chunks",
     _file("n.png", lambda: _png({"Title": "AI generated image", "Description": "1girl, cherry blossoms",
                                  "Software": "NovelAI", "Source": "NovelAI Diffusion V4.5 4BDE2A90",
                                  "Generation time": "3.2", "Comment": NAI_COMMENT})), GEN),
    ("novelai png, only Comment JSON kept", _file("n.png", lambda: _png({"Comment": NAI_COMMENT})), GEN),
    ("novelai webp, EXIF UserComment JSON with nested Comment string",
     _file("n.webp", lambda: _webp(_exif(exif={piexif.ExifIFD.UserComment: piexif.helper.UserComment.dump(
         json.dumps({"Comment": json.dumps({"signed_hash": "abc=", "request_type": "PromptGenerateRequest"}),
                     "Software": "NovelAI", "Source": "NovelAI Diffusion V4 F6302A9D"}), "unicode")}))), GEN),
    ("novelai stealth_pngcomp in alpha, text chunks stripped",
     _file("n.png", lambda: _png(im=embed(Image.new("RGBA", (128, 128), (9, 9, 9, 255)), b"stealth_pngcomp",
                                          gzip.compress(json.dumps({"Software": "NovelAI", "Comment": NAI_COMMENT})
                                                        .encode())))), GEN),
    # --- other local front ends ---------------------------------------------------
    ("SwarmUI jpeg UserComment JSON",
     _file("s.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment: piexif.helper.UserComment.dump(
         json.dumps({"sui_image_params": {"prompt": "a fox", "seed": 5, "steps": 20, "swarm_version": "0.9.5"}}),
         "unicode")}))), GEN),
    ("Easy Diffusion jpeg UserComment JSON",
     _file("e.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment: piexif.helper.UserComment.dump(
         json.dumps({"prompt": "a fox", "seed": 5, "use_stable_diffusion_model": "sd-v1-5",
                     "sampler_name": "euler_a", "num_inference_steps": 25, "guidance_scale": 7.5}),
         "unicode")}))), GEN),
    ("Draw Things jpeg XMP",
     _file("d.jpg", lambda: _jpeg(xmp=_xmp({"xmp:CreatorTool": "Draw Things"}, alt={
         "exif:UserComment": json.dumps({"c": "a fox", "uc": "", "seed": 5, "scale": 4.5, "steps": 8,
                                         "sampler": "DPM++ 2M Karras", "model": "flux_1_schnell_q8p.ckpt"}),
         "dc:description": "a fox"}))), GEN),
    ("mflux png: EXIF UserComment generation JSON",
     _file("m.png", lambda: _png(exif=_exif(exif={piexif.ExifIFD.UserComment: json.dumps(
         {"model": "black-forest-labs/FLUX.1-schnell", "seed": 7, "steps": 4, "guidance": None,
          "precision": "bfloat16", "quantize": 8, "generation_time_seconds": 12.1, "lora_paths": None,
          "prompt": "a lighthouse", "mflux_version": "0.9.3"}).encode()}))), GEN),
    ("Civitai on-site generator jpeg: a1111 infotext with Civitai resources",
     _file("v.jpg", lambda: _jpeg(_exif({piexif.ImageIFD.Artist: "ai"}, {piexif.ExifIFD.UserComment:
                                   piexif.helper.UserComment.dump(INFOTEXT + ', Civitai resources: [{"type":'
                                                                  '"checkpoint","modelVersionId":128713}]',
                                                                  "unicode")}))), GEN),
    # --- hosted generators (XMP / text) ------------------------------------------
    ("Midjourney png: Description Job ID + XMP DST https",
     _file("mj.png", lambda: _png({"Author": "someone", "Description": f"a red fox --ar 4:5 --v 7 Job ID: {UUID}",
                                   "Creation Time": "2025-03-01T10:00:00Z"},
                                  xmp=_xmp({"Iptc4xmpExt:DigImageGUID": UUID, "Iptc4xmpExt:DigitalSourceType":
                                            "https://cv.iptc.org/newscodes/digitalsourcetype/"
                                            "trainedAlgorithmicMedia"}))), GEN),
    ("Midjourney webp: XMP DST https only",
     _file("mj.webp", lambda: _webp(xmp=_xmp({"Iptc4xmpExt:DigitalSourceType":
                                              "https://cv.iptc.org/newscodes/digitalsourcetype/"
                                              "trainedAlgorithmicMedia"}))), GEN),
    ("Midjourney jpeg: XMP dc:description with Job ID only",
     _file("mj.jpg", lambda: _jpeg(xmp=_xmp(alt={"dc:description": f"a red fox --v 6.1 Job ID: {UUID}"}))), GEN),
    ("Gemini/Imagen jpeg: XMP Credit + DST + DigitalSourceFileType",
     _file("g.jpg", lambda: _jpeg(xmp=_xmp({"photoshop:Credit": "Made with Google AI",
                                            "Iptc4xmpExt:DigitalSourceType": "http://cv.iptc.org/newscodes/"
                                            "digitalsourcetype/trainedAlgorithmicMedia"}))), GEN),
    ("Google Photos edit: Credit 'Edited with Google AI' + composite DST",
     _file("g.jpg", lambda: _camera("Google", "Pixel 9 Pro", "HDR+ 1.0.641377693zd", xmp=_xmp(
         {"photoshop:Credit": "Edited with Google AI", "Iptc4xmpExt:DigitalSourceType":
          "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"}))), MOD),
    ("Meta AI jpeg: XMP DST attribute form",
     _file("meta.jpg", lambda: _jpeg(xmp=_xmp(raw="").replace(
         'rdf:about=""', 'rdf:about="" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/'
         'digitalsourcetype/trainedAlgorithmicMedia"'))), GEN),
    ("IPTC 2025 AI fields only (AISystemUsed)",
     _file("x.jpg", lambda: _jpeg(xmp=_xmp({"Iptc4xmpExt:AISystemUsed": "Imagen 3",
                                            "Iptc4xmpExt:AIPromptInformation": "a fox"}))), MOD),
    ("CN AIGC label: XMP TC260 (Label 1)",
     _file("cn.jpg", lambda: _jpeg(xmp=_xmp({"TC260:AIGC": json.dumps(
         {"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000", "ProduceID": "a1b2"})}))), GEN),
    ("CN AIGC label: EXIF UserComment JSON {'AIGC': {...}}",
     _file("cn.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment: piexif.helper.UserComment.dump(
         json.dumps({"AIGC": {"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000",
                              "ProduceID": "7e1f", "ReservedCode1": "", "ContentPropagator": "",
                              "PropagateID": "", "ReservedCode2": ""}}), "unicode")}))), GEN),
    ("CN AIGC label: PNG tEXt AIGC", _file("cn.png", lambda: _png({"AIGC": json.dumps(
        {"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000", "ProduceID": "a1"})})), GEN),
    # --- audio / video tags ---------------------------------------------------------
    ("Suno mp3: TXXX:comment", _file("s.mp3", lambda: _mp3(TXXX(encoding=3, desc="comment", text=[
        f"made with suno; created=2025-06-01T10:00:00.000Z; id={UUID}"]),
        WOAS(url=f"https://suno.com/song/{UUID}"))), GEN),
    ("Suno mp3: COMM frame", _file("s.mp3", lambda: _mp3(COMM(encoding=3, lang="eng", desc="", text=[
        f"made with suno studio; created=2025-06-01T10:00:00.000Z; id={UUID}"]), TIT2(encoding=3, text=["x"]))),
     GEN),
    ("Suno m4a: ilst ©cmt", _m4a(**{"©cmt": f"made with suno; id={UUID}", "©too": "Lavf61.7.100"}), GEN),
    ("Suno wav: RIFF INFO ICMT",
     _file("s.wav", lambda: with_chunks(info_list(ICMT=f"made with suno; id={UUID}", ISFT="Lavf61.7.100"))), GEN),
    ("CN AIGC label: MP4 mdta",
     _file("cn.mp4", lambda: movie(keyed(["AIGC"], [data(json.dumps({"Label": "1", "ContentProducer": "x"}))]))),
     GEN),
    ("ComfyUI SaveVideo mp4: mdta prompt + workflow",
     _file("c.mp4", lambda: movie(keyed(["prompt", "workflow"], [data(COMFY_PROMPT), data(COMFY_WORKFLOW)]))), GEN),
    ("ComfyUI SaveAudio mp3: TXXX prompt + workflow",
     _file("c.mp3", lambda: _mp3(TXXX(encoding=3, desc="prompt", text=[COMFY_PROMPT]),
                                 TXXX(encoding=3, desc="workflow", text=[COMFY_WORKFLOW]))), GEN),
    # --- negatives: cameras ---------------------------------------------------------
    ("Canon EOS R5 jpeg", _file("n.jpg", lambda: _camera("Canon", "Canon EOS R5", "Firmware Version 1.8.1",
                                                         artist="Jane Doe")), NOT),
    ("Nikon Z 8 jpeg with a photographer called Sora",
     _file("n.jpg", lambda: _camera("NIKON CORPORATION", "NIKON Z 8", "Ver.02.00", artist="Sora Tanaka")), NOT),
    ("Sony A7 IV jpeg", _file("n.jpg", lambda: _camera("SONY", "ILCE-7M4", "ILCE-7M4 v3.01")), NOT),
    ("Fujifilm X-T5 jpeg", _file("n.jpg", lambda: _camera("FUJIFILM", "X-T5", "Digital Camera X-T5 Ver3.00")), NOT),
    ("iPhone 15 Pro jpeg", _file("n.jpg", lambda: _camera("Apple", "iPhone 15 Pro", "17.4.1",
                                                           host="iPhone 15 Pro")), NOT),
    ("Samsung Galaxy S24 jpeg", _file("n.jpg", lambda: _camera("samsung", "SM-S928B", "S928BXXU1AXB5")), NOT),
    ("Google Pixel 8 Pro HDR+ jpeg (Make=Google)",
     _file("n.jpg", lambda: _camera("Google", "Pixel 8 Pro", "HDR+ 1.0.540104767zd")), NOT),
    ("DJI drone jpeg", _file("n.jpg", lambda: _camera("DJI", "FC3582", "10.00.09.16")), NOT),
    ("GoPro jpeg", _file("n.jpg", lambda: _camera("GoPro", "HERO11 Black", "H22.01.01.10.00")), NOT),
    ("Olympus jpeg with the stock description and ASCII UserComment",
     _file("n.jpg", lambda: _camera("OLYMPUS IMAGING CORP.", "E-M1", "Version 1.0",
                                    description="OLYMPUS DIGITAL CAMERA", comment="")), NOT),
    # --- negatives: editors and human works naming AI products ----------------------
    ("Lightroom Classic export with XMP history and a photographer credit",
     _file("n.jpg", lambda: _camera("Canon", "Canon EOS R6", xmp=_xmp(
         {"xmp:CreatorTool": "Adobe Photoshop Lightroom Classic 13.2 (Windows)",
          "photoshop:Credit": "Jane Doe Photography", "crs:Version": "16.2"},
         seq={"xmpMM:History": []}, raw='<xmpMM:History><rdf:Seq><rdf:li stEvt:action="saved" '
         'stEvt:softwareAgent="Adobe Photoshop Lightroom Classic 13.2 (Windows)"/></rdf:Seq></xmpMM:History>')
     )), NOT),
    ("Photoshop edit whose title/description/creator name AI products",
     _file("n.jpg", lambda: _jpeg(_exif({piexif.ImageIFD.Software: "Adobe Photoshop 25.4 (Macintosh)"}), _xmp(
         {"xmp:CreatorTool": "Adobe Photoshop 25.4 (Macintosh)", "photoshop:Credit": "Imagen Photo Agency"},
         alt={"dc:title": "Firefly over the lake", "dc:description":
              "Midjourney-style portrait shot on film; Sora and Gemini in the studio"},
         seq={"dc:creator": ["Sora Kim"]}))), NOT),
    ("Capture One / Affinity / GIMP / darktable software names",
     _file("n.jpg", lambda: _camera("Canon", "Canon EOS 5D Mark IV", "Capture One 23 Windows", xmp=_xmp(
         {"xmp:CreatorTool": "darktable 4.6.1", "tiff:Software": "GIMP 2.10.36"}))), NOT),
    ("GIMP png with comment", _file("n.png", lambda: _png({"Software": "GIMP 2.10.36",
                                                           "Comment": "Created with GIMP"})), NOT),
    ("macOS screenshot png: XMP UserComment 'Screenshot'",
     _file("n.png", lambda: _png(xmp=_xmp(alt={"exif:UserComment": "Screenshot"}))), NOT),
    ("scanner jpeg", _file("n.jpg", lambda: _camera("EPSON", "Perfection V600", "EPSON Scan")), NOT),
    ("news photo with DST digitalCapture",
     _file("n.jpg", lambda: _camera("Canon", "Canon EOS R3", xmp=_xmp({"Iptc4xmpExt:DigitalSourceType":
                                                                       "http://cv.iptc.org/newscodes/"
                                                                       "digitalsourcetype/digitalCapture"}))), NOT),
    ("CGI with DST algorithmicMedia and composite",
     _file("n.png", lambda: _png(xmp=_xmp({"Iptc4xmpExt:DigitalSourceType": "http://cv.iptc.org/newscodes/"
                                                                            "digitalsourcetype/composite"}))), NOT),
    ("photo described as 'not an AI generated image'",
     _file("n.jpg", lambda: _camera("Canon", "Canon EOS R5", description="This is not an AI generated image")), NOT),
    ("Blender render png", _file("n.png", lambda: _png({"Date": "2025/01/01 10:00:00", "Time": "00:00:01:00",
                                                        "Frame": "025", "Camera": "Camera", "Scene": "Scene",
                                                        "RenderTime": "00:12.40", "Software": "Blender"})), NOT),
    ("Nuke/Houdini EXR render", _file("n.exr", lambda: exr(string("software", "Houdini 20.0.547"),
                                                           string("nuke/node_hash", "7f0e"),
                                                           string("comments", "comp v012"))), NOT),
    ("ffmpeg mp4", _m4a(**{"©too": "Lavf60.16.100", "©nam": "Gemini"}), NOT),
    ("Pixel video mp4: ©too=Google", _m4a(**{"©too": "Google"}), NOT),
    ("HandBrake mp4", _m4a(**{"©too": "HandBrake 1.7.3 2024022300"}), NOT),
    ("mp3 encoded with LAME, titled after AI products",
     _file("n.mp3", lambda: _mp3(TIT2(encoding=3, text=["Sora"]), TPE1(encoding=3, text=["Gemini"]),
                                 TALB(encoding=3, text=["Imagen"]), TSSE(encoding=3, text=["LAME 3.100"]),
                                 COMM(encoding=3, lang="eng", desc="", text=["Inspired by Midjourney art"]))), NOT),
    ("mp3 of a human cover that mentions Suno in its comment",
     _file("n.mp3", lambda: _mp3(COMM(encoding=3, lang="eng", desc="",
                                      text=["live cover of a song originally made with Suno"]))), NOT),
    ("Pro Tools BWF wav", _file("n.wav", lambda: with_chunks(bext("Scene 4 take 2", "Pro Tools", "PT-123",
                                                                   "A=PCM,F=48000,W=24,M=mono,T=Pro Tools")))
     , NOT),
    ("Logic Pro wav: ISFT", _file("n.wav", lambda: with_chunks(info_list(ISFT="Logic Pro X 10.8.1",
                                                                        INAM="Sora theme")))
     , NOT),
    ("ElevenLabs-style mp3 with only an encoder tag (no marker: honest answer is no evidence)",
     _file("n.mp3", lambda: _mp3(TSSE(encoding=3, text=["Lavf60.3.100"]))), NOT),
]


@pytest.mark.parametrize(("description", "build", "expected"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variant(description: str, build, expected: str, tmp_path: Path) -> None:
    path = build(tmp_path)
    scan = scan_path(str(path), path.name, REGISTRY, ScanOptions(), propagate_bugs=True)
    verdict = decide(scan.evidence)
    if expected == NOT:
        assert not verdict.kind.is_ai, f"false positive: {verdict.reason}"
    else:
        assert verdict.kind is VerdictKind(expected), f"{verdict.kind}: {verdict.reason}"


# ----------------------------------------------------------------------------- signed C2PA variants

def _chatgpt() -> dict:
    return _definition("ChatGPT", _action("c2pa.created", "trainedAlgorithmicMedia", "GPT-4o"),
                       _action("c2pa.converted", agent="OpenAI API"))


def _camera_capture(generator: str = "Pixel Camera") -> dict:
    return _definition(generator, _action("c2pa.created", "computationalCapture", generator))


C2PA_VARIANTS = [
    ("ChatGPT png created + converted by OpenAI API",
     _signed("g.png", "image/png", _plain_png, _chatgpt()), GEN, None),
    ("gpt-image webp", _signed("g.webp", "image/webp", _plain_webp, _chatgpt()), GEN, None),
    ("ChatGPT jpeg", _signed("g.jpg", "image/jpeg", _plain_jpeg, _chatgpt()), GEN, None),
    ("Adobe Firefly web jpeg",
     _signed("f.jpg", "image/jpeg", _plain_jpeg, _definition(
         "Adobe_Firefly", _action("c2pa.created", "trainedAlgorithmicMedia", "Adobe Firefly"))), GEN, None),
    ("Photoshop Generative Fill over a camera photo",
     _signed("ps.jpg", "image/jpeg", _plain_jpeg, _camera_capture("Canon EOS R1"),
             _definition("Adobe Photoshop", _action("c2pa.edited", "compositeWithTrainedAlgorithmicMedia",
                                                    "Adobe Firefly"))), MOD, None),
    ("Gemini image re-processed by Google (active algorithmicallyEnhanced, parent generated)",
     _signed("gg.png", "image/png", _plain_png,
             _definition("Google C2PA Core Generator Library",
                         _action("c2pa.created", "trainedAlgorithmicMedia",
                                 description="Created by Google Generative AI.")),
             _definition("Google C2PA Core Generator Library",
                         _action("c2pa.transcoded", "algorithmicallyEnhanced", description="Opened by Google"))),
     GEN, None),
    ("Google Pixel camera photo (computationalCapture)",
     _signed("px.jpg", "image/jpeg", _plain_jpeg, _camera_capture()), NOT, None),
    ("Pixel Magic Editor edit of a camera photo",
     _signed("pxe.jpg", "image/jpeg", _plain_jpeg, _camera_capture(),
             _definition("Google Photos", _action("c2pa.edited", "compositeWithTrainedAlgorithmicMedia",
                                                  "Magic Editor", description="Edited using Generative AI"))),
     MOD, None),
    ("Samsung Galaxy AI generative edit",
     _signed("sg.jpg", "image/jpeg", _plain_jpeg, _camera_capture("Samsung Camera"),
             _definition("Samsung Gallery", _action("c2pa.edited", "compositeWithTrainedAlgorithmicMedia",
                                                    "Galaxy AI"))), MOD, None),
    ("Stability AI API png",
     _signed("st.png", "image/png", _plain_png, _definition(
         "Stability AI", _action("c2pa.created", "trainedAlgorithmicMedia", "Stable Image Ultra"))), GEN, None),
    ("Suno wav with a C2PA chunk",
     _signed("s.wav", "audio/wav", _plain_wav, _definition(
         "Suno", _action("c2pa.created", "trainedAlgorithmicMedia", "Suno"))), GEN, None),
    ("Suno mp3 with a C2PA GEOB",
     _signed("s.mp3", "audio/mpeg", _plain_mp3, _definition(
         "Suno", _action("c2pa.created", "trainedAlgorithmicMedia", "Suno"))), GEN, None),
    ("Sora mp4: C2PA uuid box, ©too Lavf",
     _signed("s.mp4", "video/mp4", lambda: movie(itunes(box(b"\xa9too", data("Lavf60.16.100")))),
             _definition("Sora", _action("c2pa.created", "trainedAlgorithmicMedia", "Sora"))), GEN, None),
    ("Microsoft Designer jpeg: v1 claim, no source type, 'AI Generated Image'",
     _signed("d.jpg", "image/jpeg", _plain_jpeg, {
         "claim_generator": "Microsoft_Responsible_AI/1.0", "claim_version": 1,
         "claim_generator_info": [{"name": "Microsoft Responsible AI Image Provenance", "version": "1.0"}],
         "assertions": [{"label": "c2pa.actions", "data": {"actions": [
             {"action": "c2pa.created", "softwareAgent": "Image Creator from Designer",
              "description": "AI Generated Image"}]}}]}), GEN, None),
    ("Content Authenticity app: capture + training-mining assertion (not AI)",
     _signed("ca.jpg", "image/jpeg", _plain_jpeg, _definition(
         "Adobe Content Authenticity", _action("c2pa.created", "digitalCapture", "Adobe Content Authenticity"),
         assertions=({"label": "c2pa.training-mining", "data": {"entries": {
             "c2pa.ai_generative_training": {"use": "notAllowed"}, "c2pa.ai_training": {"use": "notAllowed"},
             "c2pa.data_mining": {"use": "notAllowed"}}}},))), NOT, None),
    ("c2pa test signer: algorithmicMedia",
     _signed("t.jpg", "image/jpeg", _plain_jpeg, _definition(
         "make_test_images", _action("c2pa.created", "algorithmicMedia", "make_test_images"))), NOT, None),
    ("c2pa test signer: empty source type",
     _signed("t.png", "image/png", _plain_png, _definition("c2patool", {
         "action": "c2pa.created", "digitalSourceType": "http://c2pa.org/digitalsourcetype/empty"})), NOT, None),
    ("tampered camera credential (invalid, not AI)",
     _signed("tc.jpg", "image/jpeg", lambda: _jpeg(size=(320, 240)), _camera_capture(), tamper=True),
     NOT, C2paState.INVALID),
    ("tampered generative credential (invalid, declaration still reported)",
     _signed("tg.png", "image/png", lambda: _png(im=Image.effect_noise((128, 128), 40).convert("RGB")),
             _chatgpt(), tamper=True), GEN, C2paState.INVALID),
]


@pytest.mark.parametrize(("description", "build", "expected", "state"), C2PA_VARIANTS,
                         ids=[v[0] for v in C2PA_VARIANTS])
def test_signed_variant(description: str, build, expected: str, state, tmp_path: Path, identity) -> None:
    path = build(tmp_path, identity)
    scan = scan_path(str(path), path.name, REGISTRY, ScanOptions(), propagate_bugs=True)
    verdict = decide(scan.evidence)
    if expected == NOT:
        assert not verdict.kind.is_ai, f"false positive: {verdict.reason}"
    else:
        assert verdict.kind is VerdictKind(expected), f"{verdict.kind}: {verdict.reason}"
    if state is not None:
        assert scan.c2pa.state is state
    else:
        assert scan.c2pa.state in (C2paState.VALID, C2paState.TRUSTED, C2paState.INVALID)
        assert scan.c2pa.active_manifest


# ----------------------------------------------------------------------------- manifest shapes c2pa will not sign

def _store(*manifests: tuple[str, dict]) -> dict:
    """A ``Reader.json()`` store: the first manifest is the active one."""
    return {"active_manifest": manifests[0][0], "manifests": dict(manifests)}


def _manifest(generator: str, actions: list[dict], ingredients: list[dict] = (), v1: bool = False) -> dict:
    out: dict = {"assertions": [{"label": "c2pa.actions" if v1 else "c2pa.actions.v2",
                                 "data": {"actions": actions}}], "ingredients": list(ingredients)}
    if v1:
        out["claim_generator"] = generator
    else:
        out["claim_generator_info"] = [{"name": generator}]
    return out


STORE_VARIANTS = [
    ("Microsoft Designer / Bing Image Creator: no source type, named tool + 'AI Generated Image'",
     _store(("urn:uuid:ms", _manifest("Microsoft_Responsible_AI/1.0", [
         {"action": "c2pa.created", "softwareAgent": "Image Creator from Designer",
          "description": "AI Generated Image"}], v1=True))), GEN),
    ("DALL-E 3 (2024): active c2pa.converted by OpenAI API over a created ingredient",
     _store(("urn:uuid:api", _manifest("OpenAI-API", [
         {"action": "c2pa.converted", "softwareAgent": "OpenAI API"}],
         [{"title": "image.png", "relationship": "parentOf", "active_manifest": "urn:uuid:dalle"}], v1=True)),
            ("urn:uuid:dalle", _manifest("DALL·E", [
                {"action": "c2pa.created", "softwareAgent": "DALL·E",
                 "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}],
                v1=True))), GEN),
    ("Sora mp4 (store as read from the uuid box)",
     _store(("urn:c2pa:sora", _manifest("Sora", [
         {"action": "c2pa.created", "softwareAgent": {"name": "Sora"},
          "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]))), GEN),
    ("Adobe opened third-party model output (com.adobe.digitalSourceType parameter)",
     _store(("urn:c2pa:ps", _manifest("Adobe Photoshop", [
         {"action": "c2pa.opened", "parameters": {
             "com.adobe.digitalSourceType":
                 "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
             "com.adobe.details": "Imagen"}}]))), GEN),
    ("Adobe Express with Firefly, no source type: legacy generative-ai assertion",
     _store(("urn:c2pa:ax", {**_manifest("Adobe Express", [{"action": "c2pa.created"}]),
                             "assertions": [{"label": "c2pa.actions", "data": {"actions": [
                                 {"action": "c2pa.created"}]}},
                                 {"label": "com.adobe.generative-ai", "data": {"description": "Firefly"}}]})), GEN),
    ("Photoshop edit of a human photo: no generative step",
     _store(("urn:c2pa:ps2", _manifest("Adobe Photoshop", [
         {"action": "c2pa.opened", "parameters": {"ingredientIds": ["p"]}},
         {"action": "c2pa.color_adjustments", "softwareAgent": {"name": "Adobe Photoshop 26.0"}}],
         [{"title": "photo.jpg", "relationship": "parentOf", "label": "p"}]))), NOT),
    ("Lightroom export of a Pixel photo with an untouched parent credential",
     _store(("urn:c2pa:lr", _manifest("Adobe Lightroom", [
         {"action": "c2pa.opened", "parameters": {"ingredientIds": ["p"]}}],
         [{"title": "PXL.jpg", "relationship": "parentOf", "label": "p", "active_manifest": "urn:c2pa:px"}])),
            ("urn:c2pa:px", _manifest("Pixel Camera", [
                {"action": "c2pa.created",
                 "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/computationalCapture"}]))),
     NOT),
    ("Stability AI API without a source type: the signer's product names it",
     _store(("urn:c2pa:st", _manifest("Stability AI", [{"action": "c2pa.created",
                                                          "softwareAgent": {"name": "Stable Image Core"}}]))), GEN),
    ("newer Bing (MAI-Image) without a source type",
     _store(("urn:c2pa:mai", _manifest("Microsoft", [{"action": "c2pa.created",
                                                       "softwareAgent": {"name": "MAI-Image-1"}}]))), GEN),
    ("Photoshop composite whose component ingredient is titled after an AI product (no manifest)",
     _store(("urn:c2pa:ps3", _manifest("Adobe Photoshop", [
         {"action": "c2pa.opened", "parameters": {"ingredientIds": ["p"]}},
         {"action": "c2pa.placed", "parameters": {"ingredientIds": ["c"]}}],
         [{"title": "photo.jpg", "relationship": "parentOf", "label": "p"},
          {"title": "midjourney_sora_reference.png", "relationship": "componentOf", "label": "c"}]))), NOT),
    ("Leica camera capture credential",
     _store(("urn:c2pa:cam", _manifest("Leica Camera", [
         {"action": "c2pa.created", "softwareAgent": {"name": "Leica M11-P"},
          "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]))), NOT),
]


@pytest.mark.parametrize(("description", "store", "expected"), STORE_VARIANTS, ids=[v[0] for v in STORE_VARIANTS])
def test_store_variant(description: str, store: dict, expected: str) -> None:
    verdict = decide(store_evidence(store, integrity_failed=False))
    if expected == NOT:
        assert not verdict.kind.is_ai, f"false positive: {verdict.reason}"
    else:
        assert verdict.kind is VerdictKind(expected), f"{verdict.kind}: {verdict.reason}"


# ----------------------------------------------------------------------------- broken files

@pytest.mark.parametrize("name, blob", [
    ("cut.png", lambda: _png({"parameters": INFOTEXT})[:60]),
    ("cut.jpg", lambda: _jpeg(_exif(exif={piexif.ExifIFD.UserComment: piexif.helper.UserComment.dump(
        INFOTEXT, "unicode")}))[:40]),
    ("cut.mp4", lambda: movie(keyed(["prompt"], [data(COMFY_PROMPT)]))[:-20]),
])
def test_truncated_files_are_per_file_errors_not_crashes(name: str, blob, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(blob())
    scan = scan_path(str(path), name, REGISTRY, ScanOptions(), propagate_bugs=True)
    assert scan.errors
