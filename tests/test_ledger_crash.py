"""The ledger survives crashes: SIGKILL mid-import, a full disk, concurrent writers and readers.

Each writer runs the real CLI in a subprocess. After every incident the ledger
must open, verify, and hold either all of an import or none of it.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provenance.ledger import open_ledger

HANG_GUARD_S = 120


def _cli(ledger: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "provenance", "ledger", "--ledger", str(ledger), *args],
                          capture_output=True, text=True, timeout=HANG_GUARD_S, **kwargs)


def _csv(path: Path, prefix: str, count: int) -> Path:
    lines = ["ref,sha256,category,approver"]
    lines += [f"{prefix}-{i:06d},{hashlib.sha256(f'{prefix}{i}'.encode()).hexdigest()},final-deliverable,Dana" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _state(ledger: Path) -> tuple[bool, int, int]:
    """(verifies, approvals, events) of the ledger as a fresh process would see it."""
    with open_ledger(ledger) as opened:
        result = opened.verify()
        return result.ok, len(opened.approvals()), len(opened.events())


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    assert _cli(path, "init").returncode == 0
    return path


@pytest.mark.parametrize("wal_bytes", [64 * 1024, 1024 * 1024])
def test_sigkill_mid_import_keeps_all_or_nothing(ledger: Path, tmp_path: Path, wal_bytes: int) -> None:
    source = _csv(tmp_path / "big.csv", "K", 4000)
    proc = subprocess.Popen([sys.executable, "-m", "provenance", "ledger", "--ledger", str(ledger), "import",
                             str(source)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wal = Path(f"{ledger}-wal")
    # Kill once the transaction has written this much: the import is then truly under way.
    while proc.poll() is None and not (wal.exists() and wal.stat().st_size >= wal_bytes):
        time.sleep(0.002)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=HANG_GUARD_S)
    ok, approvals, events = _state(ledger)
    assert ok
    assert approvals in (0, 4000)
    assert events == 1 + approvals  # the init event plus one grant per approval
    if killed:
        assert approvals == 0  # the commit had not happened yet
    # The ledger still takes writes after the crash.
    assert _cli(ledger, "import", str(_csv(tmp_path / "small.csv", "S", 3))).returncode == 0
    assert _state(ledger)[:2] == (True, approvals + 3)


def _limit_file_size(max_bytes: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        # With SIGXFSZ ignored, a write past the limit fails with EFBIG, as on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def test_full_disk_fails_cleanly_without_corruption(ledger: Path, tmp_path: Path) -> None:
    assert _cli(ledger, "import", str(_csv(tmp_path / "first.csv", "A", 10))).returncode == 0
    size = ledger.stat().st_size
    done = _cli(ledger, "import", str(_csv(tmp_path / "big.csv", "B", 3000)),
                preexec_fn=_limit_file_size(size + 64 * 1024))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: cannot write") and "nothing was recorded" in done.stderr
    assert _state(ledger) == (True, 10, 11)
    # With room again, the same import goes through whole.
    assert _cli(ledger, "import", str(tmp_path / "big.csv")).returncode == 0
    assert _state(ledger)[:2] == (True, 3010)


def test_full_disk_through_max_page_count(ledger: Path) -> None:
    # SQLite's own "database or disk is full" (SQLITE_FULL), hit inside one add.
    with open_ledger(ledger) as opened:
        pages = opened.db.execute("PRAGMA page_count").fetchone()[0]
        opened.db.execute(f"PRAGMA max_page_count = {pages}")
        from provenance.ledger.model import LedgerError

        with pytest.raises(LedgerError, match="full"):
            opened.import_records([{"ref": f"F-{i}", "sha256": f"{i:064x}", "category": "final-deliverable",
                                    "approver": "Dana"} for i in range(500)])
        assert not opened.db.conn.in_transaction
    assert _state(ledger) == (True, 0, 1)


def test_concurrent_writers_and_readers_stay_consistent(ledger: Path, tmp_path: Path) -> None:
    batches = [_csv(tmp_path / f"w{n}.csv", f"W{n}", 300) for n in range(3)]
    reader = (
        "import sys\n"
        "from provenance.ledger import open_ledger\n"
        "seen = set()\n"
        "for _ in range(40):\n"
        "    with open_ledger(sys.argv[1]) as l:\n"
        "        r = l.verify()\n"
        "        assert r.ok, r.problems\n"
        "        n = len(l.approvals())\n"
        "        assert n % 300 == 0, n\n"  # a reader never sees half an import
        "        seen.add(n)\n"
        "print(sorted(seen))\n"
    )
    readers = [subprocess.Popen([sys.executable, "-c", reader, str(ledger)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    writers = [subprocess.Popen([sys.executable, "-m", "provenance", "ledger", "--ledger", str(ledger), "import",
                                 str(batch)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for batch in batches]
    for proc in writers + readers:
        out, err = proc.communicate(timeout=HANG_GUARD_S)
        assert proc.returncode == 0, err[-2000:]
    assert _state(ledger) == (True, 900, 901)
    events = [e.ref for e in open_ledger(ledger).events()[1:]]
    # Each import is one contiguous run in the chain: writers queued, they did not interleave.
    runs = [events[i:i + 300] for i in range(0, 900, 300)]
    assert all(len({ref.split("-")[0] for ref in run}) == 1 for run in runs)
    assert os.path.exists(ledger)


ADDER = """
import sys
from provenance.ledger import open_ledger
location, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open_ledger(location) as ledger:
    for n in range(count):
        ledger.add(f"P{worker}-{n:03d}", sha256=f"{worker:032x}{n:032x}", categories="final-deliverable",
                   approver=f"worker {worker}", approved_on="2026-11-02")
"""


def _adders(location: str, workers: int, count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", ADDER, location, str(w), str(count)], stderr=subprocess.PIPE,
                             text=True) for w in range(workers)]


def test_verify_in_a_loop_while_writers_add_sees_no_false_tampering(ledger_location: str) -> None:
    # Verify reads events, meta and approvals with several SELECTs; outside one
    # snapshot a grant committed between them read as "approvals row ... has no events".
    open_ledger(ledger_location, create=True).close()
    writers = _adders(ledger_location, 2, 60)
    verifies = 0
    with open_ledger(ledger_location, read_only=True) as reader:
        while any(w.poll() is None for w in writers) or verifies < 5:
            result = reader.verify()
            assert result.ok, result.problems[:3]
            verifies += 1
    assert [w.wait(timeout=HANG_GUARD_S) for w in writers] == [0, 0], [w.stderr.read() for w in writers]
    assert verifies >= 5


def test_eight_processes_fifty_grants_each_keep_one_linear_chain(ledger_location: str) -> None:
    open_ledger(ledger_location, create=True).close()
    procs = _adders(ledger_location, 8, 50)
    errors = [p.communicate(timeout=HANG_GUARD_S)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    with open_ledger(ledger_location) as ledger:
        result = ledger.verify()
        assert result.ok, result.problems[:3]
        events = ledger.events()
    assert result.events == 401
    # Linear: seq 1..401 with each prev_hash the hash before it (verify checks it; this says it plainly).
    assert [e.seq for e in events] == list(range(1, 402))
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert {e.ref for e in events[1:]} == {f"P{w}-{n:03d}" for w in range(8) for n in range(50)}
