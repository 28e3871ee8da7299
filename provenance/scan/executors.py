"""Running the per-file scan over many files at once, results in input order.

Scanners are CPU-bound Python (header walks, signature matching, PNG
inflation) plus native c2pa, so on a local disk a process pool is what scales;
threads only overlap I/O latency, which is what a NAS or SMB share needs; a
Dask cluster (:mod:`provenance.scan.dask_executor`) is what scales past one
machine. All of them receive chunks of tasks and hand results back in the
order they were asked for, so a report is the same whatever ``jobs`` or the
executor is.

The seam is a *session* (one per command, shared by every root it scans) that
makes *backends* (one per scan configuration). A backend submits a chunk and
returns a future-like object (``done()``, ``result()``). :class:`TaskStream`
only talks to that interface; :data:`SESSIONS` maps an executor name to its
session, so adding an executor is one entry there, not a branch in the scan.

Processes start by ``fork`` only when that is safe (see :func:`start_method`:
Linux, no other thread in this process, c2pa-python not loaded here), which
makes workers ready in a tenth of a second; otherwise through ``forkserver``
(``spawn`` where that is missing): c2pa-python must not be used across
``fork()``, and a fresh interpreter keeps a parent's other threads' locks out
of the workers. A forked worker never touches the parent's SQLite cache and
leaves with ``os._exit``. Each worker receives the registry once and builds
its own C2PA readers.

A task is ``(path, rel, sidecars[, size])``: a local path or an object in the
configured storage, never bytes. The unit of work is :func:`scan_chunk_counted`,
which also returns the bytes each file cost (ranged, whole-object).
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from provenance.knowledge.registry import ScannerRegistry
from provenance.models import FileScan
from provenance.scan.file_scan import scan_path_counted
from provenance.source import LOCAL, LocalStorage, ScanOptions
from provenance.source.remote import FsspecStorage

if TYPE_CHECKING:
    from concurrent.futures import Executor

log = logging.getLogger(__name__)

# A chunk is large enough to amortise a round trip to a worker and small enough
# that the last chunks do not leave one core idle for long (the tail is split
# evenly over the workers in any case, see TaskStream.finish). Each session says its
# own: a local process pool pays a pickle, a pipe round trip and wake-ups of the
# pool's threads per chunk (on a 20,000-file cold scan, 1,024 files a task cost
# 0.2 s less CPU than 64 and ran 0.1 s faster than 256); threads on network storage
# wait on latency, so small chunks spread the files over more of them; Dask keeps 64.
MAX_CHUNK = 64
PROCESS_CHUNK = 1024
THREAD_CHUNK = 16
# Below this many files to read, starting local workers costs more than it saves.
MIN_PARALLEL_FILES = 200

Task = tuple[Any, ...]  # (path, rel, sidecars) or (path, rel, sidecars, size)
Counts = tuple[int, int]  # bytes read: (ranged, whole-object)
ChunkResult = tuple[list[FileScan], list[Counts]]


@dataclass(frozen=True)
class WorkerConfig:
    registry: ScannerRegistry
    options: ScanOptions
    propagate_bugs: bool = False
    storage: LocalStorage | FsspecStorage = field(default=LOCAL)


def default_jobs() -> int:
    """The cores this process may use (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def scan_chunk_counted(config: WorkerConfig, tasks: Sequence[Task]) -> ChunkResult:
    scans: list[FileScan] = []
    counts: list[Counts] = []
    # Frames of one sequence usually scan equal: one object per distinct scan is pickled once
    # and unpickled once, instead of once per frame.
    distinct: dict[FileScan, FileScan] = {}
    for task in tasks:
        scan, count = scan_path_counted(task[0], task[1], config.registry, config.options, task[2],
                                        propagate_bugs=config.propagate_bugs, storage=config.storage,
                                        size=task[3] if len(task) > 3 else -1)
        scans.append(distinct.setdefault(scan, scan))
        counts.append((count.ranged, count.streamed))
    return scans, counts


def scan_chunk(config: WorkerConfig, tasks: Sequence[Task]) -> list[FileScan]:
    return scan_chunk_counted(config, tasks)[0]


class ChunkFuture(Protocol):
    def done(self) -> bool: ...
    def result(self) -> ChunkResult: ...


class Backend(Protocol):
    def submit(self, chunk: Sequence[Task]) -> ChunkFuture: ...
    def close(self) -> None: ...


class Session(Protocol):
    """What one command holds while it runs: local pools or a Dask client."""

    workers: int  # parallel readers, for the window and chunk sizes
    chunk: int  # files per task sent to a reader
    inline: bool  # read in this process (one local worker): no backend at all
    min_files: int  # tasks waiting before a backend is worth starting

    def backend(self, config: WorkerConfig, work: Callable[[WorkerConfig, list[Task]], ChunkResult]) -> Backend: ...
    def close(self) -> None: ...


_WORKER_CONFIG: WorkerConfig | None = None


def _init_worker(payload: bytes) -> None:
    global _WORKER_CONFIG
    _WORKER_CONFIG = pickle.loads(payload)
    # As in the command (provenance.cli.main): a worker allocates only small acyclic records,
    # so the collector need not walk them every 700 allocations.
    gc.set_threshold(50_000, 20, 100)


def _scan_chunk_in_worker(tasks: Sequence[Task]) -> ChunkResult:
    assert _WORKER_CONFIG is not None, "worker started without its configuration"
    return scan_chunk_counted(_WORKER_CONFIG, tasks)


class _PoolBackend:
    def __init__(self, pool: Executor, submit: Callable[[Executor, Sequence[Task]], ChunkFuture]) -> None:
        self._pool = pool
        self._submit = submit

    def submit(self, chunk: Sequence[Task]) -> ChunkFuture:
        return self._submit(self._pool, chunk)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class LocalSession:
    """Process or thread pools on this machine, one per configuration, started when needed."""

    min_files = MIN_PARALLEL_FILES

    def __init__(self, kind: str, jobs: int) -> None:
        self.kind = kind
        self.workers = max(1, jobs)
        self.inline = self.workers == 1
        self.chunk = PROCESS_CHUNK if kind == "process" else THREAD_CHUNK

    def backend(self, config: WorkerConfig, work: Callable[[WorkerConfig, list[Task]], ChunkResult]) -> Backend:
        # Imported here: a warm rescan reads no file and starts no pool, and these cost it ~10 ms.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

        jobs = self.workers
        if self.kind == "process":
            try:
                payload = pickle.dumps(config)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                log.warning("scanners cannot be sent to worker processes (%s); using threads", exc)
            else:
                context = multiprocessing.get_context(start_method())
                log.debug("scan workers start by %s", context.get_start_method())
                if context.get_start_method() == "forkserver":
                    # The server imports our code once and each worker forks from it, instead of
                    # every worker importing it again (a fifth of a second each). Only imports:
                    # no scanner runs there, so nothing of c2pa's crosses a fork.
                    context.set_forkserver_preload([__name__, *config.registry.modules()])
                pool: Executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                                     initializer=_init_worker, initargs=(payload,))
                return _PoolBackend(pool, lambda p, chunk: p.submit(_scan_chunk_in_worker, chunk))
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="provenance-scan")
        return _PoolBackend(pool, lambda p, chunk: p.submit(work, config, chunk))

    def close(self) -> None:
        pass


def start_method() -> str:
    """How local worker processes start: ``fork`` when it is safe here and now, else a fresh interpreter.

    Safe means Linux (macOS system libraries break across fork), this thread
    the only one (a lock held by another thread at fork time stays held in the
    child forever: the progress display, a Dask client) and c2pa-python not yet
    loaded in this process (its native state must not cross a fork). The
    scan's parent meets all three unless it already read a file itself.
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if (sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1
            and "c2pa" not in sys.modules):
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _dask_session(jobs: int, scheduler: str | None) -> Session:
    from provenance.scan.dask_executor import DaskSession

    return DaskSession(jobs, scheduler)


SESSIONS: dict[str, Callable[[int, str | None], Session]] = {
    "process": lambda jobs, scheduler: LocalSession("process", jobs),
    "thread": lambda jobs, scheduler: LocalSession("thread", jobs),
    "dask": _dask_session,
}
EXECUTORS = tuple(SESSIONS)


def open_session(executor: str, jobs: int, scheduler: str | None = None) -> Session:
    """The session for ``executor``; close it when the command is done."""
    if executor not in SESSIONS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    return SESSIONS[executor](max(1, jobs), scheduler)


def scan_tasks(tasks: Sequence[Task], config: WorkerConfig, jobs: int,
               executor: str = "process") -> Iterator[FileScan]:
    """One ``FileScan`` per task, in task order."""
    with TaskStream(config, jobs, executor) as stream:
        for start in range(0, len(tasks), MAX_CHUNK):
            yield from stream.put(tasks[start : start + MAX_CHUNK])
        yield from stream.finish()


class TaskStream:
    """Tasks that arrive a folder at a time, read by one long-lived backend; results in task order.

    :meth:`put` queues a folder's tasks and returns the results that are due;
    :meth:`finish` returns the rest. At most ``workers * 4`` chunks are in
    flight, so memory stays flat however long the stream. A local backend
    starts only once ``MIN_PARALLEL_FILES`` tasks are waiting: a small tree, or
    ``jobs == 1``, is read in this process. ``reader`` replaces the workers
    with a function called here, on each task. ``session`` is shared by the
    caller's other scans (and closed by the caller); without one, the stream
    opens its own and closes it. ``on_counts`` receives, per file in task
    order, the bytes read: (ranged, whole-object).
    """

    def __init__(self, config: WorkerConfig, jobs: int, executor: str = "process",
                 reader: Callable[[Task], FileScan] | None = None, *, session: Session | None = None,
                 scheduler: str | None = None, on_counts: Callable[[Counts], None] | None = None) -> None:
        if executor not in SESSIONS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
        self._config = config
        self._jobs = max(1, jobs)
        self._executor = executor
        self._scheduler = scheduler
        self._reader = reader
        self._session = session
        self._own_session = session is None
        self._on_counts = on_counts
        self._waiting: list[Task] = []  # not yet submitted
        self._in_flight: deque[ChunkFuture] = deque()
        self._backend: Backend | None = None

    def put(self, tasks: Sequence[Task]) -> list[FileScan]:
        if self._reader is not None:
            return [self._reader(t) for t in tasks]
        session = self._get_session()
        if session.inline:
            return self._take(scan_chunk_counted(self._config, tasks))
        self._waiting.extend(tasks)
        if self._backend is None:
            if len(self._waiting) < session.min_files:
                return []
            self._backend = session.backend(self._config, scan_chunk_counted)
        out: list[FileScan] = []
        window = session.workers * 4
        size = session.chunk
        while len(self._waiting) >= size:
            self._send(self._waiting[:size])
            del self._waiting[:size]
            while len(self._in_flight) >= window:
                out += self._take(self._in_flight.popleft().result())
        while self._in_flight and self._in_flight[0].done():
            out += self._take(self._in_flight.popleft().result())
        return out

    def finish(self) -> list[FileScan]:
        """The results of every task still waiting or in flight."""
        waiting, self._waiting = self._waiting, []
        if not waiting and not self._in_flight:
            return []
        session = self._get_session()
        if self._backend is None and waiting and len(waiting) >= session.min_files and not session.inline:
            self._backend = session.backend(self._config, scan_chunk_counted)
        if self._backend is None:
            out: list[FileScan] = []
            for start in range(0, len(waiting), MAX_CHUNK):
                out += self._take(scan_chunk_counted(self._config, waiting[start : start + MAX_CHUNK]))
            return out
        # The tail in small chunks, so the last files spread over all workers.
        chunk = max(1, min(session.chunk, len(waiting) // session.workers))
        for start in range(0, len(waiting), chunk):
            self._send(waiting[start : start + chunk])
        out = []
        while self._in_flight:
            out += self._take(self._in_flight.popleft().result())
        return out

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        if self._own_session and self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> TaskStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get_session(self) -> Session:
        if self._session is None:
            self._session = open_session(self._executor, self._jobs, self._scheduler)
        return self._session

    def _take(self, result: ChunkResult) -> list[FileScan]:
        scans, counts = result
        if self._on_counts is not None:
            for count in counts:
                self._on_counts(count)
        return scans

    def _send(self, chunk: Sequence[Task]) -> None:
        assert self._backend is not None
        self._in_flight.append(self._backend.submit(list(chunk)))
