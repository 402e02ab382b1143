"""``python -m model_training segbench`` end to end on tiny phantom patients (smoke preset)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from segbench_helpers import write_lits

pytest.importorskip("monai", reason="segbench needs MONAI (pip install -e '.[segbench]')")

from model_training.__main__ import main
from model_training.segbench.config import ARMS


@pytest.fixture(scope="module")
def phantom_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("segbench-data")
    return {
        "real": write_lits(root / "real", [0, 1]),
        "test": write_lits(root / "test", [2]),
        "healthy": write_lits(root / "healthy", [3], healthy=True),
    }


@pytest.mark.slow
def test_smoke_preset_end_to_end(phantom_data: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "bench"
    argv = ["segbench", "--real", str(phantom_data["real"]), "--test", str(phantom_data["test"])]
    argv += ["--healthy", str(phantom_data["healthy"]), "--filler", "mean", "--preset", "smoke"]
    argv += [
        "--steps",
        "15",
        "--seeds",
        "1",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--out",
        str(out),
    ]
    started = time.perf_counter()
    assert main(argv) == 0
    elapsed = time.perf_counter() - started
    rep = json.loads((out / "segbench.json").read_text())
    assert set(rep["arms"]) == set(ARMS)
    for arm in ARMS:
        a = rep["arms"][arm]
        assert 0.0 <= a["dice_mean"] <= 1.0 and a["dice_std"] >= 0.0
        (run,) = a["runs"]  # --seeds 1
        (name,) = run["cases"]  # the LiTS-layout test folder: one case
        assert name == "lits-2"
        assert run["cases"][name]["dice"] == pytest.approx(
            run["cases"][name]["dice_numpy"], abs=1e-5
        )
        assert set(a["detection"]) == {"<10mm", "10-20mm", ">20mm"}
    split = rep["split"]
    assert split["mode"] == "patient" and not split["optimistic"]
    assert split["test_patients"] == ["lits-2"] and set(split["train_slices"]) == {
        "lits-0",
        "lits-1",
    }
    assert all(b.split("#")[0] in ("lits-0", "lits-1") for b in rep["synthetic"]["bank"])
    table = (out / "segbench.md").read_text()
    assert all(f"| {arm} |" in table for arm in ARMS)
    assert (out / "curves.png").stat().st_size > 1000
    assert (out / "command.txt").read_text().startswith("python -m model_training segbench")
    manifest = json.loads((out / "data_manifest.json").read_text())
    assert all(s.split(":")[0] in ("lits-0", "lits-1") for s in manifest["train_slices"])
    assert elapsed < 120, f"smoke preset took {elapsed:.0f} s"


def test_refuses_a_non_empty_out(phantom_data: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep")
    argv = ["segbench", "--real", str(phantom_data["real"]), "--test", str(phantom_data["test"])]
    assert main([*argv, "--preset", "smoke", "--out", str(tmp_path)]) == 2
    assert main([*argv, "--ratio", "a:b", "--out", str(tmp_path / "new")]) == 2


def _synthesize(out: Path, healthy: Path, lesions: Path, fmt: str) -> Path:
    argv = ["synthesize", "--healthy", str(healthy), "--lesions", str(lesions), "--count", "2"]
    argv += ["--filler", "mean", "--format", fmt, "--workers", "1", "--out", str(out)]
    assert main(argv) == 0
    return out


@pytest.mark.parametrize("fmt", ["png", "nifti"])
def test_reads_a_synthesize_folder(phantom_data: dict[str, Path], tmp_path: Path, fmt: str) -> None:
    from model_training.segbench.synthetic import read_pool, synthetic_case_names

    lesions = phantom_data["real"] / "volume-0.nii.gz"
    folder = _synthesize(tmp_path / "s", phantom_data["healthy"], lesions, fmt)
    pool, manifest = read_pool(folder, pixel_mm=4.0, side_px=56)
    assert len(pool) >= 2 and pool.image.shape[1:] == (56, 56)
    # Every slice of an item that shows its lesion (a thin edge may vanish at 4 mm pixels).
    assert pool.tumour.any(axis=(1, 2)).sum() >= 2 and (pool.tumour <= pool.liver).all()
    # synthesize pseudonymises case names; the run's own case names map them back.
    healthy, bank = synthetic_case_names(manifest)
    assert healthy[0].startswith("case-") and bank[0].startswith("case-")
    healthy, bank = synthetic_case_names(manifest, ["lits-0", "lits-3"])
    assert healthy == ["lits-3"] and bank and all(b.startswith("lits-0#") for b in bank)


def test_refuses_synthetic_items_built_from_test_lesions(
    phantom_data: dict[str, Path], tmp_path: Path
) -> None:
    folder = _synthesize(tmp_path / "s", phantom_data["healthy"], phantom_data["test"], "png")
    argv = ["segbench", "--real", str(phantom_data["real"]), "--test", str(phantom_data["test"])]
    argv += ["--synthetic", str(folder), "--preset", "smoke", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert not (tmp_path / "o" / "segbench.json").exists()
