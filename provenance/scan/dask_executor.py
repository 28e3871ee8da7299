"""Per-file scans as Dask tasks (``--executor dask``), behind the same seam as the local pools.

The client sends chunks of tasks (paths or URLs, sizes and sidecar paths:
never file bytes) with the scan configuration (scanner registry, options,
storage protocol and options).
Results come back in submission order through the caller's bounded window.
Dask reschedules a task whose worker died; when a chunk keeps killing workers
(``KilledWorker``) its files are retried one per task, and a file that still
kills its worker becomes a per-file error, as a failing file does locally.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from provenance.errors import UsageError
from provenance.models import FileScan, ScanIssue

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
WORKER_LOST = "worker-lost"


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError("--executor dask needs Dask's distributed scheduler: pip install 'provenance[dask]'") from None
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # distributed sets its own loggers to INFO and they reach our stderr handler: some thirty
        # lines (nanny, worker, client) per run. Without -v a scan prints only what matters.
        logging.getLogger("distributed").setLevel(logging.WARNING)
    return distributed


class DaskSession:
    """One Dask client for a whole command (several roots share its cluster).

    With ``address`` (or ``$DASK_SCHEDULER_ADDRESS``) it joins that scheduler;
    otherwise a ``LocalCluster`` of ``workers`` single-threaded processes starts
    here and stops with :meth:`close`.
    """

    inline = False
    min_files = 1  # asked for explicitly: even one file goes to the cluster
    chunk = 64  # files per Dask task: a lost worker costs at most this much rework

    def __init__(self, workers: int, address: str | None = None) -> None:
        distributed = _import_distributed()
        address = address or os.environ.get(SCHEDULER_ENV) or None
        self._cluster = None
        try:
            if address:
                self.client = distributed.Client(address, timeout="10s", set_as_default=False)
            else:
                self._cluster = distributed.LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                                         processes=True, dashboard_address=":0", host="127.0.0.1")
                self.client = distributed.Client(self._cluster, set_as_default=False)
        except OSError as exc:
            self.close()
            raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}; start one "
                             "(dask scheduler) or drop --scheduler to run a local cluster") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def backend(self, config: Any, work: Callable[[Any, list[Any]], Any]) -> DaskBackend:
        return DaskBackend(self.client, config, work)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


class DaskBackend:
    """Submits chunks to a Dask client; each submission is a future-like object."""

    def __init__(self, client: Any, config: Any, work: Callable[[Any, list[Any]], Any]) -> None:
        self._client = client
        self._work = work  # a module-level function: workers import it by name
        # Sent with each chunk (a few kB), not scattered: scattered data dies with
        # the workers holding it, and this backend must outlive killed workers.
        self._config = config

    def submit(self, chunk: Sequence[Any]) -> _ChunkFuture:
        tasks = list(chunk)
        return _ChunkFuture(self, tasks, self._client.submit(self._work, self._config, tasks, pure=False))

    def resubmit_one(self, task: Any) -> Any:
        return self._client.submit(self._work, self._config, [task], pure=False)

    def close(self) -> None:
        pass


class _ChunkFuture:
    """``done()`` and ``result()`` like a concurrent future, with the KilledWorker fallback."""

    def __init__(self, backend: DaskBackend, tasks: list[Any], future: Any) -> None:
        self._backend = backend
        self._tasks = tasks
        self._future = future

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> tuple[list[FileScan], list[tuple[int, int]]]:
        distributed = _import_distributed()
        try:
            return self._future.result()
        except distributed.KilledWorker:
            pass
        # Some file in this chunk keeps killing workers: find it by reading each alone.
        singles = [self._backend.resubmit_one(task) for task in self._tasks]
        scans: list[FileScan] = []
        counts: list[tuple[int, int]] = []
        for future in singles:
            try:
                one_scan, one_count = future.result()
            except distributed.KilledWorker:
                one_scan = [FileScan(media_type="application/octet-stream", errors=(ScanIssue(
                    WORKER_LOST, "reading this file killed the Dask worker on every attempt"),))]
                one_count = [(0, 0)]
            scans += one_scan
            counts += one_count
        return scans, counts
