"""Option helpers shared by the commands."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import click


def read_trust_anchors(paths: Iterable[Path]) -> str:
    texts = []
    for path in paths:
        text = path.read_text(encoding="ascii", errors="replace")
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise click.BadParameter(f"{path} holds no PEM certificate; pass a PEM file of root certificates",
                                     param_hint="--trust-anchors")
        texts.append(text.strip() + "\n")
    return "".join(texts)


def write_output(text: str, output: Path | None) -> None:
    """Results go to stdout, or atomically to ``output``."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = output.parent if str(output.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
