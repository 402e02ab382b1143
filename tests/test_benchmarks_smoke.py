"""The benchmark harness must keep working: ``python -m benchmarks --quick`` on tiny sizes.

No timing is asserted (the machine is shared); only that every section runs, writes its
figures as summaries (median with spread and n) and that the Markdown summary is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from liversynth.fillers.gan import DEFAULT_FLIPS

ROOT = Path(__file__).resolve().parents[1]


def run_quick(tmp_path: Path, *sections: str) -> dict:
    out = tmp_path / "results.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)]
    if sections:
        cmd += ["--only", *sections]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.with_suffix(".md").read_text(encoding="utf-8").startswith("# LiverSynth benchmark")
    return json.loads(out.read_text(encoding="utf-8"))


def test_summaries_have_median_spread_and_n() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.stats import ratio, summarize
    finally:
        sys.path.remove(str(ROOT))
    s = summarize([4.0, 1.0, 3.0, 2.0, 100.0])
    assert s["median"] == 3.0 and s["n"] == 5 and s["min"] == 1.0 and s["max"] == 100.0
    assert s["q1"] == 2.0 and s["q3"] == 4.0 and s["p5"] < s["median"] < s["p95"] < 100.0
    assert summarize([])["median"] is None and summarize([])["n"] == 0
    assert ratio({"median": 6.0}, {"median": 3.0}) == 2.0
    assert ratio({"median": 6.0}, {"median": None}) is None


def test_quick_fill_and_loading(tmp_path: Path) -> None:
    report = run_quick(tmp_path, "fill", "loading")
    assert report["quick"] and report["machine"]["usable_cpus"] >= 1
    fill = report["sections"]["fill"]
    assert "error" not in fill and fill["load_average_before"] is not None
    default = f"flips={DEFAULT_FLIPS}"
    for name in (default, "flips=1", "flips=4", f"{default}, 1 thread", "flips=1, 1 thread"):
        wall = fill["fills"][name]["wall_ms"]
        assert wall["n"] == 4 and wall["p5"] <= wall["median"] <= wall["p95"]
    assert fill["fills"][f"{default}, 1 thread"]["torch_threads"] == 1
    assert fill["paired_ratios"]["flips=4 / flips=1"]["n"] == 4
    assert fill["goal"]["default_flips"] == DEFAULT_FLIPS
    loading = report["sections"]["loading"]
    nii = next(v for k, v in loading.items() if k.startswith("nifti .nii "))
    assert nii["ratio"]["n"] == 2 and list(nii["seconds"])[:2] == [
        "load_volume",
        "bare nibabel (mmap=False)",
    ]


@pytest.mark.slow
def test_quick_every_section(tmp_path: Path) -> None:
    report = run_quick(tmp_path)
    sections = report["sections"]
    assert set(sections) == {"fill", "train", "loading", "io_memory", "synthesis", "gui"}
    for name, section in sections.items():
        assert "error" not in section, (name, section.get("error"))
    assert sections["train"]["paper cpu"]["it_per_s"]["median"] > 0
    assert set(sections["synthesis"]["fillers"]) >= {"gan", "procedural", "copy_paste"}
    gui = sections["gui"]
    assert "error" not in gui["launch"], gui["launch"]
    assert "error" not in gui["brush_release"], gui["brush_release"]
    assert gui["launch"]["first_paint_s"]["median"] > 0
