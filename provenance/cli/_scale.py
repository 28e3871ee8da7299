"""Options for where a delivery lives and where its files are read: shared by scan and audit."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from provenance.scan.executors import EXECUTORS
from provenance.scan.roots import is_url


def scale_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--executor, --scheduler, --endpoint-url and --storage-option."""
    for option in reversed((
        click.option("--executor", type=click.Choice(EXECUTORS), default="process", show_default=True,
                     help="Where files are read: processes for local disks (CPU-bound), threads for network "
                          "storage (latency-bound), dask for a Dask cluster."),
        click.option("--scheduler", metavar="ADDRESS", default=None,
                     help="With --executor dask: join this Dask scheduler (default: $DASK_SCHEDULER_ADDRESS, "
                          "else a local cluster of --jobs workers that stops with the command)."),
        click.option("--endpoint-url", metavar="URL", default=None,
                     help="For s3:// roots: an S3-compatible endpoint (default: $AWS_ENDPOINT_URL, else AWS)."),
        click.option("--storage-option", "storage_option", metavar="KEY=VALUE", multiple=True,
                     help="An fsspec option for URL roots, e.g. anon=true or profile=NAME (repeatable)."),
    )):
        f = option(f)
    return f


def storage_options(endpoint_url: str | None, pairs: tuple[str, ...]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE; write e.g. anon=true",
                                     param_hint="--storage-option")
        options[key] = {"true": True, "false": False}.get(value.lower(), value)
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    return options


def check_root(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Click callback: a local root must be an existing folder; URLs are checked when listed."""
    for item in value if isinstance(value, tuple) else (value,):
        if item is None or is_url(item):
            continue
        path = item[len("file://"):] if item.startswith("file://") else item
        if not os.path.isdir(path):
            what = "is not a folder" if os.path.exists(path) else "does not exist"
            raise click.BadParameter(f"{item} {what}; pass a delivery folder or an s3:// URL",
                                     ctx=ctx, param=param)
    return value


def check_paths(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Click callback for ``scan``: each local path must exist (a folder or a file)."""
    for item in value:
        path = item[len("file://"):] if item.startswith("file://") else item
        if not is_url(item) and not os.path.exists(path):
            raise click.BadParameter(f"{item} does not exist; pass delivery folders, files or s3:// URLs",
                                     ctx=ctx, param=param)
    return value
