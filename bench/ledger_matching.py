"""How much a large approvals ledger adds to an audit, on SQLite and PostgreSQL.

    python bench/ledger_matching.py                       # 20,000 assets, 100,000 approvals
    python bench/ledger_matching.py --assets 2000 --approvals 10000   # a quick look
    python bench/ledger_matching.py --skip-postgres

Builds a delivery of distinct PNG stills (10 % with a generation record) and a
ledger of approvals: 50 % pinned by sha256 (a few of them to real files), 40 %
path globs spread over the delivery's folders and folders it does not have,
10 % C2PA instance ids. Then it times, with the scan cache warm so the scan
costs the same every time (wall and CPU seconds, and the load average, since the
box may be shared):

- the import of every approval (one CSV, one transaction);
- ``ledger verify`` at that size;
- ``audit_delivery`` with an empty ledger, and with the full one. Nothing of
  the ledger is cached between audits: each one verifies the whole chain again,
  so every full-ledger audit costs what a first audit costs; the first one in
  the process is printed on its own as well.

It prints figures; it never fails on them. PostgreSQL runs in a throw-away
cluster from the Debian binaries (as in the tests).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.synth import png_file
from provenance.audit.runner import audit_delivery
from provenance.ledger import open_ledger
from provenance.scan.cache import ScanCache

FOLDERS = 400
WARM = ("import sys; from pathlib import Path; from provenance.audit.runner import audit_delivery; "
        "from provenance.scan.cache import ScanCache; c = ScanCache(Path(sys.argv[3])); "
        "audit_delivery(Path(sys.argv[1]), sys.argv[2], None, jobs=2, cache=c); c.close()")
AI_TEXT = {"parameters": "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"}


def build_delivery(root: Path, assets: int) -> list[tuple[str, str]]:
    """(relative path, sha256) of every file written."""
    out = []
    for n in range(assets):
        rel = f"shots/sh{n % FOLDERS:03d}/still_{n:06d}.png"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = AI_TEXT if n % 10 == 0 else {"Comment": f"frame {n}"}
        data = png_file(8, 8, {**text, "Seq": str(n)})
        path.write_bytes(data)
        out.append((rel, hashlib.sha256(data).hexdigest()))
    return out


def approvals_csv(path: Path, count: int, files: list[tuple[str, str]]) -> Path:
    rng = random.Random(13)
    lines = ["ref,sha256,path,c2pa_instance,category,approver"]
    for n in range(count):
        sha = glob = iid = ""
        kind = n % 10
        if kind < 5:
            sha = files[rng.randrange(len(files))][1] if n % 1000 == 0 else f"{rng.getrandbits(256):064x}"
        elif kind < 9:
            folder = rng.randrange(FOLDERS * 4)  # three in four name folders the delivery does not have
            glob = (f"shots/sh{folder:03d}/still_{rng.randrange(len(files)):06d}*.png" if folder < FOLDERS
                    else f"vfx/v{folder:04d}/**/*.exr")
        else:
            iid = f"xmp:iid:{rng.getrandbits(64):016x}"
        lines.append(f"B-{n:07d},{sha},{glob},{iid},final-deliverable,Dana Reyes")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {elapsed:8.2f} s  (cpu {time.process_time() - cpu:.2f} s, load {os.getloadavg()[0]:.1f})",
          flush=True)
    return value, elapsed


def audit(root: Path, ledger: str, cache_path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one audit (the CPU of this process: the ledger's share is all here)."""
    cache = ScanCache(cache_path)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        audit_delivery(root, ledger, None, jobs=2, cache=cache)
        return time.perf_counter() - start, time.process_time() - cpu
    finally:
        cache.close()


def run_store(name: str, empty: str, full: str, csv: Path, root: Path, cache: Path, repeat: int) -> None:
    print(f"{name}:")
    with open_ledger(empty, create=True):
        pass
    with open_ledger(full, create=True) as ledger:
        timed(f"import {csv.stat().st_size // 1024} KiB CSV", lambda: ledger.import_file(csv))
    for _ in range(2):
        with open_ledger(full, read_only=True) as ledger:
            result, _ = timed("ledger verify", ledger.verify)
            assert result.ok, result.problems[:3]
    # Warm the scan cache (content hashes included) and the page cache in another process, so
    # the audits below differ only by the ledger, and the first full-ledger audit here is this
    # process's first look at that ledger (no in-process cache of any kind has seen it).
    for ledger in (empty, full):
        subprocess.run([sys.executable, "-c", WARM, str(root), ledger, str(cache)], check=True,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
    base = [audit(root, empty, cache) for _ in range(repeat)]
    loaded = [audit(root, full, cache) for _ in range(repeat)]
    load = os.getloadavg()[0]
    for label, runs in (("empty ledger", base), ("full ledger", loaded)):
        print(f"  {'audit, ' + label + f' (best of {repeat})':<44} {min(w for w, _ in runs):8.2f} s  "
              f"(cpu {min(c for _, c in runs):.2f} s; each: {', '.join(f'{w:.2f}' for w, _ in runs)})")
    print(f"  {'audit, full ledger, first in this process':<44} {loaded[0][0]:8.2f} s  (cpu {loaded[0][1]:.2f} s)")
    print(f"  {'added by the ledger':<44} {min(w for w, _ in loaded) - min(w for w, _ in base):8.2f} s  "
          f"(cpu {min(c for _, c in loaded) - min(c for _, c in base):.2f} s, load {load:.1f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=20_000)
    parser.add_argument("--approvals", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="audits per ledger; the best is reported")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="provenance-ledger-bench-"))
    try:
        print(f"{args.assets} assets, {args.approvals} approvals; load {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores", flush=True)
        files, _ = timed("build delivery", lambda: build_delivery(work / "delivery", args.assets))
        csv = approvals_csv(work / "approvals.csv", args.approvals, files)
        run_store("SQLite", str(work / "empty.db"), str(work / "full.db"), csv, work / "delivery", work / "c.db",
                  args.repeat)
        if args.skip_postgres:
            return
        from tests.ledger_stores import fresh_schema, pg_available, pg_cluster

        reason = pg_available()
        if reason:
            print(f"PostgreSQL skipped: {reason}")
            return
        with pg_cluster() as server, contextlib.redirect_stderr(sys.stderr):
            run_store("PostgreSQL", fresh_schema(server), fresh_schema(server), csv, work / "delivery",
                      work / "c.db", args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
