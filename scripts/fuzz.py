"""Fuzz the container walkers: the long, documented run.

    python scripts/fuzz.py                      # every target, 120 s each
    python scripts/fuzz.py --seconds 600 png id3
    python scripts/fuzz.py --list

Each target feeds bytes to one bounded walker (or, for ``scan-*``, to every
scanner through ``scan_bytes``) and fails only on a bug: an exception that is
not ``InputError`` (``ChunkStorm`` for PNG), a hang, or memory past the limit.
With atheris installed each target runs under libFuzzer in its own process
(coverage-guided, seeded with the base files of scripts/make_hostile.py);
without it the same targets run under Hypothesis. Crashing inputs are kept in
``--crash-dir``. The summary line per target gives the inputs tried.
tests/test_fuzz_walkers.py runs the same targets briefly in the normal suite.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from provenance.errors import InputError  # noqa: E402
from provenance.models import ScanIssue  # noqa: E402
from provenance.source import ByteSource, ScanInput  # noqa: E402
from provenance.knowledge.sniff import sniff  # noqa: E402
from provenance.scanners import _bmff, _dpx_header, _exr_header, _id3_frames, _jpeg, _riff_chunks, _xmp_parse  # noqa: E402
from provenance.scanners import default_registry  # noqa: E402
from provenance.scanners._png_chunks import ChunkStorm, decode_private, decode_text, iter_chunks, read_chunk  # noqa: E402

Target = Callable[[bytes], None]


def _load_bases() -> dict[str, bytes]:
    spec = importlib.util.spec_from_file_location("make_hostile", REPO / "scripts" / "make_hostile.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: build() for name, (_ext, build) in module.BASES.items()}


BASES = _load_bases()


def fuzz_png(data: bytes) -> None:
    source = ByteSource.from_bytes(data)
    try:
        for chunk in iter_chunks(source):
            if chunk.type in (b"tEXt", b"zTXt", b"iTXt") or chunk.type[:1].islower():
                body = read_chunk(source, chunk)
                decode_text(chunk.type, body)
                decode_private(chunk.type, body)
    except (InputError, ChunkStorm):
        pass


def fuzz_jpeg(data: bytes) -> None:
    try:
        for _segment in _jpeg.iter_app_segments(ByteSource.from_bytes(data), frozenset(range(0xE0, 0xF0))):
            pass
    except InputError:
        pass


def fuzz_riff(data: bytes) -> None:
    source = ByteSource.from_bytes(data)
    try:
        layout = _riff_chunks.walk(source, "fuzz")
        for chunk in layout.chunks[:64]:
            _riff_chunks.payload(source, chunk)
    except InputError:
        pass
    else:
        _check_issues(layout.issues)


def fuzz_bmff(data: bytes) -> None:
    source = ByteSource.from_bytes(data)
    try:
        tree = _bmff.walk(source, "fuzz")
        for node in tree.top[:64]:
            _bmff.payload(source, node.box)
    except InputError:
        pass
    else:
        _check_issues(tree.issues)


def fuzz_id3(data: bytes) -> None:
    # The frame pre-check guards mutagen; the scanner then runs mutagen behind it.
    try:
        _id3_frames.check_tag(data)
    except InputError:
        return
    _scan(data, "audio/mpeg")


def fuzz_exr(data: bytes) -> None:
    try:
        _exr_header.parse(ByteSource.from_bytes(data))
    except InputError:
        pass


def fuzz_dpx(data: bytes) -> None:
    try:
        _dpx_header.parse(ByteSource.from_bytes(data))
    except InputError:
        pass


def fuzz_xmp(data: bytes) -> None:
    for packet in _xmp_parse.find_packets(data) or [data]:
        try:
            _xmp_parse.parse_packet(packet)
        except InputError:
            pass


_REGISTRY = default_registry()


def _scan(data: bytes, media_type: str | None = None) -> None:
    """Every scanner on ``data``; any exception but InputError escapes (propagate_bugs)."""
    from provenance.scan import scan_bytes

    source = ByteSource.from_bytes(data)
    item = ScanInput(path="fuzz", media_type=media_type or sniff(source.head), source=source)
    result = scan_bytes(item, _REGISTRY, propagate_bugs=True)
    _check_issues(result.errors)


def _check_issues(issues: tuple[ScanIssue, ...]) -> None:
    # Issues end up in reports: they must be printable strings.
    for issue in issues:
        assert isinstance(issue.message, str) and isinstance(issue.code, str)


def _scan_target(fmt: str) -> Target:
    media_type = sniff(BASES[fmt])
    return lambda data: _scan(data, media_type)


TARGETS: dict[str, tuple[Target, str]] = {
    "png": (fuzz_png, "png"),
    "jpeg": (fuzz_jpeg, "jpeg"),
    "riff": (fuzz_riff, "wav"),
    "bmff": (fuzz_bmff, "mp4"),
    "id3": (fuzz_id3, "mp3"),
    "exr": (fuzz_exr, "exr"),
    "dpx": (fuzz_dpx, "dpx"),
    "xmp": (fuzz_xmp, "xmp"),
    **{f"scan-{fmt}": (_scan_target(fmt), fmt) for fmt in ("png", "jpeg", "webp", "tiff", "psd", "gif", "mp3",
                                                             "flac", "ogg", "wav", "mp4", "exr", "dpx")},
}


# --- runners ------------------------------------------------------------------------------------

def run_atheris(name: str, seconds: int, crash_dir: Path) -> None:
    """Runs in a child process: libFuzzer takes over the process and exits when done."""
    import atheris

    target, seed_fmt = TARGETS[name]
    seeds = crash_dir / f"seeds-{name}"
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / "base").write_bytes(BASES[seed_fmt])
    crash_dir.mkdir(parents=True, exist_ok=True)
    atheris.instrument_all()
    argv = [sys.argv[0], f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=1024",
            "-max_len=262144", f"-artifact_prefix={crash_dir}/{name}-", str(seeds)]
    atheris.Setup(argv, target)
    atheris.Fuzz()


def run_hypothesis(name: str, seconds: int) -> int:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    target, seed_fmt = TARGETS[name]
    tried = 0

    # Batches of fresh random examples until the time is up: stopping a single
    # run from inside the test would look like a failure to Hypothesis.
    @settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(mutated(st, BASES[seed_fmt]))
    def check(data: bytes) -> None:
        nonlocal tried
        tried += 1
        target(data)

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check()
    return tried


def mutated(st, base: bytes):  # type: ignore[no-untyped-def]
    """Hypothesis strategy: the base file truncated, with bytes overwritten, inserted or spliced."""
    edit = st.tuples(st.integers(0, max(len(base), 1)), st.sampled_from(["set", "insert", "delete", "lie"]),
                     st.binary(min_size=1, max_size=8))

    def apply(args: tuple[int, list[tuple[int, str, bytes]]]) -> bytes:
        cut, edits = args
        buf = bytearray(base[:cut] if cut else base)
        for at, kind, blob in edits:
            at = min(at, len(buf))
            if kind == "set":
                buf[at : at + len(blob)] = blob
            elif kind == "insert":
                buf[at:at] = blob
            elif kind == "delete":
                del buf[at : at + len(blob)]
            else:  # a length field that lies
                buf[at : at + 4] = b"\xff\xff\xff" + blob[:1]
        return bytes(buf)

    return st.one_of(
        st.binary(max_size=2048),
        st.tuples(st.integers(0, len(base)), st.lists(edit, max_size=6)).map(apply),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="targets to run (default: all)")
    parser.add_argument("--seconds", type=int, default=120, help="time per target")
    parser.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    parser.add_argument("--crash-dir", type=Path, default=Path("/tmp/provenance-fuzz"))
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(TARGETS))
        return 0
    if args.child:
        run_atheris(args.child, args.seconds, args.crash_dir)
        return 0
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if importlib.util.find_spec("atheris") else "hypothesis"
    names = args.targets or list(TARGETS)
    failed = 0
    total_runs = 0
    started = time.monotonic()
    for name in names:
        t0 = time.monotonic()
        if engine == "atheris":
            proc = subprocess.run([sys.executable, __file__, "--child", name, "--seconds", str(args.seconds),
                                   "--crash-dir", str(args.crash_dir)], capture_output=True, text=True,
                                  timeout=args.seconds * 3 + 120)
            done = re.findall(r"Done (\d+) runs", proc.stderr)
            runs = int(done[-1]) if done else 0
            ok = proc.returncode == 0
            if not ok:
                sys.stderr.write(proc.stderr[-3000:])
        else:
            try:
                runs, ok = run_hypothesis(name, args.seconds), True
            except Exception as exc:  # noqa: BLE001 - report the finding, go on with the next target
                runs, ok = 0, False
                print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        total_runs += runs
        failed += not ok
        print(f"{name:12} {engine:10} {time.monotonic() - t0:7.1f}s {runs:>10} inputs  {'ok' if ok else 'FAILED'}",
              flush=True)
    print(f"total: {len(names)} targets, {total_runs} inputs, {time.monotonic() - started:.0f}s, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
