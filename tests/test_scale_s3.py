"""Deliveries in object storage: a real S3 API server (moto) on 127.0.0.1, read through s3fs over HTTP."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli
from provenance.scan.roots import parse_root
from provenance.scan.runner import ScanSettings, scan_tree
from provenance.scanners import default_registry

REPO = Path(__file__).resolve().parent.parent
CORPUS_SAMPLES = ("c2pa_adobe_firefly.jpg", "a1111_parameters.png", "comfyui_img2img.png", "audio_id3_comment.mp3",
                  "audio_vorbis.ogg", "audio_flac.flac", "a1111_stealth_alpha.png")


def _tree(tmp: Path, corpus: Path | None) -> Path:
    """The demo delivery (sequences, sidecars, manifest, policy) plus real corpus files."""
    root = tmp / "ep101"
    shutil.copytree(REPO / "sample_assets", root)
    if corpus is not None:
        (root / "corpus").mkdir()
        for name in CORPUS_SAMPLES:
            if (corpus / name).is_file():
                shutil.copy(corpus / name, root / "corpus" / name)
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    return root


def _upload(fs: object, local: Path, url_path: str) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.pipe_file(f"{url_path}/{path.relative_to(local).as_posix()}", path.read_bytes())  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def bucket(s3fs_client: object, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from tests.conftest import CORPUS

    tree = _tree(tmp_path_factory.mktemp("s3tree"), CORPUS if (CORPUS / "INDEX.tsv").is_file() else None)
    s3fs_client.mkdir("deliveries")  # type: ignore[attr-defined]
    _upload(s3fs_client, tree, "deliveries/show/ep101")
    return tree, "s3://deliveries/show/ep101/"


def scan_json(root: str, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["scan", root, "--format", "json", "--no-cache", "--quiet", *extra])
    assert result.exit_code in (0, 3), result.output
    return result.exit_code, json.loads(result.stdout)


def without_root(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "root"}


def test_a_tree_in_s3_scans_exactly_like_the_same_tree_on_disk(bucket: tuple[Path, str], s3_endpoint: str) -> None:
    tree, url = bucket
    code_local, local = scan_json(str(tree), "--jobs", "1")
    code_s3, remote = scan_json(url, "--endpoint-url", s3_endpoint, "--jobs", "1")
    assert remote["root"] == "s3://deliveries/show/ep101"
    assert without_root(remote) == without_root(local)
    assert code_s3 == code_local
    # What makes the tree worth comparing: a sequence, sidecars, the manifest and policy set aside.
    paths = {a["path"] for a in local["assets"]}
    assert "final/vfx/sh010/sh010_comp_v003.####.exr" in paths
    reasons = {s["reason"] for s in local["skipped"]}
    assert "audit policy" in reasons and any(r.startswith("sidecar of") for r in reasons)


def test_threads_read_the_bucket_with_the_same_result(bucket: tuple[Path, str], s3_endpoint: str) -> None:
    tree, url = bucket
    _, serial = scan_json(url, "--endpoint-url", s3_endpoint, "--jobs", "1")
    _, threads = scan_json(url, "--endpoint-url", s3_endpoint, "--jobs", "3", "--executor", "thread")
    assert threads == serial


def _mp4(mdat_bytes: int) -> bytes:
    """ftyp, a large mdat of zeros, and the moov at the end (as a camera writes it)."""
    ftyp = struct.pack(">I4s4sI", 20, b"ftyp", b"isom", 512) + b"isom"
    mvhd = struct.pack(">I4s", 108, b"mvhd") + b"\0" * 100
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    mdat = struct.pack(">I4s", 8 + mdat_bytes, b"mdat")
    return ftyp + mdat + b"\0" * mdat_bytes + moov


def test_a_large_video_costs_only_ranged_reads(s3fs_client: object, s3_endpoint: str) -> None:
    from provenance.scanners import c2pa

    s3fs_client.mkdir("video")  # type: ignore[attr-defined]
    sizes = (12 * 1024 * 1024, 48 * 1024 * 1024)
    for n, size in enumerate(sizes):
        s3fs_client.pipe_file(f"video/reel/teaser_v00{n}.mp4", _mp4(size))  # type: ignore[attr-defined]
    counts: list[tuple[int, int]] = []
    report = scan_tree(parse_root("s3://video/reel", {"endpoint_url": s3_endpoint}), default_registry(),
                       ScanSettings(jobs=1), on_counts=counts.append)
    assert [a.asset.media_type for a in report.assets] == ["video/mp4", "video/mp4"]
    (small_ranged, small_streamed), (large_ranged, large_streamed) = counts
    assert small_streamed == large_streamed == 0  # no C2PA manifest: nothing needed the whole object
    # The C2PA marker windows and a few box headers (the XMP scanner reads the metadata boxes, not
    # a search window), not the file:
    bound = c2pa.HEAD_WINDOW + c2pa.TAIL_WINDOW + 512 * 1024
    assert 0 < large_ranged <= bound
    assert large_ranged == small_ranged  # four times the object, not one byte more
    assert large_ranged < report.assets[1].asset.size / 8


def test_odd_keys_are_named_like_local_names(s3fs_client: object, s3_endpoint: str) -> None:
    png = (REPO / "sample_assets/reference/moodboard_city.png").read_bytes()
    s3fs_client.mkdir("odd")  # type: ignore[attr-defined]
    s3fs_client.pipe({"odd/d/with space.png": png, "odd/d/Ωmega ünïcode.png": png,  # type: ignore[attr-defined]
                      "odd/d/../escape.png": png, "odd/d/sub/": b"", "odd/d/sub/x.png": png,
                      "odd/d/data/": b"not a folder marker", "odd/d/sub//twice.png": png})
    _, data = scan_json("s3://odd/d", "--endpoint-url", s3_endpoint)
    assert {a["path"] for a in data["assets"]} == {"with space.png", "Ωmega ünïcode.png", "sub/x.png"}
    skipped = {s["path"]: s["reason"] for s in data["skipped"]}
    assert ".." in skipped and "'..'" in skipped[".."]
    assert "data/" in skipped and "ends with '/'" in skipped["data/"]
    assert "sub//" in skipped and "empty path segment" in skipped["sub//"]  # never silently dropped
    assert {p["code"] for p in data["problems"]} == {"unsafe-key"}  # what went unread keeps the scan incomplete


def test_an_object_deleted_after_the_listing_is_a_per_file_error(s3fs_client: object, s3_endpoint: str) -> None:
    png = (REPO / "sample_assets/reference/moodboard_city.png").read_bytes()
    s3fs_client.mkdir("gone")  # type: ignore[attr-defined]
    s3fs_client.pipe({"gone/d/a.png": png, "gone/d/b.png": png})  # type: ignore[attr-defined]
    where = parse_root("s3://gone/d", {"endpoint_url": s3_endpoint})

    def delete_after_listing(done: int, total: int) -> None:
        if s3fs_client.exists("gone/d/b.png"):  # type: ignore[attr-defined]
            s3fs_client.rm_file("gone/d/b.png")  # type: ignore[attr-defined]

    report = scan_tree(where, default_registry(), ScanSettings(jobs=1), progress=delete_after_listing)
    by_path = {a.path: a for a in report.assets}
    assert not by_path["a.png"].errors
    assert [e.code for e in by_path["b.png"].errors] == ["unreadable"]
    assert not report.complete  # exit 3 on the command line


def _one_line_exit_2(args: list[str], *, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([sys.executable, "-m", "provenance", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=REPO)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def _env(**extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items()}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def test_an_unknown_bucket_is_one_line_and_exit_2(s3_endpoint: str) -> None:
    line = _one_line_exit_2(["scan", "s3://no-such-bucket/ep101/", "--endpoint-url", s3_endpoint, "--no-cache"],
                            env=_env())
    assert "bucket not found" in line and "no-such-bucket" in line


def test_an_unreachable_endpoint_is_one_line_and_exit_2(aws_env: None) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    line = _one_line_exit_2(["audit", "s3://deliveries/ep101/", "--endpoint-url", f"http://127.0.0.1:{port}",
                             "--no-cache"],
                            env=_env())
    assert "cannot reach the storage endpoint" in line


def test_missing_credentials_are_one_line_and_exit_2(s3_endpoint: str, tmp_path: Path) -> None:
    env = _env(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(key, None)
    line = _one_line_exit_2(["scan", "s3://deliveries/show/ep101/", "--endpoint-url", s3_endpoint, "--no-cache"],
                            env=env)
    assert "no credentials" in line and "AWS_ACCESS_KEY_ID" in line


def test_without_s3fs_an_s3_root_names_the_extra(tmp_path: Path) -> None:
    blocker = tmp_path / "sitecustomize.py"  # makes `import s3fs` fail in the child, as if not installed
    blocker.write_text("import sys\nsys.modules['s3fs'] = None\n")
    line = _one_line_exit_2(["scan", "s3://deliveries/ep101/", "--no-cache"],
                            env=_env(PYTHONPATH=f"{tmp_path}:{REPO}"))
    assert "pip install 'provenance[s3]'" in line


def test_the_cache_keys_objects_on_their_etag(s3fs_client: object, s3_endpoint: str, tmp_path: Path) -> None:
    from provenance.scan.cache import ScanCache
    from provenance.scan.render import scan_json_chunks

    png = (REPO / "sample_assets/reference/moodboard_city.png").read_bytes()
    s3fs_client.mkdir("cached")  # type: ignore[attr-defined]
    s3fs_client.pipe({f"cached/d/shot.{n}.png": png for n in range(1001, 1006)})  # type: ignore[attr-defined]
    s3fs_client.pipe({"cached/d/still.png": png})  # type: ignore[attr-defined]
    where = parse_root("s3://cached/d", {"endpoint_url": s3_endpoint})

    def scan() -> tuple[str, ScanCache]:
        with ScanCache(tmp_path / "cache.sqlite3") as cache:
            report = scan_tree(where, default_registry(), ScanSettings(jobs=1), cache=cache)
        return "".join(scan_json_chunks(report)), cache

    cold, first = scan()
    assert first.misses == 6
    warm, second = scan()
    assert warm == cold and (second.hits, second.misses) == (0, 0)  # the folder's assets, reused whole
    # Same size, other bytes: a new ETag, so that object (and only it) is read again.
    s3fs_client.pipe_file("cached/d/still.png", png[:-16] + b"\0" * 16)  # type: ignore[attr-defined]
    _, third = scan()
    assert third.misses == 1 and third.hits == 5


def test_refused_credentials_are_one_line_and_exit_2(aws_env: None) -> None:
    """A second moto server, in its own process with authentication on, refuses keys it does not know."""
    import os
    import socket
    import time

    from tests.conftest import need

    need("moto.server", "moto[server]")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        line = _one_line_exit_2(["scan", "s3://deliveries/ep101/", "--endpoint-url", f"http://127.0.0.1:{port}",
                                 "--no-cache"], env=_env(AWS_ACCESS_KEY_ID="AKIAUNKNOWN", AWS_SECRET_ACCESS_KEY="x"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "was refused" in line and "AWS_ACCESS_KEY_ID" in line
