"""Stage every write in temporary files beside the target, then swap them in.

A temporary file in the same folder tree is on the same filesystem, so
``os.replace`` is atomic: a reader sees the old file or the new one, never a
half-written mix. Until ``commit`` the originals are not touched at all; on
any failure the temporaries are removed and the originals stay byte-identical.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from types import TracebackType

from .spec import TagError


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


def refuse_symlink(path: Path) -> None:
    """A link would be replaced by a regular file and its target left untagged: refuse it."""
    if path.is_symlink():
        try:
            shown = f" ({os.readlink(path)})"
        except OSError:
            shown = ""
        raise TagError(str(path), f"is a symlink; tag the file it points to{shown}")


def check_writable(path: Path) -> None:
    """Refuse early, with the reason, when the file or its folder cannot be written."""
    refuse_symlink(path)
    if not path.is_file():
        raise TagError(str(path), "not a regular file")
    if not os.access(path, os.W_OK):
        raise TagError(str(path), "the file is read-only (no write permission); make it writable or copy it first")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise TagError(str(path), f"the folder {path.parent} is read-only; tagging needs to write a temporary file there")


class Staging:
    """Temporary files for one target; ``commit`` swaps them in, ``close`` cleans up."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._temps: list[Path] = []
        self._moves: list[tuple[Path, Path]] = []
        self._dir: Path | None = None

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def new_temp(self, final: Path) -> Path:
        """An empty temporary file for ``final``, in a hidden folder beside the target.

        The first temporary for a name keeps that exact name: c2pa takes an
        ingredient's title from it, and c2pa path mode and mutagen pick the
        format from the extension. Same folder tree, same filesystem, so the
        final ``os.replace`` stays atomic.
        """
        if self._dir is None:
            try:
                self._dir = Path(tempfile.mkdtemp(prefix=".provenance-tag-", dir=self.target.parent))
            except OSError as exc:
                raise TagError(str(self.target), f"cannot create a temporary folder in {self.target.parent}: "
                                                 f"{_describe(exc)}") from exc
        name = final.name
        n = 0
        while (self._dir / name).exists():
            n += 1
            name = f"{n}-{final.name}"
        temp = self._dir / name
        try:
            temp.touch(exist_ok=False)
        except OSError as exc:
            raise TagError(str(self.target), f"cannot create a temporary file in {self._dir}: {_describe(exc)}") from exc
        self._temps.append(temp)
        return temp

    def copy_of_target(self) -> Path:
        """A temporary copy of the target, mode included, for in-place writers (mutagen)."""
        temp = self.new_temp(self.target)
        try:
            shutil.copyfile(self.target, temp)
            shutil.copymode(self.target, temp)
        except OSError as exc:
            raise TagError(str(self.target), f"cannot copy to a temporary file: {_describe(exc)}") from exc
        return temp

    def write_temp(self, final: Path, data: bytes) -> Path:
        temp = self.new_temp(final)
        try:
            with open(temp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise TagError(str(self.target), f"cannot write {temp.name}: {_describe(exc)}") from exc
        return temp

    def stage(self, temp: Path, final: Path) -> None:
        """Move ``temp`` onto ``final`` at commit time, keeping ``final``'s mode if it exists."""
        try:
            if final.exists():
                shutil.copymode(final, temp)
            else:
                os.chmod(temp, 0o666 & ~_umask())
            with open(temp, "rb+") as fh:
                os.fsync(fh.fileno())
        except OSError as exc:
            raise TagError(str(self.target), f"cannot prepare {temp.name}: {_describe(exc)}") from exc
        self._moves.append((temp, final))

    def commit(self) -> None:
        for temp, final in self._moves:
            try:
                os.replace(temp, final)
            except OSError as exc:
                raise TagError(str(final), f"cannot replace the file: {_describe(exc)}") from exc
            self._temps.remove(temp)
        self._moves.clear()
        _fsync_dir(self.target.parent)

    def close(self) -> None:
        for temp in self._temps:
            try:
                temp.unlink()
            except FileNotFoundError:
                pass
        self._temps.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not all platforms allow it, and it is not needed for correctness.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
