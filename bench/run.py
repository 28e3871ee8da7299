"""Benchmark: provenance scan against exiftool and a raw-read floor on one synthetic tree.

    python bench/run.py                    # 20,000 files
    python bench/run.py --files 200000     # memory should stay flat
    python bench/run.py --files 2000 --skip-exiftool   # a quick look while developing
    python bench/run.py --scale            # then S3 (local moto server) + Dask LocalCluster figures

It builds (or reuses) a synthetic delivery of N files (see bench/synth.py),
then times, on the same tree and a warm page cache:

  cold   `provenance scan TREE --format json` with an empty scan cache (best of 3)
  warm   the same command again: the tree is unchanged, so every file is a cache hit (best of 3)
  exif   `exiftool -r -j -fast TREE`
  floor  stat plus the first 64 KiB of every file, one thread, in this process

The scan runs as an installed tool does, with its bytecode compiled first (see
``installed_env``).

and prints wall times, the ratios the targets are stated in, and the peak
resident memory of the scan (the largest single process: the scan or one of
its workers). This is a benchmark, not a test: it prints figures and never
fails on them. Nothing is written into the tree after it is built; the scan
cache lives in a temporary folder beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from bench.synth import build_tree  # noqa: E402

FLOOR_BYTES = 64 * 1024


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    returncode: int


def timed(cmd: list[str], stdout_path: str = os.devnull, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS (largest process in the child's tree) of one command."""
    with open(stdout_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1, 3):
        sys.stderr.write(err.decode("utf-8", "replace"))
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode)


def installed_env() -> dict[str, str]:
    """The environment of an installed tool: the package's bytecode compiled once, up front.

    ``pip install`` compiles bytecode; an editable checkout run with
    ``PYTHONDONTWRITEBYTECODE=1`` (as on CI boxes) compiles every module of the
    package from source on every start, in the scan and in each worker, which is
    start-up cost, not scan cost. The bytecode goes where Python keeps it
    (``__pycache__`` beside the package's sources, ignored by git), so the
    standard library and the dependencies keep using their own installed
    bytecode; never into the delivery.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)  # a prefix would hide the installed bytecode of everything else
    package = os.path.join(os.path.dirname(HERE), "provenance")
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return env


def raw_floor(root: str) -> tuple[float, int]:
    """stat + first 64 KiB of every regular file: what any header reader must at least pay."""
    start = time.perf_counter()
    count = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    entry.stat(follow_symlinks=False)
                    with open(entry.path, "rb", buffering=0) as fh:
                        fh.read(FLOOR_BYTES)
                    count += 1
    return time.perf_counter() - start, count


def ensure_tree(root: str, files: int) -> float:
    """Build the tree unless ``root`` already holds one of this size; seconds spent building."""
    marker = root.rstrip("/") + ".bench.json"
    if os.path.isdir(root) and os.path.exists(marker):
        with open(marker, encoding="utf-8") as fh:
            if json.load(fh).get("files") == files:
                return 0.0
    if os.path.exists(root):
        shutil.rmtree(root)
    start = time.perf_counter()
    written = build_tree(root, files)
    with open(marker, "w", encoding="utf-8") as fh:  # beside the tree, never inside it
        json.dump({"files": files, "bytes": written}, fh)
    # The cache does not trust a file modified within 2 s of its read (coarse
    # mtimes); a real delivery is older than that, so let the fresh tree age.
    time.sleep(2.5)
    return time.perf_counter() - start


def tree_bytes(root: str) -> int:
    with open(root.rstrip("/") + ".bench.json", encoding="utf-8") as fh:
        return sum(json.load(fh)["bytes"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000, help="files in the synthetic tree (default 20000)")
    parser.add_argument("--root", default=None,
                        help="where the tree lives (default: $TMPDIR/provenance-bench-N); reused when present")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for provenance scan (default: its own)")
    parser.add_argument("--executor", choices=("process", "thread"), default="process")
    parser.add_argument("--cold-runs", type=int, default=3,
                        help="cold scans, each with an empty cache; the best is reported, every one printed")
    parser.add_argument("--warm-runs", type=int, default=3, help="warm rescans; the best is reported")
    parser.add_argument("--skip-exiftool", action="store_true")
    parser.add_argument("--scale", action="store_true",
                        help="then the same tree in a local S3 server on a Dask LocalCluster (bench/scale.py)")
    parser.add_argument("--workers", default="1,2,4", help="with --scale: Dask worker counts on local disk")
    args = parser.parse_args()

    root = args.root or os.path.join(tempfile.gettempdir(), f"provenance-bench-{args.files}")
    built = ensure_tree(root, args.files)
    size_mb = tree_bytes(root) / 1e6
    print(f"tree       {root}: {args.files:,} files, {size_mb:,.0f} MB"
          + (f" (built in {built:.1f} s)" if built else " (reused)"))

    scan = [sys.executable, "-m", "provenance", "scan", root, "--format", "json", "--quiet"]
    if args.jobs:
        scan += ["--jobs", str(args.jobs)]
    scan += ["--executor", args.executor]

    with tempfile.TemporaryDirectory(prefix="provenance-bench-cache-") as cache_dir:
        cache = ["--cache", os.path.join(cache_dir, "scan-cache.sqlite3")]
        env = installed_env()
        floor_s, counted = raw_floor(root)  # also warms the page cache for everyone after it
        cold_out = os.path.join(cache_dir, "cold.json")
        # Each cold run with an empty cache of its own; the last one's cache serves the warm runs.
        cold_runs = [timed(scan + ["--cache", os.path.join(cache_dir, f"cold-{n}.sqlite3")], cold_out, env)
                     for n in range(max(1, args.cold_runs) - 1)]
        cold_runs.append(timed(scan + cache, cold_out, env))
        cold = min(cold_runs, key=lambda r: r.seconds)
        warm_runs = [timed(scan + cache, os.path.join(cache_dir, "warm.json"), env)
                     for _ in range(max(1, args.warm_runs))]
        warm = min(warm_runs, key=lambda r: r.seconds)
        same = _same_report(cold_out, os.path.join(cache_dir, "warm.json"))
        assets = len(json.load(open(cold_out, encoding="utf-8"))["assets"])
    exif = None if args.skip_exiftool or not shutil.which("exiftool") else timed(
        ["exiftool", "-r", "-j", "-fast", root])

    n = args.files
    print(f"floor      {floor_s:7.2f} s  {counted / floor_s:9,.0f} files/s  stat + first 64 KiB, 1 thread")
    print(f"cold scan  {cold.seconds:7.2f} s  {n / cold.seconds:9,.0f} files/s  peak {cold.peak_mb:6.1f} MB"
          f"  ({assets:,} assets, exit {cold.returncode}; best of {', '.join(f'{r.seconds:.2f}' for r in cold_runs)})")
    print(f"warm scan  {warm.seconds:7.2f} s  {n / warm.seconds:9,.0f} files/s  peak {warm.peak_mb:6.1f} MB"
          f"  (best of {len(warm_runs)}; report identical to cold: {'yes' if same else 'NO'})")
    if exif is not None:
        print(f"exiftool   {exif.seconds:7.2f} s  {n / exif.seconds:9,.0f} files/s  peak {exif.peak_mb:6.1f} MB"
              "  (-r -j -fast)")
    print()
    if exif is not None:
        print(f"exiftool / cold   {exif.seconds / cold.seconds:6.1f}x   (target >= 20, scale-out issue)")
    print(f"cold / warm       {cold.seconds / warm.seconds:6.1f}x   (target >= 10, scale-out issue)")
    print(f"cold / floor      {cold.seconds / floor_s:6.1f}x   (how far above a bare read of every header)")
    print(f"peak memory       {max(cold.peak_mb, warm.peak_mb):6.1f} MB  "
          f"({max(cold.peak_mb, warm.peak_mb) * 1024 / n:.2f} KB per file; target < 300 MB at 20,000, flat at 200,000)")
    print(f"cpus              {os.cpu_count()}  load average {os.getloadavg()[0]:.2f} (other work on the box skews wall times)")
    if args.scale:
        from bench.scale import report_scale

        print()
        report_scale(root, n, [int(w) for w in args.workers.split(",")], cold.seconds)


def _same_report(a: str, b: str) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


if __name__ == "__main__":
    main()
