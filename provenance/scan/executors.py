"""Running the per-file scan over many files at once, results in input order.

Scanners are CPU-bound Python (header walks, signature matching, PNG
inflation) plus native c2pa, so on a local disk a process pool is what scales;
threads only overlap I/O latency, which is what a NAS or SMB share needs.
Both modes send chunks of files to workers and hand results back in the order
they were asked for, so a report is the same whatever ``jobs`` is.

Processes start through ``forkserver`` (``spawn`` where that is missing):
c2pa-python must not be used across ``fork()``, and a fresh interpreter also
keeps a parent's open SQLite cache and logging locks out of the workers. Each
worker receives the registry once and builds its own C2PA readers.

Any executor that maps a chunk function over chunks in order (a Dask client
over fsspec later) can stand in for the two here: the unit of work is
:func:`scan_chunk`, which only needs picklable tuples.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

from provenance.models import FileScan
from provenance.scan.file_scan import scan_path
from provenance.knowledge.registry import ScannerRegistry
from provenance.source import ScanOptions

log = logging.getLogger(__name__)

EXECUTORS = ("process", "thread")
# A chunk is large enough to amortise a round trip to a worker (~0.1 ms) and
# small enough that the last chunks do not leave one core idle for long.
MAX_CHUNK = 64
# Below this many files to read, starting workers costs more than it saves.
MIN_PARALLEL_FILES = 200

Task = tuple[str, str, tuple[tuple[str, str], ...]]  # (abspath, rel, sidecars)


@dataclass(frozen=True)
class WorkerConfig:
    registry: ScannerRegistry
    options: ScanOptions
    propagate_bugs: bool = False


def default_jobs() -> int:
    """The cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def scan_chunk(config: WorkerConfig, tasks: Sequence[Task]) -> list[FileScan]:
    return [scan_path(abspath, rel, config.registry, config.options, sidecars,
                      propagate_bugs=config.propagate_bugs)
            for abspath, rel, sidecars in tasks]


_WORKER_CONFIG: WorkerConfig | None = None


def _init_worker(payload: bytes) -> None:
    global _WORKER_CONFIG
    _WORKER_CONFIG = pickle.loads(payload)


def _scan_chunk_in_worker(tasks: Sequence[Task]) -> list[FileScan]:
    assert _WORKER_CONFIG is not None, "worker started without its configuration"
    return scan_chunk(_WORKER_CONFIG, tasks)


def scan_tasks(tasks: Sequence[Task], config: WorkerConfig, jobs: int,
               executor: str = "process") -> Iterator[FileScan]:
    """One ``FileScan`` per task, in task order."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    jobs = max(1, jobs)
    if jobs == 1 or len(tasks) < MIN_PARALLEL_FILES:
        for start in range(0, len(tasks), MAX_CHUNK):
            yield from scan_chunk(config, tasks[start : start + MAX_CHUNK])
        return
    chunk = max(1, min(MAX_CHUNK, len(tasks) // (jobs * 8)))
    pool, submit = _start(config, jobs, executor)
    try:
        yield from _ordered(pool, submit, tasks, chunk, window=jobs * 4)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start(config: WorkerConfig, jobs: int,
           executor: str) -> tuple[Executor, Callable[[Executor, Sequence[Task]], Future[list[FileScan]]]]:
    if executor == "process":
        try:
            payload = pickle.dumps(config)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            log.warning("scanners cannot be sent to worker processes (%s); using threads", exc)
        else:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                       initializer=_init_worker, initargs=(payload,))
            return pool, lambda p, chunk: p.submit(_scan_chunk_in_worker, chunk)
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="provenance-scan")
    return pool, lambda p, chunk: p.submit(scan_chunk, config, chunk)


def _ordered(pool: Executor, submit: Callable[[Executor, Sequence[Task]], Future[list[FileScan]]],
             tasks: Sequence[Task], chunk: int, window: int) -> Iterator[FileScan]:
    # A bounded window of chunks in flight: memory stays flat however many files
    # there are, and results are drained in submission order.
    in_flight: deque[Future[list[FileScan]]] = deque()
    starts = iter(range(0, len(tasks), chunk))
    for start in starts:
        in_flight.append(submit(pool, tasks[start : start + chunk]))
        if len(in_flight) >= window:
            break
    while in_flight:
        results = in_flight.popleft().result()
        nxt = next(starts, None)
        if nxt is not None:
            in_flight.append(submit(pool, tasks[nxt : nxt + chunk]))
        yield from results


class TaskStream:
    """Tasks that arrive a folder at a time, read by one long-lived pool; results in task order.

    :meth:`put` queues a folder's tasks and returns the results that are due;
    :meth:`finish` returns the rest. At most ``jobs * 4`` chunks are in flight
    (the window of :func:`scan_tasks`), so memory stays flat however long the
    stream. Workers start only once ``MIN_PARALLEL_FILES`` tasks are waiting:
    a small tree, or ``jobs == 1``, is read in this process. ``reader``
    replaces the workers with a function called here, on each task.
    """

    def __init__(self, config: WorkerConfig, jobs: int, executor: str = "process",
                 reader: Callable[[object], FileScan] | None = None) -> None:
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
        self._config = config
        self._jobs = max(1, jobs)
        self._executor = executor
        self._reader = reader
        self._waiting: list[Task] = []  # not yet submitted
        self._in_flight: deque[Future[list[FileScan]]] = deque()
        self._pool: Executor | None = None
        self._submit: Callable[[Executor, Sequence[Task]], Future[list[FileScan]]] | None = None

    def put(self, tasks: Sequence[Task]) -> list[FileScan]:
        if self._reader is not None:
            return [self._reader(t) for t in tasks]
        if self._jobs == 1:
            return scan_chunk(self._config, tasks)
        self._waiting.extend(tasks)
        if self._pool is None:
            if len(self._waiting) < MIN_PARALLEL_FILES:
                return []
            self._pool, self._submit = _start(self._config, self._jobs, self._executor)
        out: list[FileScan] = []
        while len(self._waiting) >= MAX_CHUNK:
            self._send(self._waiting[:MAX_CHUNK])
            del self._waiting[:MAX_CHUNK]
            while len(self._in_flight) >= self._jobs * 4:
                out += self._in_flight.popleft().result()
        while self._in_flight and self._in_flight[0].done():
            out += self._in_flight.popleft().result()
        return out

    def finish(self) -> list[FileScan]:
        """The results of every task still waiting or in flight."""
        waiting, self._waiting = self._waiting, []
        if self._pool is None:
            out: list[FileScan] = []
            for start in range(0, len(waiting), MAX_CHUNK):
                out += scan_chunk(self._config, waiting[start : start + MAX_CHUNK])
            return out
        # The tail in small chunks, so the last files spread over all workers.
        chunk = max(1, min(MAX_CHUNK, len(waiting) // self._jobs))
        for start in range(0, len(waiting), chunk):
            self._send(waiting[start : start + chunk])
        out = []
        while self._in_flight:
            out += self._in_flight.popleft().result()
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> TaskStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, chunk: Sequence[Task]) -> None:
        assert self._pool is not None and self._submit is not None
        self._in_flight.append(self._submit(self._pool, list(chunk)))
