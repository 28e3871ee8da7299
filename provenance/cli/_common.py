"""Option helpers shared by the commands."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from provenance.source.noatime import read_text


def read_trust_anchors(paths: Iterable[Path]) -> str:
    texts = []
    for path in paths:
        try:
            text = read_text(path, encoding="ascii", errors="replace")[0]  # O_NOATIME: may sit in the delivery
        except OSError as exc:
            raise click.BadParameter(f"cannot read {path} ({exc.strerror or exc})", param_hint="--trust-anchors") from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise click.BadParameter(f"{path} holds no PEM certificate; pass a PEM file of root certificates",
                                     param_hint="--trust-anchors")
        texts.append(text.strip() + "\n")
    return "".join(texts)


class OutputError(click.ClickException):
    """The report could not be written; exit 2, as for other bad input."""

    exit_code = 2


def checked_output(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Click callback: fail before any work when the report's folder does not exist."""
    if value is not None and not value.parent.is_dir():
        raise click.BadParameter(f"folder {value.parent} does not exist; create it or pick another path",
                                 ctx=ctx, param=param)
    return value


def write_output(text: str | bytes | Iterable[str], output: Path | None) -> None:
    """Results go to stdout, or atomically to ``output``; ``text`` may come in pieces, or be bytes (PDF).

    The file gets the mode an ordinary write would give it (the existing
    file's mode, else 0666 less the umask): a report is meant to be shared.
    """
    if isinstance(text, bytes):
        _write_bytes(text, output)
        return
    if output is None:
        for piece in _pieces(text):
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    _replace_file(output, "w", lambda fh: fh.writelines(_pieces(text)))


def _write_bytes(data: bytes, output: Path | None) -> None:
    if output is None:
        if sys.stdout.isatty():
            raise OutputError("this format is binary and stdout is a terminal; pass --output FILE")
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    _replace_file(output, "wb", lambda fh: fh.write(data))


def _replace_file(output: Path, mode: str, write: Callable[[Any], object]) -> None:
    """Write through a temporary file beside ``output`` and rename it over; a failure leaves no temporary.

    A symlink is written through (its target is replaced, the link stays), and
    something that is not a regular file (``/dev/null``, a FIFO, a terminal) is
    written into: renaming over it would replace the device with a file.
    """
    if output.is_symlink():
        output = Path(os.path.realpath(output))
    try:
        special = output.exists() and not stat.S_ISREG(os.stat(output).st_mode)
    except OSError:
        special = False
    if special:
        try:
            with open(output, mode, encoding=None if "b" in mode else "utf-8") as fh:
                write(fh)
        except OSError as exc:
            raise OutputError(f"cannot write {output}: {exc.strerror or exc}; pick a writable --output path") from None
        return
    directory = output.parent if str(output.parent) else Path(".")
    try:
        permissions = stat.S_IMODE(os.stat(output).st_mode) if output.exists() else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}; pick a writable --output path") from None
    try:
        os.fchmod(fd, permissions)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
            write(fh)
        os.replace(tmp, output)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {output}: {exc.strerror or exc}; pick a writable --output path") from None
        raise


def _pieces(text: str | Iterable[str], size: int = 1 << 20) -> Iterable[str]:
    """``text`` in writes of about ``size`` characters (stdout may be unbuffered)."""
    if isinstance(text, str):
        yield text
        return
    buffer: list[str] = []
    held = 0
    for chunk in text:
        buffer.append(chunk)
        held += len(chunk)
        if held >= size:
            yield "".join(buffer)
            buffer, held = [], 0
    if buffer:
        yield "".join(buffer)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def scan_run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--jobs, --cache, --no-cache and --quiet: shared by every command that scans a delivery."""
    for option in reversed((
        click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                     help="Files read in parallel  [default: the number of usable cores]."),
        click.option("--cache", "cache_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Scan cache (evidence and content hashes of unchanged files)  "
                          "[default: $XDG_CACHE_HOME/provenance/scan-cache.sqlite3]. Never inside the delivery."),
        click.option("--no-cache", is_flag=True, help="Read every file; neither use nor update the scan cache."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr."),
    )):
        f = option(f)
    return f


# One vocabulary of --format names for every command: `table` is always the human view on a
# terminal, `json` the machine form, `csv` a spreadsheet. Old spellings stay accepted.
FORMAT_NAMES = ("table", "json", "csv", "junit", "html", "md", "pdf", "toml")
FORMAT_ALIASES = {"text": "table", "markdown": "md", "xml": "junit"}


class FormatChoice(click.Choice):
    """A ``--format`` choice drawn from :data:`FORMAT_NAMES`; aliases map to their canonical name."""

    name = "format"

    def __init__(self, *names: str) -> None:
        unknown = set(names) - set(FORMAT_NAMES)
        if unknown:
            raise ValueError(f"format names {sorted(unknown)} are not in FORMAT_NAMES")
        super().__init__(names)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            canonical = FORMAT_ALIASES.get(value.lower(), value)
            if canonical in self.choices:
                value = canonical
        return super().convert(value, param, ctx)


def format_option(*names: str, default: str, help: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--format", "fmt", type=FormatChoice(*names), default=default, show_default=True, help=help)


class BadValue(click.ClickException):
    """A bad option value: one ``Error:`` line naming the fix, exit 2."""

    exit_code = 2


class IsoDate(click.ParamType):
    """A day as YYYY-MM-DD; shown as such in --help, checked before the command runs, passed on as text."""

    name = "date"

    def get_metavar(self, param: click.Parameter, *args: Any, **kwargs: Any) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import datetime

        if value is None or isinstance(value, datetime.date):
            return value.isoformat() if isinstance(value, datetime.date) else value
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            # One line, like every other bad value the commands name (not click's usage banner).
            where = param.opts[0] if param is not None and getattr(param, "opts", None) else "date"
            raise BadValue(f"{where}: {value!r} is not a date; write YYYY-MM-DD, e.g. 2027-06-30") from None


ISO_DATE = IsoDate()
