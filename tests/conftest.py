from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PROVENANCE_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "INDEX.tsv").is_file():
        pytest.skip(f"real-file corpus not found at {CORPUS} (set PROVENANCE_CORPUS)")
    return CORPUS


@pytest.fixture(autouse=True)
def _private_scan_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans and audits in tests cache into a temporary folder, never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    # Nor does a user's own policy (trusted approver keys) leak into a test.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


from tests.ledger_stores import ledger_location, pg_server, store_kind  # noqa: E402,F401  (shared ledger fixtures)


def need(module: str, package: str) -> None:
    """Skip when a real component's package is missing, naming it; under CI=true fail instead."""
    from tests.external import require_module

    require_module(module, f"{package}; pip install -e '.[test]'")


@pytest.fixture(scope="session")
def aws_env() -> Iterator[None]:
    """Fake credentials for the local S3 server, set before any worker process starts."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                           ("AWS_DEFAULT_REGION", "us-east-1")):
            patch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            patch.delenv(key, raising=False)
        yield


@pytest.fixture(scope="session")
def s3_endpoint(aws_env: None) -> Iterator[str]:
    """A real S3 API server (moto in server mode) on 127.0.0.1, on a free port; s3fs talks HTTP to it."""
    need("moto.server", "moto[server]")
    need("s3fs", "s3fs")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3fs_client(s3_endpoint: str) -> object:
    import s3fs

    return s3fs.S3FileSystem(endpoint_url=s3_endpoint)


@pytest.fixture(scope="session")
def dask_scheduler(aws_env: None) -> Iterator[str]:
    """A real distributed.LocalCluster (2 worker processes, 1 thread each), shared by the session.

    Workers are restarted by their nannies when killed; a task is given up
    (KilledWorker) after two worker deaths, so the worker-kill tests stay short.
    """
    need("distributed", "dask[distributed]")
    import dask
    import distributed

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", host="127.0.0.1")
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
