"""Benchmark: the same synthetic tree in a local S3 server, scanned on a Dask LocalCluster.

    python bench/run.py --files 20000 --scale         # after the local figures
    python bench/scale.py --files 2000 --workers 1,2  # on its own

It uploads the tree built by bench/synth.py to a moto S3 server on
127.0.0.1 (in this process), then times, with no scan cache:

  s3+dask   every file read through ranged GETs by a LocalCluster's workers;
            files per second, and the median and 90th percentile of the bytes
            fetched per file (ranged, and whole-object reads apart)
  local+dask N   the tree on local disk with 1, 2, 4 … Dask workers (one thread
            each): throughput and the per-worker figure a projection needs

The cluster's start-up is timed apart from the scan. moto is a Python server
sharing this process's cores, so the S3 row is a floor for what the client and
workers do, not a measure of S3 itself. Prints figures; never fails on them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def _dask_scan(root: str, workers: int, options: dict | None = None) -> tuple[float, float, int, list[tuple[int, int]]]:
    """(cluster start-up s, scan s, assets, per-file byte counts) for one scan on a fresh LocalCluster."""
    from provenance.scan.executors import open_session
    from provenance.scan.roots import parse_root
    from provenance.scan.runner import ScanSettings, scan_tree
    from provenance.scanners import default_registry

    registry = default_registry()
    start = time.perf_counter()
    session = open_session("dask", workers)
    started = time.perf_counter() - start
    counts: list[tuple[int, int]] = []
    try:
        begin = time.perf_counter()
        report = scan_tree(parse_root(root, options), registry, ScanSettings(executor="dask", jobs=workers),
                           session=session, on_counts=counts.append)
        seconds = time.perf_counter() - begin
    finally:
        session.close()
    return started, seconds, len(report.assets), counts


def upload(root: str) -> tuple[str, float]:
    """A moto S3 server on 127.0.0.1 holding the tree under s3://bench/tree; (endpoint, seconds)."""
    from moto.server import ThreadedMotoServer
    import s3fs

    for key, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    fs = s3fs.S3FileSystem(endpoint_url=endpoint)
    fs.mkdir("bench")
    start = time.perf_counter()
    fs.put(root.rstrip("/") + "/", "bench/tree/", recursive=True)
    return endpoint, time.perf_counter() - start


def report_scale(root: str, files: int, workers: list[int], local_cold_s: float | None = None) -> None:
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    endpoint, up_s = upload(root)
    print(f"s3 upload  {up_s:7.2f} s  to a moto server at {endpoint} (not part of any figure below)")
    w = max(workers)
    boot, secs, assets, counts = _dask_scan("s3://bench/tree", w, {"endpoint_url": endpoint})
    per_file = sorted(r + s for r, s in counts)
    ranged = sorted(r for r, _ in counts)
    streamed = sum(s for _, s in counts)
    print(f"s3+dask{w}   {secs:7.2f} s  {files / secs:9,.0f} files/s  cluster start {boot:.1f} s  ({assets:,} assets)")
    print(f"  bytes/file  median {statistics.median(per_file) / 1024:7.1f} KiB  "
          f"p90 {per_file[int(len(per_file) * 0.9)] / 1024:7.1f} KiB  max {per_file[-1] / 1024:7.1f} KiB  "
          f"(target median <= 128 KiB); ranged median {statistics.median(ranged) / 1024:.1f} KiB, "
          f"whole-object reads {streamed / 1e6:.1f} MB in all")
    if local_cold_s:
        print(f"  process pool on local disk, same tree: {files / local_cold_s:9,.0f} files/s (the cold scan above)")
    for n in workers:
        boot, secs, assets, _ = _dask_scan(root, n)
        print(f"local+dask{n} {secs:7.2f} s  {files / secs:9,.0f} files/s  {files / secs / n:8,.0f} per worker  "
              f"cluster start {boot:.1f} s")
    print(f"cpus              {os.cpu_count()}  load average {os.getloadavg()[0]:.2f}")


def main() -> None:
    from bench.run import ensure_tree

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--root", default=None)
    parser.add_argument("--workers", default="1,2,4", help="Dask worker counts for the local-disk rows")
    args = parser.parse_args()
    root = args.root or os.path.join(tempfile.gettempdir(), f"provenance-bench-{args.files}")
    ensure_tree(root, args.files)
    report_scale(root, args.files, [int(n) for n in args.workers.split(",")])


if __name__ == "__main__":
    main()
