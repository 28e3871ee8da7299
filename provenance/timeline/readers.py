"""Timeline readers behind one call: ``read_timeline(path, rate)`` → an OTIO timeline.

The format is chosen by extension, and by the root element for ``.xml``:

=============== ==================== ============================================
format          extensions           reader
=============== ==================== ============================================
OTIO            .otio                OpenTimelineIO's built-in ``otio_json``
CMX 3600 EDL    .edl                 our own reader (``edl.py``): drop-frame and
                                     errors with line numbers
FCP 7 XML       .xml (``<xmeml>``)   plug-in ``otio-fcp-adapter`` (``fcp_xml``)
FCP X XML       .fcpxml, .xml        plug-in ``otio-fcpx-xml-adapter``
                (``<fcpxml>``)       (``fcpx_xml``)
AAF             .aaf                 plug-in ``otio-aaf-adapter`` (``AAF``)
=============== ==================== ============================================

The plug-ins are the ``timeline`` extra; a missing one is a one-line error
that names it. Syntax errors in text formats are found before the adapter
runs, so they name the line: JSON by ``json``, XML by defusedxml (which also
refuses entity expansion, as every XML reader of this tool does).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

from provenance.source.noatime import read_bytes

from .errors import EXTRA_HINT, TimelineError

FORMATS = {".otio": "otio_json", ".edl": "cmx_3600", ".fcpxml": "fcpx_xml", ".aaf": "AAF"}
_PLUGIN = {"fcp_xml": "otio-fcp-adapter", "fcpx_xml": "otio-fcpx-xml-adapter", "AAF": "otio-aaf-adapter"}
MAX_TEXT_BYTES = 256 << 20
MAX_FILE_BYTES = 4 << 30  # an AAF holds no media here, only the composition


def _otio() -> Any:
    try:
        import opentimelineio
    except ImportError:
        raise TimelineError(f"reading timelines needs OpenTimelineIO; {EXTRA_HINT}") from None
    return opentimelineio


def detect_format(path: Path, head: bytes) -> str:
    ext = path.suffix.lower()
    if ext in FORMATS:
        return FORMATS[ext]
    if ext == ".xml":
        text = head.decode("utf-8", "replace")
        if "<xmeml" in text:
            return "fcp_xml"
        if "<fcpxml" in text:
            return "fcpx_xml"
        raise TimelineError(f"{path}: an .xml timeline must be FCP 7 XML (<xmeml>) or FCP X XML (<fcpxml>)")
    raise TimelineError(f"{path}: unknown timeline format {ext or '(no extension)'}; "
                        "use .otio, .edl, .xml (FCP 7 or FCP X), .fcpxml or .aaf")


def read_timeline(path: Path, rate: Fraction) -> tuple[Any, str]:
    """The timeline in ``path`` and the sha256 of its bytes (its identity with its name).

    ``rate`` is the EDL rate (EDLs carry none); other formats carry their own.
    The file is read once, through ``O_NOATIME`` where allowed (a timeline may
    sit inside the delivery); the AAF plug-in, which opens a path itself, gets a private copy.
    """
    otio = _otio()
    try:
        data, _ = read_bytes(path, MAX_FILE_BYTES)
    except OSError as exc:
        raise TimelineError(f"cannot read timeline {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    fmt = detect_format(path, data[:4096])
    if fmt != "AAF" and len(data) > MAX_TEXT_BYTES:
        raise TimelineError(f"{path}: larger than {MAX_TEXT_BYTES >> 20} MB; not a timeline this tool reads")
    return _read(otio, path, data, fmt, rate), digest


def _read(otio: Any, path: Path, data: bytes, fmt: str, rate: Fraction) -> Any:
    if fmt == "cmx_3600":
        from .edl import read_edl

        return read_edl(path, _text(path, data), rate)
    if fmt == "otio_json":
        text = _text(path, data)
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise TimelineError(f"{path} line {exc.lineno}: not valid OTIO JSON ({exc.msg})") from None
        return _adapter_call(otio, path, fmt, lambda: otio.adapters.read_from_string(text, "otio_json"))
    if fmt in ("fcp_xml", "fcpx_xml"):
        _check_xml(path, data)
        _need_plugin(otio, fmt)
        text = _text(path, data)
        return _adapter_call(otio, path, fmt, lambda: otio.adapters.read_from_string(text, fmt))
    _need_plugin(otio, fmt)
    # The AAF plug-in (pyaaf2) opens a path itself, and that open would move the atime of an AAF
    # that ships inside the delivery. It reads our own copy of the bytes already read instead.
    with tempfile.TemporaryDirectory(prefix="provenance-aaf-") as private:
        copy = Path(private) / "timeline.aaf"
        copy.write_bytes(data)
        return _adapter_call(otio, path, fmt, lambda: otio.adapters.read_from_file(str(copy), fmt))


def _text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        try:
            return data.decode("cp1252")  # EDLs from older systems are often Windows-1252
        except UnicodeDecodeError:
            raise TimelineError(f"{path} line {line}: not UTF-8 or Windows-1252 text") from None


def _check_xml(path: Path, data: bytes) -> None:
    from xml.parsers.expat import ExpatError

    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise TimelineError(f"{path} line {line}: not well-formed XML ({str(exc).split(':')[0]})") from None
    except (DefusedXmlException, ExpatError) as exc:
        raise TimelineError(f"{path}: refused XML ({type(exc).__name__}: entity declarations are not read)") from None


def _need_plugin(otio: Any, fmt: str) -> None:
    if fmt not in otio.adapters.available_adapter_names():
        raise TimelineError(f"reading {fmt} timelines needs the OpenTimelineIO plug-in {_PLUGIN[fmt]}; {EXTRA_HINT}")


def _adapter_call(otio: Any, path: Path, fmt: str, call: Any) -> Any:
    try:
        result = call()
    except TimelineError:
        raise
    except Exception as exc:  # adapters raise anything from KeyError to their own errors on bad input
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TimelineError(f"{path}: cannot read as {fmt}: {detail[:200]} (the {fmt} reader gives no line)") \
            from None
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
        if len(timelines) != 1:
            raise TimelineError(f"{path}: holds {len(timelines)} timelines; export the one conform timeline")
        result = timelines[0]
    if not isinstance(result, otio.schema.Timeline):
        raise TimelineError(f"{path}: holds a {type(result).__name__}, not a timeline")
    meta = dict(result.metadata.get("provenance", {}) or {})
    meta["format"] = fmt
    result.metadata["provenance"] = meta
    return result
