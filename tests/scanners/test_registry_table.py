"""The built-in scanner table: ids and versions equal the classes', and nothing loads before it is needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from provenance.knowledge.registry import ScannerRef, ScannerRegistry
from provenance.scanners import BUILTIN_SCANNERS, default_registry


@pytest.mark.parametrize("ref", BUILTIN_SCANNERS, ids=lambda r: r.id)
def test_table_row_matches_its_class(ref: ScannerRef) -> None:
    # load() itself refuses a mismatch; the explicit comparison says which side to fix.
    scanner = ref.load()
    assert (scanner.id, scanner.version) == (ref.id, ref.version)


def test_a_stale_version_in_the_table_is_refused_on_load() -> None:
    real = BUILTIN_SCANNERS[0]
    stale = ScannerRef(real.id, real.version + "-old", real.target)
    registry = ScannerRegistry([stale])
    with pytest.raises(RuntimeError, match="fix the table"):
        registry.for_media_type("image/png")


def test_versions_come_from_the_table_without_importing_any_scanner() -> None:
    code = (
        "import sys\n"
        "from provenance.scanners import default_registry\n"
        "info = default_registry().info()\n"
        "print(len(info), sorted(m for m in sys.modules if m.startswith('provenance.scanners.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(None, 1)
    assert int(out[0]) == len(BUILTIN_SCANNERS)
    assert out[1].strip() == "[]"


def test_first_use_loads_every_scanner_in_table_order() -> None:
    registry = default_registry()
    assert [s.id for s in registry] == [ref.id for ref in BUILTIN_SCANNERS]
    assert all(not isinstance(s, ScannerRef) for s in registry)
    assert registry.get("exif").version == next(r.version for r in BUILTIN_SCANNERS if r.id == "exif")
