"""A root in any installed fsspec protocol reads like a folder: here fsspec's own in-memory store.

S3 has its own server-backed tests (test_scale_s3.py). This one shows that nothing in the walk,
the ranged reads or the report is specific to S3: a second protocol, with no endpoint and no
ETags, gives the same report as the same tree on disk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from provenance.scan.render import scan_json_chunks
from provenance.scan.roots import parse_root
from provenance.scan.runner import ScanSettings, scan_tree
from provenance.scanners import default_registry
from tests.builders import png_file
from tests.external import require_module

REPO = Path(__file__).resolve().parent.parent


def _report(root: object, executor: str = "process") -> dict:
    report = scan_tree(root, default_registry(), ScanSettings(jobs=1 if executor == "process" else 3,
                                                              executor=executor))
    data = json.loads("".join(scan_json_chunks(report)))
    data.pop("root")
    return data


@pytest.fixture()
def memory_tree(tmp_path: Path):
    fsspec = require_module("fsspec", "fsspec")
    tree = tmp_path / "ep104"
    shutil.copytree(REPO / "sample_assets", tree)
    for frame in range(1001, 1006):
        png_file(tree / "vfx" / "sh030" / f"sh030_comp_v002.{frame}.png")
    (tree / "vfx" / "sh030" / "sh030_comp_v002.1003.png.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
        '</rdf:RDF></x:xmpmeta>')
    fs = fsspec.filesystem("memory")
    base = "/provenance-test/ep104"
    if fs.exists(base):
        fs.rm(base, recursive=True)
    for path in sorted(tree.rglob("*")):
        if path.is_file():
            fs.pipe_file(f"{base}/{path.relative_to(tree).as_posix()}", path.read_bytes())
    yield tree, f"memory://{base}"
    fs.rm(base, recursive=True)


def test_a_memory_store_root_reports_like_the_same_tree_on_disk(memory_tree: tuple[Path, str]) -> None:
    tree, url = memory_tree
    local = _report(tree)
    remote = _report(parse_root(url))
    assert remote == local
    # What makes the comparison worth something: a sequence, a sidecar taken as evidence, the policy aside.
    by_path = {a["path"]: a for a in remote["assets"]}
    sequence = by_path["vfx/sh030/sh030_comp_v002.####.png"]
    assert sequence["frames"] == "1001-1005" and sequence["verdict"] == "ai-generated"
    assert any(s["reason"] == "audit policy" for s in remote["skipped"])


def test_threads_read_a_memory_store_with_the_same_result(memory_tree: tuple[Path, str]) -> None:
    _, url = memory_tree
    assert _report(parse_root(url), executor="thread") == _report(parse_root(url))
