"""A generator's own link to the generated item is a tool record; a human comment mentioning one is not.

MP3 tags are written by mutagen, XMP packets embedded by Pillow.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from mutagen.id3 import COMM, TIT2, TPE1, WOAS, WXXX
from PIL import Image

from provenance.knowledge.verdict import decide
from provenance.models import Confidence, VerdictKind
from provenance.scan.file_scan import scan_path
from provenance.scanners import default_registry
from provenance.source import ScanOptions

from .scanners.test_id3 import mp3

SONG = "https://suno.com/song/3f1c7a52-9b1e-4c55-a0f3-2a9d7b6e4c11"


def _scan(path: Path):
    return scan_path(str(path), path.name, default_registry(), ScanOptions(), propagate_bugs=True)


@pytest.mark.parametrize(("url", "generator"), [
    (SONG, "Suno"),
    ("https://www.udio.com/songs/ehJuLz9DuCtVapQMVMcA7N", "Udio"),
])
def test_source_url_frame_at_the_generators_item_page_is_a_tool_record(tmp_path, url, generator) -> None:
    scan = _scan(mp3(tmp_path / "a.mp3", WOAS(url=url), TIT2(encoding=3, text=["Night Drive"])))
    (link,) = [e for e in scan.evidence if e.location == "id3:WOAS"]
    assert link.generator == generator and link.confidence is Confidence.TOOL_RECORD
    assert decide(scan.evidence).kind is VerdictKind.AI_GENERATED


@pytest.mark.parametrize("frames", [
    # A human song whose comment talks about a generator and even links to it.
    (COMM(encoding=3, lang="eng", desc="", text=[f"Human cover; the original demo was made with Suno: {SONG}"]),
     TPE1(encoding=3, text=["The Band"])),
    # The artist's own page in WOAS, and a Suno link as a user-defined link only.
    (WOAS(url="https://theband.example/songs/night-drive"), WXXX(encoding=3, desc="inspiration", url=SONG)),
    # The generator's home page is not an item page.
    (WOAS(url="https://suno.com/"),),
])
def test_mentions_and_other_links_stay_not_ai(tmp_path, frames) -> None:
    scan = _scan(mp3(tmp_path / "b.mp3", *frames))
    assert decide(scan.evidence).kind is VerdictKind.NO_EVIDENCE


def test_midjourney_job_page_as_xmp_dc_source(tmp_path) -> None:
    def jpeg(source: str) -> Path:
        packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                  '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                  f'<dc:source>{source}</dc:source></rdf:Description></rdf:RDF></x:xmpmeta>')
        path = tmp_path / f"{abs(hash(source))}.jpg"
        buf = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buf, "JPEG", xmp=packet.encode())
        path.write_bytes(buf.getvalue())
        return path

    job = _scan(jpeg("https://www.midjourney.com/jobs/d95be554-7b1c-4f36-9e4e-0c2f6a1b2c3d?index=0"))
    assert decide(job.evidence).kind is VerdictKind.AI_GENERATED
    assert decide(job.evidence).generators == ("Midjourney",)
    agency = _scan(jpeg("Reuters / https://www.midjourney.com/jobs/d95be554-7b1c-4f36-9e4e-0c2f6a1b2c3d"))
    assert decide(agency.evidence).kind is VerdictKind.NO_EVIDENCE
