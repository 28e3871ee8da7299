"""A delivery root: a local folder (or ``file://``) or an fsspec URL (``s3://bucket/prefix/``).

Everything the scan needs to know about where a delivery lives is here: how
to walk it, how workers open its files (the storage, sent with each task),
what the report calls it and what the cache keys it by. Plain paths keep the
local walker and byte source (``O_NOATIME`` and all); any other protocol fsspec
knows goes through :mod:`provenance.scan.walk_fsspec` and
:mod:`provenance.source.remote`.

Storage failures become one :class:`~provenance.errors.UsageError` line that
names the problem and the fix (:func:`storage_error`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from provenance.errors import UsageError
from provenance.models import ScanIssue, Skipped
from provenance.scan.walk import FileEntry, TreeWalk, display_name
from provenance.source import LOCAL, LocalStorage
from provenance.source.remote import FsspecStorage


def is_url(text: str) -> bool:
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.isidentifier() and scheme != "file"


@dataclass(frozen=True)
class DeliveryRoot:
    display: str  # the report's root: an absolute path or a normalised URL
    key: str  # the cache's root key
    path: str  # a local absolute path, or the fsspec path (bucket/prefix, no protocol)
    storage: LocalStorage | FsspecStorage = field(default=LOCAL)
    only: str | None = None  # a single file of this folder was named, not the folder

    @property
    def remote(self) -> bool:
        return self.storage.remote

    def walk(self, follow_symlinks: bool = False) -> Any:
        walk = self._walk(follow_symlinks)
        return walk if self.only is None else OneFileWalk(walk, self.only)

    def _walk(self, follow_symlinks: bool) -> TreeWalk:
        if not self.remote:
            return TreeWalk(self.path, follow_symlinks=follow_symlinks)
        from provenance.scan.walk_fsspec import FsspecTreeWalk

        assert isinstance(self.storage, FsspecStorage)
        walk = FsspecTreeWalk(self.storage.fs, self.path, self.display)
        try:
            walk.check_root()
        except Exception as exc:  # noqa: BLE001 - storage libraries raise their own types
            raise storage_error(exc, self.display) from None
        return walk

    def path_of(self, rel: str) -> str:
        """Where the walk puts ``rel`` when nothing (a symlink, an odd name) moved it."""
        return f"{self.path}/{rel}" if self.remote else os.path.join(self.path, rel)


def parse_root(text: str | os.PathLike[str], storage_options: dict[str, Any] | None = None) -> DeliveryRoot:
    """The root named by a path, a ``file://`` URL or any fsspec URL."""
    text = os.fspath(text)
    if text.startswith("file://"):
        text = text[len("file://"):]
    if not is_url(text):
        return DeliveryRoot(os.path.abspath(text), os.path.realpath(text), os.path.abspath(text))
    protocol, _, rest = text.partition("://")
    options = dict(storage_options or {})
    storage = FsspecStorage(protocol, options)
    try:
        fs = storage.fs
    except (ImportError, ValueError) as exc:
        extra = "pip install 'provenance[s3]'" if protocol in ("s3", "s3a") else f"install the fsspec package for {protocol}://"
        raise UsageError(f"{protocol}:// roots need a storage library that is not installed ({exc}); {extra}") from None
    except TypeError as exc:
        raise UsageError(f"a storage option was not understood by {protocol}:// ({exc}); "
                         "check the --storage-option names") from None
    path = fs._strip_protocol(text).rstrip("/")
    display = f"{protocol}://{path}"
    endpoint = options.get("endpoint_url") or (options.get("client_kwargs") or {}).get("endpoint_url")
    key = f"{display} @{endpoint}" if endpoint else display
    return DeliveryRoot(display, key, path, storage)


def parse_argument(text: str, storage_options: dict[str, Any] | None = None) -> DeliveryRoot:
    """A command-line path: a folder or prefix, or a single file or object (then its folder, ``only`` it).

    For a URL this asks the store once whether the name is an object (one
    metadata request for a name given on the command line, never per listed object).
    """
    where = parse_root(text, storage_options)
    if not where.remote:
        if os.path.isfile(where.path):
            parent, name = os.path.split(where.path)
            return dataclasses.replace(where, display=parent, key=os.path.realpath(parent), path=parent, only=name)
        return where
    try:
        info = where.storage.fs.info(where.path)  # type: ignore[union-attr]
    except FileNotFoundError:
        return where  # a prefix (or nothing: the walk says which)
    except Exception as exc:  # noqa: BLE001 - storage libraries raise their own types
        raise storage_error(exc, where.display) from None
    if info.get("type") != "file":
        return where
    parent, _, name = where.path.rpartition("/")
    protocol = where.display.partition("://")[0]
    display = f"{protocol}://{parent}"
    key = where.key.replace(where.display, display, 1)
    return dataclasses.replace(where, display=display, key=key, path=parent, only=name)


class OneFileWalk:
    """The walk of one named file: its folder's first listing, kept to that file and its sidecars."""

    package_manifest: str | None = None  # a single file is not a delivery: no manifest, no policy
    policy_file: str | None = None

    def __init__(self, inner: TreeWalk, name: str) -> None:
        self._inner = inner
        self._name = name
        if hasattr(inner, "sidecar_signature"):
            self.sidecar_signature = inner.sidecar_signature

    def directories(self) -> Iterator[list[tuple[str, FileEntry]]]:
        for batch in self._inner.directories():
            kept = [(raw, entry) for raw, entry in batch if raw == self._name]
            if kept:
                yield kept
            return  # the folder itself comes first; nothing below it was named

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        shown = display_name(self._name)
        return tuple(s for s in self._inner.skipped if s.path == shown or s.reason == f"sidecar of {shown}")

    @property
    def problems(self) -> tuple[ScanIssue, ...]:
        return ()


_NO_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
                   "DefaultCredentialsError"}
_UNREACHABLE = {"EndpointConnectionError", "ConnectTimeoutError", "ConnectionError", "ClientConnectorError",
                "ServerTimeoutError", "ReadTimeoutError", "ProxyConnectionError", "ClientOSError"}


def storage_error(exc: BaseException, url: str) -> UsageError:
    """One line for a storage failure at the start of a scan: the problem, then the fix."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if names & _NO_CREDENTIALS:
        return UsageError(f"no credentials for {url} ({text}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                          "or AWS_PROFILE (or the store's own variables), or --storage-option anon=true "
                          "for a public bucket")
    if names & _UNREACHABLE or isinstance(exc, (TimeoutError, ConnectionError)):
        return UsageError(f"cannot reach the storage endpoint for {url} ({text}); check --endpoint-url "
                          "(or AWS_ENDPOINT_URL) and the network")
    if isinstance(exc, PermissionError):
        return UsageError(f"access to {url} was refused ({text}); check the credentials "
                          "(AWS_ACCESS_KEY_ID / AWS_PROFILE) and that they may list and read this bucket")
    if isinstance(exc, FileNotFoundError):
        if "bucket" in text.lower():
            return UsageError(f"bucket not found for {url} ({text}); check the bucket name and --endpoint-url")
        return UsageError(f"nothing found at {url}; check the prefix (object keys are case-sensitive)")
    return UsageError(f"cannot list {url} ({type(exc).__name__}: {text}); check the URL, credentials and endpoint")
