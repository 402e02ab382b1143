"""``synthesize`` outputs stay consistent when a run dies: staged items, sidecar last, no mixture.

A crash is simulated in-process by making a writer fail at a chosen point; the kill -9
campaign (real signals at random moments) is ``benchmarks/kill_synthesize.py``.
"""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest
from synth_helpers import synth, write_case

from liversynth.atomic import stale_temps
from model_training.__main__ import main
from model_training.synthesis import commit, writing
from model_training.synthesis.commit import check_item, committed_markers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    # The folder name is a patient's name: it must not reach sidecars or the manifest.
    return write_case(tmp_path_factory.mktemp("cases") / "DUPONT_Jean", 1, healthy=True)


def _args(healthy: Path, *extra: str) -> list[str]:
    return ["--healthy", str(healthy), "--count", "3", "--workers", "1", *extra]


def _run_ids(out: Path) -> set[str]:
    return {json.loads((out / m).read_text())["run_id"] for m in committed_markers(out)}


def _assert_consistent(out: Path) -> None:
    for marker in committed_markers(out):
        assert check_item(out, marker) == [], marker
    manifest = out / "manifest.json"
    if manifest.exists():
        doc = json.loads(manifest.read_text())
        assert _run_ids(out) == {doc["run_id"]}
        listed = {f for item in doc["items"] for f in item["files"]}
        assert all((out / f).is_file() for f in listed)


def test_overwrite_killed_midway_leaves_no_mixture(healthy, tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    first = synth(out, *_args(healthy, "--seed", "1"))
    real = writing._write_files
    calls = []

    def dies_on_second_item(item, stage, fmt, provenance):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process "dies" with item 1 half written
        return real(item, stage, fmt, provenance)

    monkeypatch.setattr(writing, "_write_files", dies_on_second_item)
    assert (
        main(["synthesize", "--out", str(out), *_args(healthy, "--seed", "2"), "--overwrite"])
        == 130
    )
    assert not (out / "manifest.json").exists()  # the old manifest went first
    # Nothing of the old run survives; what the new run committed (if the failed run did not
    # clean it up) is complete.
    assert first["run_id"] not in _run_ids(out) and len(_run_ids(out)) <= 1
    _assert_consistent(out)


def _stage(out: Path, run: str, body: bytes) -> Path:
    stage = commit.staging_dir(out, "item_00000", run)
    (stage / "item_00000.nii.gz").write_bytes(body)
    (stage / "item_00000_label.nii.gz").write_bytes(body + b"-label")
    (stage / "item_00000.json").write_text(json.dumps({"run_id": run}))
    return stage


def test_interrupted_commit_never_shows_a_mixture(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    rels = ["item_00000.nii.gz", "item_00000_label.nii.gz", "item_00000.json"]
    commit.commit_item(out, _stage(out, "old", b"old"), rels)
    assert check_item(out, "item_00000.json") == []
    stage = _stage(out, "new", b"new")
    moves = []
    real_replace = commit.os.replace

    def dies_after_first_move(src, dst):
        moves.append(dst)
        if len(moves) == 2:
            raise KeyboardInterrupt  # new image moved in, old label still there
        return real_replace(src, dst)

    monkeypatch.setattr(commit.os, "replace", dies_after_first_move)
    with pytest.raises(KeyboardInterrupt):
        commit.commit_item(out, stage, rels)
    monkeypatch.setattr(commit.os, "replace", real_replace)
    # The old sidecar went before the new image came: no item claims the mixed files.
    assert committed_markers(out) == []
    assert commit.remove_debris(out) >= 2
    assert sorted(p.name for p in out.iterdir()) == []


def test_dicom_series_appears_whole(healthy, tmp_path, monkeypatch) -> None:
    import liversynth.export.dicom as dicom

    out = tmp_path / "out"
    real = dicom._save_dataset
    saved = []

    def disk_full_on_fourth_slice(ds, path):
        saved.append(path)
        if len(saved) == 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(ds, path)

    monkeypatch.setattr(dicom, "_save_dataset", disk_full_on_fourth_slice)
    code = main(["synthesize", "--out", str(out), *_args(healthy, "--format", "dicom")])
    assert code == 1
    assert not (out / "item_00000").exists()  # the partial series never had its final name
    assert not (out / ".staging").exists() and not stale_temps(out)


def test_full_disk_is_one_line_exit_1_and_no_temp_files(healthy, tmp_path) -> None:
    code = (
        "import errno, sys\n"
        "from model_training.synthesis import writing\n"
        "real = writing._write_files\n"
        "n = []\n"
        "def full(item, stage, fmt, prov):\n"
        "    n.append(1)\n"
        "    if len(n) == 2: raise OSError(errno.ENOSPC, 'No space left on device', str(stage))\n"
        "    return real(item, stage, fmt, prov)\n"
        "writing._write_files = full\n"
        "from model_training.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", code, "synthesize", "--out", str(out), *_args(healthy)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "disk is full" in proc.stderr
    assert not (out / ".staging").exists() and not stale_temps(out)
    _assert_consistent(out)


def test_case_names_are_pseudonymised_unless_kept(healthy, tmp_path) -> None:
    from liversynth.io import load_case

    name = load_case(healthy).name
    hidden = synth(tmp_path / "a", *_args(healthy, "--format", "nifti"))
    blob = "".join(p.read_text() for p in (tmp_path / "a").glob("*.json"))
    assert name not in blob and hidden["healthy"][0].startswith("case-")
    kept = synth(tmp_path / "b", *_args(healthy, "--format", "nifti", "--keep-case-names"))
    assert kept["healthy"] == [name]
