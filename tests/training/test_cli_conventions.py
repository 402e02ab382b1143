"""Command-line conventions: --version, help with examples and defaults, one --device spelling,
usage errors exit 2 and leave nothing behind, prepare reports what it skipped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from synth_helpers import write_case

from liversynth import __version__
from model_training.__main__ import build_parser, main

SUBCOMMANDS = ("prepare", "train", "evaluate", "synthesize", "quiz")


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and __version__ in capsys.readouterr().out
    from liversynth_gui.launch import parse_args

    with pytest.raises(SystemExit) as exit_:
        parse_args(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"liversynth {__version__}"


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_has_an_example_defaults_and_no_rest(command: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "Example:\n  liversynth-train " + command in text
    assert "(default" in text and "``" not in text
    if command != "prepare":
        assert "--device {auto,cpu,cuda}" in text


def test_prog_name_follows_the_console_script(monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/liversynth-train"])
    assert build_parser()[0].format_usage().startswith("usage: liversynth-train")
    monkeypatch.setattr(sys, "argv", ["/x/model_training/__main__.py"])
    assert build_parser()[0].format_usage().startswith("usage: python -m model_training")


def test_usage_errors_exit_2_and_leave_nothing(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:  # an argparse usage error
        main(["evaluate", "--data", str(tmp_path), "--fillers", "gan,foo", "--out", str(out)])
    assert exit_.value.code == 2 and "unknown filler(s) foo" in capsys.readouterr().err
    assert main(["evaluate", "--data", str(tmp_path / "no"), "--out", str(out)]) == 2
    assert main(["synthesize", "--healthy", str(tmp_path / "absent"), "--out", str(out)]) == 2
    assert "absent: no such file" in capsys.readouterr().err
    assert main(["synthesize", "--out", str(out)]) == 2
    assert "--healthy" in capsys.readouterr().err
    assert main(["prepare", "--data", str(tmp_path / "absent"), "--out", str(out)]) == 2
    assert not out.exists()
    with pytest.raises(SystemExit) as exit_:
        main(["synthesize", "--device", "gpu"])
    assert exit_.value.code == 2


def test_prepare_reports_an_unrecognised_case_folder(tmp_path: Path, capsys) -> None:
    root = tmp_path / "data"
    write_case(root / "lits", 2, healthy=False)
    (root / "scans_of_someone").mkdir()
    (root / "scans_of_someone" / "notes.txt").write_text("not a case")
    (root / "README.md").write_text("a dataset")
    assert main(["prepare", "--data", str(root), "--out", str(tmp_path / "ds"), "--quiet"]) == 0
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    skipped = {Path(s["source"]).name: s["error"] for s in manifest["skipped"]}
    assert list(skipped) == ["scans_of_someone"]
    assert "not a recognised case" in skipped["scans_of_someone"]
    assert "scans_of_someone" in capsys.readouterr().err


def test_manifest_lists_only_files_that_exist(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    healthy = write_case(cases / "healthy", 1, healthy=True)
    donor = write_case(cases / "donor", 2, healthy=False)
    out = tmp_path / "o"
    args = ["synthesize", "--healthy", str(healthy), "--lesions", str(donor), "--count", "1"]
    assert main([*args, "--workers", "1", "--quiet", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["lesions"]["bank"] is None  # built in a temporary file, not written
    assert manifest["items"][0]["lesion"]["bank"] is None
    for name in manifest["items"][0]["files"]:
        assert (out / name).is_file(), name


def test_sidecars_name_the_bundled_model_and_its_hash() -> None:
    from liversynth.export.provenance import file_sha256, model_record
    from liversynth.fillers.gan import default_model_path

    path = default_model_path()
    if not path.is_file():
        pytest.skip(f"bundled model {path} absent")
    assert model_record("gan", None) == {"model": path.name, "model_sha256": file_sha256(path)}
    assert model_record("procedural", None) == {"model": None, "model_sha256": None}
