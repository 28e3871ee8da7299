"""How much a large approvals ledger adds to an audit, on SQLite and PostgreSQL.

    python bench/ledger_matching.py                       # 20,000 assets, 100,000 approvals
    python bench/ledger_matching.py --assets 2000 --approvals 10000   # a quick look
    python bench/ledger_matching.py --skip-postgres

Builds a delivery of distinct PNG stills (10 % with a generation record) and a
ledger of approvals: 50 % pinned by sha256 (a few of them to real files), 40 %
path globs spread over the delivery's folders and folders it does not have,
10 % C2PA instance ids. Then it times, with the scan cache warm so the scan
costs the same every time:

- the import of every approval (one CSV, one transaction);
- ``ledger verify`` at that size;
- ``audit_delivery`` with an empty ledger, and with the full one.

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
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import png_file
from provenance.audit.runner import audit_delivery
from provenance.ledger import open_ledger
from provenance.scan.cache import ScanCache

FOLDERS = 400
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
    start = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {elapsed:8.2f} s", flush=True)
    return value, elapsed


def audit(root: Path, ledger: str, cache_path: Path) -> float:
    cache = ScanCache(cache_path)
    try:
        start = time.perf_counter()
        audit_delivery(root, ledger, None, jobs=2, cache=cache)
        return time.perf_counter() - start
    finally:
        cache.close()


def run_store(name: str, empty: str, full: str, csv: Path, root: Path, cache: Path) -> None:
    print(f"{name}:")
    with open_ledger(empty, create=True):
        pass
    with open_ledger(full, create=True) as ledger:
        timed(f"import {csv.stat().st_size // 1024} KiB CSV", lambda: ledger.import_file(csv))
        result, _ = timed("ledger verify", ledger.verify)
        assert result.ok, result.problems[:3]
    audit(root, empty, cache)  # warm the scan cache and the page cache
    base = min(audit(root, empty, cache) for _ in range(2))
    loaded = min(audit(root, full, cache) for _ in range(2))
    print(f"  {'audit, empty ledger (best of 2)':<44} {base:8.2f} s")
    print(f"  {'audit, full ledger (best of 2)':<44} {loaded:8.2f} s")
    print(f"  {'added by the ledger':<44} {loaded - base:8.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=20_000)
    parser.add_argument("--approvals", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="provenance-ledger-bench-"))
    try:
        print(f"{args.assets} assets, {args.approvals} approvals; load {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores", flush=True)
        files, _ = timed("build delivery", lambda: build_delivery(work / "delivery", args.assets))
        csv = approvals_csv(work / "approvals.csv", args.approvals, files)
        run_store("SQLite", str(work / "empty.db"), str(work / "full.db"), csv, work / "delivery", work / "c.db")
        if args.skip_postgres:
            return
        from tests.ledger_stores import fresh_schema, pg_available, pg_cluster

        reason = pg_available()
        if reason:
            print(f"PostgreSQL skipped: {reason}")
            return
        with pg_cluster() as server, contextlib.redirect_stderr(sys.stderr):
            run_store("PostgreSQL", fresh_schema(server), fresh_schema(server), csv, work / "delivery",
                      work / "c.db")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
