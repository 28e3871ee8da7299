"""The incremental scan cache: what makes a file be read again, and where the cache may live."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.knowledge import signatures
from provenance.scan.cache import ScanCache, check_outside, default_cache_path, open_cache, scan_version
from provenance.cli import cli
from provenance.errors import UsageError
from provenance.models import FileScan, ScanIssue, ScannerResult
from provenance.knowledge.registry import ScannerRegistry
from provenance.scan import ScanSettings, scan_path, scan_tree
from provenance.scan.render import dumps, scan_to_dict
from provenance.source import ScanInput, ScanOptions
from provenance.scan.walk import FileEntry, walk
from provenance.scanners import default_registry
from .builders import png_file

OLD = 1_600_000_000  # a fixed past mtime (2020): older than the cache's racy window


_png = png_file


def _age(*paths: Path, when: int = OLD) -> None:
    for path in paths:
        os.utime(path, (when, when))


def _tree(root: Path) -> Path:
    _png(root / "a.png", {"parameters": "cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8"})
    _png(root / "b.png")
    _png(root / "c.png")
    (root / "c.png.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>')
    _age(*root.iterdir())
    return root


class Counting:
    """A file scanner that reads for real and records which files it was asked to read."""

    def __init__(self, registry: ScannerRegistry, options: ScanOptions = ScanOptions()) -> None:
        self.registry, self.options, self.read = registry, options, []

    def __call__(self, entry: FileEntry) -> FileScan:
        self.read.append(entry.rel)
        return scan_path(entry.abspath, entry.rel, self.registry, self.options, entry.sidecars)


def _scan(root: Path, db: Path, registry: ScannerRegistry | None = None,
          options: ScanOptions = ScanOptions()) -> tuple[list[str], str]:
    registry = registry or default_registry()
    reader = Counting(registry, options)
    with ScanCache(db) as cache:
        report = scan_tree(root, registry, ScanSettings(options=options), file_scanner=reader, cache=cache)
    return sorted(reader.read), dumps(scan_to_dict(report))


def test_unchanged_tree_is_not_read_again_and_reports_the_same(tmp_path: Path) -> None:
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    first, report1 = _scan(root, db)
    second, report2 = _scan(root, db)
    assert first == ["a.png", "b.png", "c.png"]
    assert second == []
    assert report2 == report1
    assert json.loads(report1)["assets"][0]["verdict"] == "ai-generated"


@pytest.mark.parametrize("change", ["mtime", "size", "sidecar", "replaced", "in-place, mtime restored"])
def test_a_changed_file_is_read_again(tmp_path: Path, change: str) -> None:
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    _scan(root, db)
    target = root / "c.png"
    if change == "mtime":
        _age(target, when=OLD + 60)
    elif change == "size":
        with open(target, "ab") as fh:
            fh.write(b"\0")
        _age(target)  # same mtime as before: the size alone must tell
    elif change == "sidecar":
        (root / "c.png.xmp").write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"><!-- edited --></x:xmpmeta>')
        _age(root / "c.png.xmp", when=OLD + 60)
    elif change == "in-place, mtime restored":
        # Same size, same inode, mtime put back as `touch -r` would: only ctime moves.
        before = target.stat()
        data = bytearray(target.read_bytes())
        data[-20] ^= 0xFF
        with open(target, "r+b") as fh:
            fh.write(bytes(data))
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    else:  # a new file under the old name: new inode, same size and mtime
        shutil.copy2(target, root / "tmp.png")
        os.replace(root / "tmp.png", target)
        _age(target)
    read, _ = _scan(root, db)
    assert read == ["c.png"]


def test_new_content_shows_in_the_report(tmp_path: Path) -> None:
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    _scan(root, db)
    _png(root / "b.png", {"parameters": "dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 8x8"})
    _age(root / "b.png", when=OLD + 60)
    _, report = _scan(root, db)
    verdicts = {a["path"]: a["verdict"] for a in json.loads(report)["assets"]}
    assert verdicts["b.png"] == "ai-generated"


def test_a_file_modified_just_before_its_read_is_not_trusted(tmp_path: Path) -> None:
    # Coarse mtimes: a same-size rewrite in the same tick would keep the key, so fresh files are re-read.
    root, db = tmp_path / "d", tmp_path / "cache.db"
    _png(root / "new.png")
    _scan(root, db)
    read, _ = _scan(root, db)
    assert read == ["new.png"]


class Probe:
    id = "probe"

    def __init__(self, version: str) -> None:
        self.version = version

    def accepts(self, media_type: str) -> bool:
        return True

    def scan(self, item: ScanInput) -> ScannerResult:
        return ScannerResult()


def test_a_new_scanner_version_invalidates(tmp_path: Path) -> None:
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    _scan(root, db, ScannerRegistry([Probe("1")]))
    assert _scan(root, db, ScannerRegistry([Probe("1")]))[0] == []
    assert _scan(root, db, ScannerRegistry([Probe("2")]))[0] == ["a.png", "b.png", "c.png"]


def test_other_trust_anchors_invalidate(tmp_path: Path) -> None:
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    _scan(root, db)
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    assert _scan(root, db, options=ScanOptions(trust_anchors_pem=pem))[0] == ["a.png", "b.png", "c.png"]
    assert _scan(root, db, options=ScanOptions(trust_anchors_pem=pem))[0] == []


def test_a_new_signature_table_invalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = default_registry()
    before = scan_version(registry, ScanOptions())
    monkeypatch.setattr(signatures, "RULES", signatures.RULES[1:])
    assert scan_version(registry, ScanOptions()) != before
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    monkeypatch.undo()
    _scan(root, db)
    monkeypatch.setattr(signatures, "RULES", signatures.RULES[1:])
    assert _scan(root, db)[0] == ["a.png", "b.png", "c.png"]


def test_the_same_path_under_another_root_is_another_entry(tmp_path: Path) -> None:
    one, two, db = _tree(tmp_path / "one"), _tree(tmp_path / "two"), tmp_path / "cache.db"
    _scan(one, db)
    assert _scan(two, db)[0] == ["a.png", "b.png", "c.png"]


def test_read_failures_are_not_remembered(tmp_path: Path) -> None:
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    registry = default_registry()
    flaky: Callable[[FileEntry], FileScan] = lambda e: FileScan("image/png", errors=(ScanIssue("unreadable", "EIO"),))
    with ScanCache(db) as cache:
        scan_tree(root, registry, file_scanner=flaky, cache=cache)
    assert _scan(root, db, registry)[0] == ["a.png", "b.png", "c.png"]


def test_content_hashes_follow_the_same_key(tmp_path: Path) -> None:
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    _scan(root, db)
    files = walk(root).files
    real = str(root.resolve())
    with ScanCache(db) as cache:
        cache.store_hashes(real, [(f, f"{i:064x}") for i, f in enumerate(files)])
    _age(root / "b.png", when=OLD + 60)
    files = walk(root).files
    with ScanCache(db) as cache:
        assert cache.hashes(real, files) == {"a.png": f"{0:064x}", "c.png": f"{2:064x}"}
    # Evidence survives a hash update, and a hash survives a rescan of the unchanged file.
    read, _ = _scan(root, db)
    assert read == ["b.png"]
    with ScanCache(db) as cache:
        assert set(cache.hashes(real, walk(root).files)) == {"a.png", "c.png"}


def test_default_location_respects_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == str(tmp_path / "xdg" / "provenance" / "scan-cache.sqlite3")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # ignored, per the XDG spec
    assert default_cache_path().startswith(os.path.expanduser("~"))


def test_a_cache_inside_the_tree_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path / "d")
    with pytest.raises(UsageError):
        check_outside(str(root / "sub" / "cache.db"), [root])
    with pytest.raises(UsageError):
        open_cache(root / "cache.db", root)
    (root / "link").symlink_to(tmp_path / "d")
    with pytest.raises(UsageError):
        check_outside(str(root / "link" / "x.db"), [root])
    check_outside(str(tmp_path / "d-cache.db"), [root])  # a sibling whose name shares the prefix is fine


def _listing(root: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*"))


def test_cli_cache_lives_in_the_user_cache_dir_and_never_in_the_tree(tmp_path: Path) -> None:
    root = _tree(tmp_path / "d")
    before = _listing(root)
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    result = CliRunner().invoke(cli, ["scan", str(root), "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "xdg" / "provenance" / "scan-cache.sqlite3").is_file()
    assert _listing(root) == before

    refused = CliRunner().invoke(cli, ["scan", str(root), "--cache", str(root / "c.db")], env=env)
    assert refused.exit_code == 2
    assert "outside the delivery" in refused.output
    assert _listing(root) == before


def test_cli_no_cache_writes_no_cache(tmp_path: Path) -> None:
    root = _tree(tmp_path / "d")
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    result = CliRunner().invoke(cli, ["scan", str(root), "--no-cache", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "xdg").exists()


def test_cli_warm_rescan_reports_the_same_as_cold_and_uncached(tmp_path: Path, corpus: Path) -> None:
    root = tmp_path / "d"
    root.mkdir()
    for name in ("c2pa_test_algorithmicMedia.jpg", "a1111_stealth_alpha.png", "audio_id3_comment.mp3",
                 "comfyui_img2img.png", "c2pa_video_noai.mp4"):
        shutil.copy(corpus / name, root / name)
    _age(*root.iterdir())
    db = tmp_path / "c.db"
    args = ["scan", str(root), "--format", "json", "--cache", str(db)]
    cold = CliRunner().invoke(cli, args)
    warm = CliRunner().invoke(cli, args)
    assert cold.exit_code == warm.exit_code == 0
    assert warm.stdout == cold.stdout
    uncached = CliRunner().invoke(cli, [*args[:-2], "--no-cache"])
    assert uncached.stdout == cold.stdout


def test_time_is_not_part_of_the_key(tmp_path: Path) -> None:
    # Reading a file (atime) or waiting does not invalidate it; only the key does.
    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    _scan(root, db)
    time.sleep(0.01)
    (root / "a.png").read_bytes()
    assert _scan(root, db)[0] == []


def test_file_hashes_come_from_the_cache_until_the_file_changes(tmp_path: Path) -> None:
    import hashlib

    from provenance.scan.cache import file_hashes

    root, db = _tree(tmp_path / "d"), tmp_path / "cache.db"
    real = hashlib.sha256((root / "a.png").read_bytes()).hexdigest()
    with ScanCache(db) as cache:
        assert file_hashes(root, ["a.png"], cache) == {"a.png": real}
        entry = next(f for f in walk(root).files if f.rel == "a.png")
        cache.store_hashes(str(root.resolve()), [(entry, "f" * 64)])  # plant a value only the cache knows
    with ScanCache(db) as cache:
        assert file_hashes(root, ["a.png"], cache) == {"a.png": "f" * 64}
    _age(root / "a.png", when=OLD + 60)
    with ScanCache(db) as cache:
        assert file_hashes(root, ["a.png"], cache) == {"a.png": real}
    assert file_hashes(root, ["a.png"], None) == {"a.png": real}


def test_cli_audit_with_a_cache_reports_the_same_twice(tmp_path: Path) -> None:
    root = _tree(tmp_path / "d")
    args = ["audit", str(root), "--format", "json", "--ledger", str(_empty_ledger(tmp_path / "none.db")),
            "--cache", str(tmp_path / "c.db"), "--quiet"]
    first = CliRunner().invoke(cli, args)
    second = CliRunner().invoke(cli, args)
    uncached = CliRunner().invoke(cli, [*args[:-3], "--no-cache"])
    assert first.exit_code == second.exit_code == uncached.exit_code
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k not in ("generated_at", "created")}  # noqa: E731
    assert strip(second.stdout) == strip(first.stdout) == strip(uncached.stdout)
    assert not (tmp_path / "d" / "c.db").exists()


def _empty_ledger(path: Path) -> Path:
    from provenance.ledger import open_ledger

    open_ledger(path, create=True).close()
    return path
