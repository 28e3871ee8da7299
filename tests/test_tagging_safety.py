"""Export safety: failures leave originals byte-identical, conflicts need --force,
--dry-run writes nothing, modes survive, bulk CSV rows tag what they name."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from provenance.tagging.identity import create_identity
from provenance.tagging import atomic, xmp_packet
from tests.test_tagging_roundtrip import make_exr, make_image, make_mp3, make_wav, run, scan, tag


@pytest.fixture(scope="module")
def identity_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("identity") / "vendor"
    create_identity(folder, "Vendor Ltd")
    return folder


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_corrupt_file_fails_and_stays_byte_identical(tmp_path: Path, identity_dir: Path) -> None:
    png = make_image(tmp_path / "broken.png", "PNG")
    truncated = png.read_bytes()[:-20]  # IEND gone
    png.write_bytes(truncated)
    (tmp_path / "ok").mkdir()
    good = make_wav(tmp_path / "ok" / "good.wav")
    code, _out, err = tag([png, good], identity_dir, "--manifest", tmp_path / "ok" / "provenance-manifest.json")
    assert code == 1
    assert f"{png}:" in err and "truncated PNG chunk" in err
    assert png.read_bytes() == truncated
    assert _leftovers(tmp_path) == []
    assert scan(tmp_path / "ok", identity_dir)["good.wav"]["verdict"] == "ai-generated"  # the batch went on


def test_failed_replace_leaves_original_and_no_temp(tmp_path: Path, identity_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    jpg = make_image(tmp_path / "plate.jpg", "JPEG")
    before = jpg.read_bytes()

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", disk_full)
    code, _out, err = tag([jpg], identity_dir)
    assert code == 1
    assert "No space left on device" in err and str(jpg) in err
    assert jpg.read_bytes() == before
    assert _leftovers(tmp_path) == []
    assert not (tmp_path / "provenance-manifest.json").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_file_is_refused(tmp_path: Path, identity_dir: Path) -> None:
    wav = make_wav(tmp_path / "locked.wav")
    wav.chmod(0o444)
    code, _out, err = tag([wav], identity_dir)
    assert code == 1 and "read-only" in err


def test_unsupported_embed_is_refused_without_writing(tmp_path: Path, identity_dir: Path) -> None:
    exr = make_exr(tmp_path / "plate.exr")
    code, _out, err = tag([exr], identity_dir, "--c2pa", "embed")
    assert code == 1 and "cannot be embedded" in err and "--c2pa sidecar" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plate.exr"]


def test_different_declaration_needs_force(tmp_path: Path, identity_dir: Path) -> None:
    mp3 = make_mp3(tmp_path / "cue.mp3")
    assert tag([mp3], identity_dir)[0] == 0
    tagged = mp3.read_bytes()
    code, _out, err = tag([mp3], identity_dir, source_type="digitalCapture")
    assert code == 1 and "--force" in err and "trainedAlgorithmicMedia" in err
    assert mp3.read_bytes() == tagged
    code, _out, err = tag([mp3], identity_dir, "--force", source_type="digitalCapture")
    assert code == 0, err
    assert scan(tmp_path, identity_dir)["cue.mp3"]["verdict"] == "ai-generated"  # the signed history remembers


def test_existing_c2pa_sidecar_needs_force(tmp_path: Path, identity_dir: Path) -> None:
    exr = make_exr(tmp_path / "plate.exr")
    assert tag([exr], identity_dir)[0] == 0
    sidecar = (tmp_path / "plate.exr.c2pa").read_bytes()
    code, _out, err = tag([exr], identity_dir)
    assert code == 1 and "plate.exr.c2pa already exists" in err
    assert (tmp_path / "plate.exr.c2pa").read_bytes() == sidecar


def test_dry_run_writes_nothing_and_says_what_it_would(tmp_path: Path, identity_dir: Path) -> None:
    png = make_image(tmp_path / "a.png", "PNG")
    exr = make_exr(tmp_path / "b.exr")
    before = {p.name: p.read_bytes() for p in (png, exr)}
    code, out, _err = tag([png, exr], identity_dir, "--dry-run")
    assert code == 0
    assert "PNG iTXt XML:com.adobe.xmp" in out and "b.exr.c2pa" in out and "b.exr.xmp" in out
    assert "nothing written" in out
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_file_mode_is_preserved(tmp_path: Path, identity_dir: Path) -> None:
    wav = make_wav(tmp_path / "a.wav")
    wav.chmod(0o640)
    assert tag([wav], identity_dir)[0] == 0
    assert stat.S_IMODE(wav.stat().st_mode) == 0o640


def test_bulk_tagging_from_csv(tmp_path: Path, identity_dir: Path) -> None:
    (tmp_path / "out").mkdir()
    make_image(tmp_path / "out" / "sky.png", "PNG")
    make_wav(tmp_path / "out" / "vo.wav")
    csv = tmp_path / "export.csv"
    csv.write_text("file,source_type,tool,approval\n"
                   "out/sky.png,trainedAlgorithmicMedia,SkyGen 4,APR-1\n"
                   "out/vo.wav,compositeWithTrainedAlgorithmicMedia,,APR-2\n")
    code, _out, err = run("tag", "--from", csv, "--tool", "VoiceFix 1.2", "--identity", identity_dir,
                          "--manifest", tmp_path / "out" / "provenance-manifest.json")
    assert code == 0, err
    assets = scan(tmp_path / "out", identity_dir)
    assert assets["sky.png"]["generators"][0].startswith("SkyGen")
    assert assets["vo.wav"]["verdict"] == "ai-modified"
    assert any("APR-2" in e["value"] for e in assets["vo.wav"]["evidence"])


@pytest.mark.parametrize("args, message", [
    (["--source-type", "aiMagic", "--tool", "X 1"], "unknown --source-type 'aiMagic'"),
    (["--source-type", "trainedAlgorithmicMedia", "--tool", " "], "--tool needs the generative tool's name"),
    (["--source-type", "trainedAlgorithmicMedia"], "--source-type and --tool are required"),
])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    png = make_image(tmp_path / "a.png", "PNG")
    code, _out, err = run("tag", png, "--c2pa", "off", *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_signing_without_identity_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVENANCE_IDENTITY", raising=False)
    png = make_image(tmp_path / "a.png", "PNG")
    code, _out, err = run("tag", png, "--source-type", "trainedAlgorithmicMedia", "--tool", "X 1")
    assert code == 2 and "--identity" in err and "PROVENANCE_IDENTITY" in err


def test_identity_defaults_to_the_environment(tmp_path: Path, identity_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVENANCE_IDENTITY", str(identity_dir))
    png = make_image(tmp_path / "a.png", "PNG")
    code, _out, err = run("tag", png, "--source-type", "trainedAlgorithmicMedia", "--tool", "X 1")
    assert code == 0, err
    assert scan(tmp_path, identity_dir)["a.png"]["c2pa"]["state"] == "trusted"


def test_xmp_merge_keeps_foreign_properties() -> None:
    original = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                b'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
                b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture">'
                b'<dc:creator><rdf:Seq><rdf:li>Jo DOP</rdf:li></rdf:Seq></dc:creator>'
                b'</rdf:Description></rdf:RDF></x:xmpmeta>')
    assert xmp_packet.read_values(original)["dst"].endswith("digitalCapture")
    merged = xmp_packet.merge(original, {"dst": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
                                         "ai_system": "VendorGen"})
    assert b"Jo DOP" in merged and b"dc:creator" in merged
    values = xmp_packet.read_values(merged)
    assert values == {"dst": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
                      "ai_system": "VendorGen"}
    assert merged.count(b"DigitalSourceType") == 2  # one open and one close tag: the old value is gone


@pytest.mark.parametrize("dry_run", [False, True])
def test_symlink_is_refused_and_neither_link_nor_target_changes(tmp_path: Path, identity_dir: Path,
                                                                 dry_run: bool) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "delivery").mkdir()
    target = make_image(tmp_path / "real" / "plate.png", "PNG")
    before = target.read_bytes()
    link = tmp_path / "delivery" / "plate.png"
    link.symlink_to(Path("..") / "real" / "plate.png")
    code, _out, err = tag([link], identity_dir, "--c2pa", "off", *(["--dry-run"] if dry_run else []))
    assert code == 1
    assert f"{link}: is a symlink; tag the file it points to" in err
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "real" / "plate.png")
    assert target.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "delivery").iterdir()) == ["plate.png"]


def test_check_writable_refuses_a_symlink(tmp_path: Path) -> None:
    target = make_wav(tmp_path / "music.wav")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    with pytest.raises(atomic.TagError, match="is a symlink; tag the file it points to"):
        atomic.check_writable(link)


def _bad_manifest_cases(tmp_path: Path) -> list[tuple[list[object], str, Path | None]]:
    sub = tmp_path / "sub"
    sub.mkdir()
    bogus = tmp_path / "provenance-manifest.json"
    bogus.write_text('{"schema": "bogus", "assets": []}\n', encoding="utf-8")
    return [
        (["--manifest", "/nonexist/m.json"], "folder /nonexist does not exist", None),
        ([], "unsupported schema 'bogus'", bogus),
        (["--manifest", sub / "m.json"], "cannot be listed in it", None),
    ]


@pytest.mark.parametrize("case", range(3))
def test_manifest_problem_is_refused_before_any_file_is_written(tmp_path: Path, identity_dir: Path,
                                                                 case: int) -> None:
    png = make_image(tmp_path / "plate.png", "PNG")
    before = png.read_bytes()
    extra, message, existing = _bad_manifest_cases(tmp_path)[case]
    kept = existing.read_bytes() if existing else None
    code, out, err = tag([png], identity_dir, "--c2pa", "off", *extra)
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and message in err and "nothing was tagged" in err
    assert "manifest" in err and "tagged," not in out
    assert png.read_bytes() == before
    assert _leftovers(tmp_path) == []
    if existing:
        assert existing.read_bytes() == kept
    # --dry-run writes nothing, so it does not need a writable manifest.
    assert tag([png], identity_dir, "--c2pa", "off", "--dry-run", *extra)[0] == 0


def test_tagging_into_an_existing_manifest_keeps_its_vendor_and_extension_keys(tmp_path: Path,
                                                                                identity_dir: Path) -> None:
    first = make_wav(tmp_path / "first.wav")
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    manifest = tmp_path / "provenance-manifest.json"
    manifest.write_text(json.dumps({
        "schema": "provenance.package/1", "vendor": "Acme VFX", "x-vendor-job": "J-1234",
        "assets": [{"path": "first.wav", "sha256": digest, "digital_source_type": "trainedAlgorithmicMedia",
                    "x-shot": "sh010", "x-artist": "Ana"}]}), encoding="utf-8")
    second = make_image(tmp_path / "second.png", "PNG")
    code, out, err = tag([second], identity_dir)
    assert code == 0, err
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    assert doc["vendor"] == "Acme VFX" and doc["x-vendor-job"] == "J-1234"
    assets = {a["path"]: a for a in doc["assets"]}
    assert assets["first.wav"]["x-shot"] == "sh010" and assets["first.wav"]["x-artist"] == "Ana"
    assert set(assets) == {"first.wav", "second.png"}
