"""Benchmark: what the per-file scan costs, by media type and by scanner, in one process.

    python bench/scanners.py                  # the 20,000-file tree of bench/run.py
    python bench/scanners.py --files 2000     # a quick look while developing
    python bench/scanners.py --repeat 3       # best of three passes

``bench/run.py`` times the whole command: walk, worker pool, sequence
grouping, cache and report. This isolates the part the workers run for each
file (open, sniff, every scanner that accepts the file, the result), with no
pool and no parent work, so a change to a scanner shows up in its own row
instead of in the noise of a 2-core box. Each pass opens every file of the
tree as a scan does (read-only, O_NOATIME) on a warm page cache. It prints
microseconds per file; it never fails on them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from bench.run import ensure_tree  # noqa: E402
from provenance.errors import InputError  # noqa: E402
from provenance.knowledge.sniff import sniff  # noqa: E402
from provenance.scan.file_scan import scan_path  # noqa: E402
from provenance.scanners import default_registry  # noqa: E402
from provenance.source import ByteSource, ScanInput, ScanOptions  # noqa: E402


def files_of(root: str) -> list[tuple[str, str]]:
    out = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            out.append((path, os.path.relpath(path, root)))
    return sorted(out)


def whole_scans(files: list[tuple[str, str]], repeat: int) -> float:
    """Best wall time of ``scan_path`` over every file: what one worker spends."""
    registry, options = default_registry(), ScanOptions()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for path, rel in files:
            scan_path(path, rel, registry, options)
        best = min(best, time.perf_counter() - start)
    return best


def by_scanner(files: list[tuple[str, str]]) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds and files per (scanner, media type), plus the open and read of the head."""
    registry, options = default_registry(), ScanOptions()
    spent: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    clock = time.perf_counter
    for path, rel in files:
        start = clock()
        with ByteSource.open(path) as source:
            media_type = sniff(source.head)
            spent["open, head, sniff"] += clock() - start
            count["open, head, sniff"] += 1
            item = ScanInput(rel, media_type, source, options=options)
            for scanner in registry.for_media_type(media_type):
                start = clock()
                try:
                    scanner.scan(item)
                except InputError:
                    pass
                key = f"{scanner.id} on {media_type}"
                spent[key] += clock() - start
                count[key] += 1
    return spent, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--root", help="the tree (default: $TMPDIR/provenance-bench-N, shared with run.py)")
    parser.add_argument("--repeat", type=int, default=3, help="passes of the whole scan; the best is shown")
    args = parser.parse_args()
    root = args.root or os.path.join(tempfile.gettempdir(), f"provenance-bench-{args.files}")
    ensure_tree(root, args.files)
    files = files_of(root)
    # One pass first: imports, the C2PA context and the signature caches are start-up, not per file.
    by_scanner(files[:200])

    total = whole_scans(files, max(1, args.repeat))
    print(f"scan_path  {total:6.2f} s  {total / len(files) * 1e6:6.1f} us a file  ({len(files):,} files, one process)")
    spent, count = by_scanner(files)
    print(f"{'':28s} {'us a file':>10s} {'files':>8s} {'share':>6s}")
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"{key:28s} {seconds / count[key] * 1e6:10.1f} {count[key]:8,d} {seconds / total:6.1%}")
    print(f"load average {os.getloadavg()[0]:.2f} (other work on the box skews these)")


if __name__ == "__main__":
    main()
