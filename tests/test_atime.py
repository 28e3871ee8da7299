"""The read-only promise to the letter: scan, audit and report leave atime, mtime, ctime and bytes alone.

Run on a copy of the demo delivery (as root in CI), whose policy, in-delivery ledger and
trust anchor make every kind of read happen. The order matters: the tree is
listed first (listing moves folder atimes), then every atime is set back to a
time older than the mtime (so ``relatime`` would update it on the next read),
and only then is the baseline taken with ``stat``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from provenance.reports import FORMATS
from tests.external import require_tool, unavailable

REPO = Path(__file__).resolve().parent.parent
OLD_NS = 1_000_000_000 * 10**9  # 2001, older than any mtime here

# O_NOATIME is granted to a file's owner or to root (CAP_FOWNER). The tests below copy the
# delivery into tmp_path, so the user running them owns every file: they need no root. Only
# the fallback test, which hands the files to another user, does.


def _listing(root: Path) -> list[Path]:
    paths = [root]
    for dirpath, dirnames, filenames in os.walk(root):
        paths += [Path(dirpath, n) for n in sorted(dirnames + filenames)]
    return paths


def _age(paths: list[Path]) -> None:
    for path in paths:
        st = os.lstat(path)
        os.utime(path, ns=(OLD_NS, st.st_mtime_ns), follow_symlinks=False)


def _state(paths: list[Path]) -> dict[str, tuple[int, int, int, int, bytes]]:
    out = {}
    for path in paths:
        st = os.lstat(path)
        data = b""
        if path.is_file():
            fd = os.open(path, os.O_RDONLY | os.O_NOATIME)  # the measurement must not move what it measures
            with os.fdopen(fd, "rb") as fh:
                data = fh.read()
        out[str(path)] = (st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns, st.st_mode, data)
    return out


def _atime_moves_on_plain_reads(where: Path) -> bool:
    """The precondition: here a plain `cat` and `ls` move atime, so the test can see a careless read."""
    probe = where / "probe"
    probe.mkdir()
    (probe / "f").write_bytes(b"x")
    _age([probe, probe / "f"])
    subprocess.run(["cat", str(probe / "f")], check=True, capture_output=True)
    subprocess.run(["ls", str(probe)], check=True, capture_output=True)
    moved = os.stat(probe / "f").st_atime_ns != OLD_NS and os.stat(probe).st_atime_ns != OLD_NS
    shutil.rmtree(probe)
    return moved


def test_scan_audit_and_report_leave_every_timestamp_and_byte_alone(tmp_path: Path) -> None:
    assert _atime_moves_on_plain_reads(tmp_path), f"{tmp_path} does not update atime on reads (noatime mount?)"
    root = tmp_path / "delivery"
    shutil.copytree(REPO / "sample_assets", root, symlinks=True)
    assert (root / "_approvals" / "ledger.db").is_file() and (root / "provenance.toml").is_file()
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PROVENANCE_LEDGER"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(REPO))

    paths = _listing(root)
    _age(paths)
    before = _state(paths)

    def run(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "provenance", *args], env=env, cwd=out,
                              capture_output=True, timeout=300)
        assert done.returncode in (0, 1, 3), (args, done.stderr.decode()[-2000:])
        assert b"Traceback" not in done.stderr

    run("scan", str(root), "--format", "json", "-o", str(out / "scan.json"), "--no-cache", "-j", "1", "-q")
    for fmt in FORMATS:  # the first audit fills the cache, the others answer from it and hash again
        run("audit", str(root), "--format", fmt, "-o", str(out / f"audit.{fmt}"), "-j", "1", "-q")
    # --policy naming the delivery's own file: read for the policy and for the ledger trust settings.
    run("audit", str(root), "--policy", str(root / "provenance.toml"), "--format", "json", "-o",
        str(out / "audit-policy.json"), "-j", "1", "-q")
    # One file as the scan root (its folder is listed to find sidecars), with --trust-anchors
    # naming the delivery's own anchor file; and the policy as `policy show` reads it.
    run("scan", str(root / "reference" / "moodboard_city.png"), "--trust-anchors",
        str(root / "_approvals" / "vendor-trust-anchor.pem"), "--format", "json", "-o", str(out / "one.json"),
        "--no-cache", "-j", "1", "-q")
    run("policy", "show", str(root))
    # The demo keeps its conform EDL inside the delivery: reading the cut must not touch it either.
    run("audit", str(root), "--timeline", str(root / "_editorial" / "ep101_reel1_conform.edl"), "--format", "json",
        "-o", str(out / "audit-timeline.json"), "-j", "1", "-q")
    for fmt in FORMATS:
        run("report", str(out / "audit.json"), "--format", fmt, "-o", str(out / f"report.{fmt}"))
    assert "data:image/jpeg;base64," in (out / "report.html").read_text(encoding="utf-8"), "thumbnails were made"

    after = _state(paths)
    changed = {p: (before[p][:3], after[p][:3]) for p in before if before[p] != after[p]}
    assert changed == {}, f"{len(changed)} of {len(before)} entries changed, e.g. {sorted(changed.items())[:5]}"
    assert _listing(root) == paths, "something was created or removed inside the delivery"


def test_where_o_noatime_is_refused_the_read_falls_back_and_the_asset_says_so(tmp_path: Path) -> None:
    # O_NOATIME needs the file's owner or CAP_FOWNER: root without that capability, reading files
    # that belong to someone else, gets EPERM as any other user would.
    if os.geteuid() != 0:
        unavailable("needs root: it chowns files to another user")
    require_tool("setpriv", "util-linux")  # drops CAP_FOWNER
    import json

    from tests.builders import png_file

    root = tmp_path / "delivery"
    (root / "stills").mkdir(parents=True)
    png_file(root / "stills" / "still.png")
    for path in (root, root / "stills", root / "stills" / "still.png"):
        os.chown(path, 65534, 65534)
    done = subprocess.run(
        ["setpriv", "--inh-caps=-fowner", "--bounding-set=-fowner", sys.executable, "-m", "provenance", "scan",
         str(root), "--format", "json", "--no-cache", "-j", "1", "-q"],
        capture_output=True, timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    [asset] = json.loads(done.stdout)["assets"]
    assert any("read without O_NOATIME" in n and "belongs to another user" in n for n in asset["notes"])
    assert any("folder was listed without O_NOATIME" in n for n in asset["notes"])
    assert asset["errors"] == []


def test_an_in_delivery_ledger_snapshot_includes_what_is_still_in_its_wal(tmp_path: Path) -> None:
    import sqlite3

    from provenance.ledger import open_ledger
    from provenance.ledger.snapshot import open_ledger_snapshot

    path = tmp_path / "ledger.db"
    store = open_ledger(path, create=True)
    store.close()
    reader = sqlite3.connect(path)  # an open reader keeps the writer from checkpointing and removing the WAL
    reader.execute("SELECT count(*) FROM sqlite_master").fetchall()
    try:
        store = open_ledger(path)
        store.add("GA-7", title="sky", approver="Jane Doe", approved_on="2026-01-05", path="final/**",
                  categories=["final-deliverable"], use="final")
        store.close()
        assert (tmp_path / "ledger.db-wal").stat().st_size > 0, "the approval is still only in the WAL"
        os.utime(path, ns=(OLD_NS, os.stat(path).st_mtime_ns))
        snapshot = open_ledger_snapshot(path)
        try:
            assert [a.ref for a in snapshot.approvals()] == ["GA-7"]
            assert snapshot.verify().ok
        finally:
            snapshot.close()
        assert os.stat(path).st_atime_ns == OLD_NS
    finally:
        reader.close()
