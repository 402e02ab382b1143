"""``synthesize --shard K/N`` + ``synthesize merge`` == one unsharded run, item for item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synth_helpers import same_files, synth, write_case

from model_training.__main__ import main


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    return write_case(tmp_path_factory.mktemp("cases") / "healthy", 1, healthy=True)


def _without(manifest: dict, *keys: str) -> dict:
    return {k: v for k, v in manifest.items() if k not in keys}


def test_two_shards_merged_equal_one_run(healthy: Path, tmp_path: Path) -> None:
    common = ["--healthy", str(healthy), "--count", "3", "--seed", "7", "--format", "nifti"]
    common += ["--workers", "1", "--quiet"]
    whole = synth(tmp_path / "whole", *common)
    a = synth(tmp_path / "a", *common, "--shard", "0/2")
    b = synth(tmp_path / "b", *common, "--shard", "1/2")
    assert [r["index"] for r in a["items"]] == [0, 2]
    assert [r["index"] for r in b["items"]] == [1]
    merge = ["synthesize", "merge", str(tmp_path / "b"), str(tmp_path / "a")]
    assert main([*merge, "--out", str(tmp_path / "merged")]) == 0
    merged = json.loads((tmp_path / "merged" / "manifest.json").read_text())
    assert merged["merged_from"] == ["0/2", "1/2"]
    # Every entry, every item record; the run id names one run (each shard is one).
    assert _without(merged, "merged_from", "run_id") == _without(whole, "run_id")
    names = sorted(p.name for p in (tmp_path / "whole").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "merged").iterdir())
    same_files(tmp_path / "whole", tmp_path / "merged", [n for n in names if n != "manifest.json"])


def test_merge_refuses_overlaps_gaps_and_other_runs(healthy: Path, tmp_path: Path, capsys) -> None:
    common = ["--healthy", str(healthy), "--count", "2", "--format", "png", "--workers", "1"]
    synth(tmp_path / "a", *common, "--shard", "0/2", "--quiet")
    synth(tmp_path / "c", *common, "--shard", "1/2", "--seed", "9", "--quiet")
    merge = ["synthesize", "merge", "--out", str(tmp_path / "m")]
    assert main([*merge, str(tmp_path / "a")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main([*merge, str(tmp_path / "a"), str(tmp_path / "a")]) == 2
    assert "in both" in capsys.readouterr().err
    assert main([*merge, str(tmp_path / "a"), str(tmp_path / "c")]) == 2
    assert "same run" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()  # nothing left behind
    assert main(["synthesize", "--shard", "2/2", *common, "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()
