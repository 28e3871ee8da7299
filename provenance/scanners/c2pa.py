"""C2PA Content Credentials: validation state and the AI declarations inside.

Reading is offline: remote manifests and OCSP are never fetched, a remote
pointer is reported as such. A cheap byte pre-check keeps the native reader
away from the great majority of files, which carry no credential at all.
What the store says about generative AI is worked out in ``_c2pa_lineage``.
"""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any

from provenance.errors import InputError, UsageError
from provenance.models import (C2PA_STATE_MEANING, C2paState, C2paStatus, Confidence, Evidence, ScanIssue,
                               ScannerResult, Signal)
from provenance.knowledge.sniff import C2PA_READABLE
from provenance.knowledge.trust import c2pa_trust_settings
from provenance.source import ByteSource, ScanInput, ScanOptions

from provenance.scanners._c2pa_identity import identity_evidence
from provenance.scanners._c2pa_lineage import store_evidence
from provenance.scanners._c2pa_state import classify, failures
from provenance.scanners._id3_frames import extended_size, syncsafe, tag_length
from provenance.scanners._jpeg import iter_app_segments
from provenance.scanners._jxl import SIGNATURE as JXL_SIGNATURE
from provenance.scanners._png_chunks import ChunkStorm, decode_text, iter_chunks, read_chunk

if TYPE_CHECKING:
    import c2pa

# Measured on the corpus: the furthest store from its file's edge sits 106
# bytes from the start (JPEG APP11) or 39 KiB from the end (PDF); the windows
# leave room for big EXIF/XMP segments and thumbnails in the store.
HEAD_WINDOW = 256 * 1024
TAIL_WINDOW = 256 * 1024
MAX_UNITS = 100_000  # chunks/boxes walked before giving up on a container

SCANNER_ID = "c2pa"
BMFF_C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
_STRONG_NEEDLE = b"jumdc2pa"  # JUMBF description box + C2PA store UUID: in every store
_NEEDLES = (
    _STRONG_NEEDLE,
    b"caBX",
    BMFF_C2PA_UUID,
    b"C2PA_GIF",
    b"c2pa:manifest",
    b"application/c2pa",
    b"application/x-c2pa-manifest-store",
    b"dcterms:provenance",  # remote (or self) pointer in XMP
)
# Five needles contain "c2pa" or "caBX": one regex pass for either (about twice as fast as
# bytes.find on 4-byte needles) rules all five out on almost every file.
_C_NEEDLES = re.compile(rb"c(?:2pa|aBX)")
_OTHER_NEEDLES = tuple(n for n in _NEEDLES if b"c2pa" not in n and b"caBX" not in n)
_APP11 = 0xEB
_STORE_TYPES = frozenset({"application/c2pa", "application/x-c2pa-manifest-store"})
_URL = re.compile(r"https?://[^\s'\"<>]+")


@functools.cache
def _reader_types() -> frozenset[str]:
    import c2pa

    return frozenset(t.lower() for t in c2pa.Reader.get_supported_mime_types())


class C2paScanner:
    id = SCANNER_ID
    # 5: default trust lists, the expired state, CAWG identities (cached results are re-read)
    # 6: an MP3's GEOB store found by walking the ID3 tag
    # 7: the interim allowed list takes effect (typed trust-list entries)
    version = "7"

    def __init__(self) -> None:
        self._contexts: dict[str, c2pa.Context] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Native contexts stay in the process that made them: a worker process
        # builds its own (c2pa-python must not be shared across fork or pickle).
        return {"_contexts": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._contexts = {}

    def accepts(self, media_type: str) -> bool:
        # A .c2pa sidecar can bind any file; scan() returns at once when there is none.
        return True

    def scan(self, item: ScanInput) -> ScannerResult:
        sidecar = item.sidecars.get("c2pa")
        if sidecar is None and not self._worth_reading(item):
            return _compressed_xmp_pointer(item)
        mime = item.media_type if item.media_type.lower() in _reader_types() else "application/octet-stream"
        result = self._read(item, mime, sidecar)
        if result.c2pa is None and sidecar is None:
            return _compressed_xmp_pointer(item)
        return result

    def _worth_reading(self, item: ScanInput) -> bool:
        if item.media_type in _STORE_TYPES:
            return True
        if item.media_type not in C2PA_READABLE:
            # Other containers: only the already-read head, and only binary
            # JUMBF, so an EXR sequence costs nothing and a text file that
            # merely mentions C2PA is not taken for a credential.
            return not item.media_type.startswith("text/") and _STRONG_NEEDLE in item.source.head
        return has_c2pa_marker(item.source)

    def _context(self, options: ScanOptions) -> c2pa.Context:
        import c2pa  # the native library loads only when a file carries a credential

        key = (options.default_trust, options.trust_anchors_pem)
        ctx = self._contexts.get(key)
        if ctx is None:
            settings: dict[str, Any] = {
                "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
                # CAWG identity checks resolve did:web issuers over the network unless
                # no host is allowed (0.91.3 looked the host up in DNS): stay offline.
                "core": {"allowed_network_hosts": []},
            }
            trust = c2pa_trust_settings(options.default_trust, options.trust_anchors_pem)
            if trust:
                settings["trust"] = trust
            try:
                ctx = c2pa.Context.from_dict(settings)
            except c2pa.C2paError as exc:
                raise UsageError(f"trust anchors rejected by c2pa ({exc}): pass PEM certificates") from exc
            self._contexts[key] = ctx
        return ctx

    def _read(self, item: ScanInput, mime: str, sidecar: bytes | None) -> ScannerResult:
        import c2pa

        ctx = self._context(item.options)
        has_sidecar = sidecar is not None
        try:
            with c2pa.Reader(mime, item.source.stream(), sidecar, context=ctx) as reader:
                store = json.loads(reader.json())
                state = reader.get_validation_state()
                results = reader.get_validation_results() or {}
                remote_url = reader.get_remote_url()
        except c2pa.C2paError.ManifestNotFound:
            return ScannerResult()
        except c2pa.C2paError.RemoteManifest as exc:
            return _remote(str(exc), has_sidecar)
        except c2pa.C2paError.NotSupported as exc:
            return _error("c2pa-unsupported-container",
                          f"C2PA data found but this container cannot be validated ({exc})", has_sidecar)
        except c2pa.C2paError as exc:
            # The native layer reports "Remote" as a plain C2paError in 0.38.x.
            if str(exc).startswith("Remote"):
                return _remote(str(exc), has_sidecar)
            return _error("c2pa-unreadable", f"C2PA store could not be read: {exc}", has_sidecar)
        except ValueError as exc:  # store JSON that does not parse
            return _error("c2pa-unreadable", f"C2PA store JSON is malformed: {exc}", has_sidecar)
        if not isinstance(store, dict):
            return _error("c2pa-unreadable", "C2PA store JSON is not an object", has_sidecar)
        results = results if isinstance(results, dict) else {}
        status = _status(store, classify(state, results), failures(results), has_sidecar, remote_url)
        evidence = store_evidence(store, status.state is C2paState.INVALID)
        if status.state is C2paState.EXPIRED:
            evidence.append(Evidence(SCANNER_ID, f"c2pa:{status.active_manifest}:c2pa.signature",
                                     C2PA_STATE_MEANING[C2paState.EXPIRED], Signal.INFO,
                                     Confidence.SIGNED_DECLARATION))
        evidence += identity_evidence(store, results)
        return ScannerResult(evidence=tuple(evidence), c2pa=status)


def _has_needle(data: bytes) -> bool:
    if _C_NEEDLES.search(data) is not None:
        return any(n in data for n in _NEEDLES)
    return any(n in data for n in _OTHER_NEEDLES)


def has_c2pa_marker(source: ByteSource) -> bool:
    """Whether the bytes plausibly hold a C2PA store or a pointer to one."""
    head = source.read_at(0, HEAD_WINDOW)
    if _has_needle(head):
        return True
    if source.size > HEAD_WINDOW:
        tail = source.read_at(max(HEAD_WINDOW, source.size - TAIL_WINDOW) - 64, TAIL_WINDOW + 64)
        if _has_needle(tail):
            return True
    # Stores in the middle of a large container (a RIFF chunk before a LIST, a uuid
    # box after a huge mdat, an APP11 segment behind megabytes of ICC/APP2 segments)
    # are found by walking the container's top level only.
    if head[:4] == b"RIFF" or head[:4] in (b"RF64", b"BW64"):
        return _walk_riff(source)
    if head[4:8] == b"ftyp" or head.startswith(JXL_SIGNATURE):
        return _walk_bmff(source)
    if head.startswith(b"\xff\xd8"):
        return _walk_jpeg(source)
    if head.startswith(b"ID3"):
        return _walk_id3(source)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _walk_png(source)
    return False


def _walk_riff(source: ByteSource) -> bool:
    pos = 12
    for _ in range(MAX_UNITS):
        header = source.read_at(pos, 8)
        if len(header) < 8:
            return False
        if header[:4] == b"C2PA":
            return True
        size = int.from_bytes(header[4:8], "little")
        if size == 0xFFFFFFFF:
            return False  # RF64 size lives in ds64; the windows covered what they could
        pos += 8 + size + (size & 1)
    return False


def _walk_bmff(source: ByteSource) -> bool:
    pos = 0
    for _ in range(MAX_UNITS):
        header = source.read_at(pos, 32)
        if len(header) < 8:
            return False
        size, kind, body = int.from_bytes(header[:4], "big"), header[4:8], 8
        if size == 1:
            size, body = int.from_bytes(header[8:16], "big"), 16
        if kind == b"uuid" and header[body : body + 16] == BMFF_C2PA_UUID:
            return True
        if kind == b"jumb" and b"c2pa" in source.read_at(pos + body, 64):
            return True  # JPEG XL: the store is a top-level JUMBF box
        if size == 0 or size < body:
            return False  # box runs to end of file, or a broken size
        pos += size
    return False


def _walk_id3(source: ByteSource) -> bool:
    """A GEOB frame holding a C2PA store anywhere in an ID3v2 tag (MP3, ID3-prefixed FLAC).

    c2pa-rs appends its GEOB after the frames already there, so behind a large
    cover picture (APIC) the store sits hundreds of KiB into the file.
    """
    header = source.read_at(0, 14)
    if len(header) < 10 or header[3] not in (2, 3, 4):
        return False
    version, flags = header[3], header[5]
    end = min(source.size, tag_length(header))
    pos = 10
    if flags & 0x40 and version in (3, 4):  # extended header
        pos += extended_size(header, version)
    id_len, head_len = (3, 6) if version == 2 else (4, 10)
    for _ in range(MAX_UNITS):
        frame = source.read_at(pos, head_len)
        if pos + head_len > end or len(frame) < head_len or frame[0] == 0:
            return False  # end of tag or padding
        size_raw = frame[id_len : id_len + (3 if version == 2 else 4)]
        size = syncsafe(size_raw) if version == 4 else int.from_bytes(size_raw, "big")
        if frame[:id_len] in (b"GEOB", b"GEO") and b"c2pa" in source.read_at(pos + head_len, 64):
            return True
        pos += head_len + size
    return False


def _walk_jpeg(source: ByteSource) -> bool:
    """An APP11 JUMBF segment anywhere before the image data, however big the segments ahead of it."""
    try:
        for seg in iter_app_segments(source, frozenset({_APP11})):
            # JPEG-XT framing (CI 'JP', instance, sequence) then the JUMBF superbox header.
            if seg.data[:2] == b"JP" and b"jumb" in seg.data[:64] and b"c2pa" in seg.data[:128]:
                return True
    except InputError:
        pass  # a broken marker structure: the windows above were all there was to see
    return False


def _walk_png(source: ByteSource) -> bool:
    pos = 8
    for _ in range(MAX_UNITS):
        header = source.read_at(pos, 8)
        if len(header) < 8 or header[4:8] == b"IEND":
            return False
        if header[4:8] == b"caBX":
            return True
        pos += 12 + int.from_bytes(header[:4], "big")
    return False


def _status(store: dict[str, Any], state: C2paState, failures: tuple[str, ...], sidecar: bool,
            remote_url: str | None) -> C2paStatus:
    label = store.get("active_manifest") if isinstance(store.get("active_manifest"), str) else None
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    active = manifests.get(label) if label else None
    active = active if isinstance(active, dict) else {}
    ids = [active.get("instance_id")]
    ids += [i.get("instance_id") for i in active.get("ingredients") or [] if isinstance(i, dict)]
    info = active.get("signature_info") if isinstance(active.get("signature_info"), dict) else {}
    signer_parts = [info.get("issuer"), info.get("common_name")]
    signer = " / ".join(str(p) for p in signer_parts if isinstance(p, str) and p) or None
    return C2paStatus(
        state=state,
        failures=failures,
        active_manifest=label,
        instance_ids=tuple(dict.fromkeys(i for i in ids if isinstance(i, str) and i)),
        signer=signer,
        sidecar=sidecar,
        remote_url=remote_url,
    )


def _compressed_xmp_pointer(item: ScanInput) -> ScannerResult:
    """A remote manifest pointer inside a PNG's compressed XMP (iTXt), which no byte search sees.

    c2pa-rs does not look there either, but the file still says its
    credentials live at a URL: report ``remote``, never fetch it.
    """
    # Adobe writes the XMP iTXt before the image data, so the already-read head says
    # whether there is a compressed packet at all: PNG frames without one pay nothing.
    if item.media_type != "image/png" or _COMPRESSED_XMP_ITXT not in item.source.head:
        return _NOTHING
    try:
        for count, chunk in enumerate(iter_chunks(item.source)):
            if count > MAX_UNITS:
                break
            if chunk.type != b"iTXt":
                continue
            body = read_chunk(item.source, chunk)
            if not body.startswith(b"XML:com.adobe.xmp\0") or body[len(b"XML:com.adobe.xmp\0")] != 1:
                continue
            text = decode_text(chunk.type, body)
            match = _POINTER.search(text.value) if text is not None else None
            if match:
                return _remote(match.group(1), sidecar=False)
    except (InputError, ChunkStorm, IndexError):
        pass  # the png and xmp scanners report a damaged file; this is only a pointer search
    return ScannerResult()


def _remote(message: str, sidecar: bool) -> ScannerResult:
    match = _URL.search(message)
    url = match.group(0).rstrip(".,;)") if match else None
    return ScannerResult(c2pa=C2paStatus(state=C2paState.REMOTE, sidecar=sidecar, remote_url=url))


_COMPRESSED_XMP_ITXT = b"iTXtXML:com.adobe.xmp\x00\x01"
_NOTHING = ScannerResult()
_POINTER = re.compile(r"""dcterms:provenance\s*(?:=\s*["']|>)\s*(https?://[^"'<\s]+)""")


def _error(code: str, message: str, sidecar: bool) -> ScannerResult:
    return ScannerResult(errors=(ScanIssue(code, message, "c2pa"),),
                         c2pa=C2paStatus(state=C2paState.ERROR, sidecar=sidecar))
