"""The judge's real-tissue reference (benchmarks.judge_reference): pasting, pairing, scoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.judge_reference import healthy_pairs, judge_pairs, lesion_pairs, neighbour_paste
from liversynth.fillers.compositing import blend_weight


def test_paste_blends_like_the_engine_and_leaves_the_rest_bit_identical() -> None:
    rng = np.random.default_rng(0)
    image = rng.normal(100, 15, (48, 48)).astype(np.float32)
    other = rng.normal(40, 15, (48, 48)).astype(np.float32)
    mask = np.zeros((48, 48), bool)
    mask[18:30, 16:28] = True
    out = neighbour_paste(image, other, mask, 2.0)
    w = blend_weight(mask, 2.0)
    assert np.array_equal(out[w == 0], image[w == 0])
    assert np.allclose(out[mask], other[mask])
    band = (w > 0) & (w < 1)
    assert band.any() and np.allclose(out[band], (w * other + (1 - w) * image)[band], atol=1e-4)
    # Pasting a slice into itself changes nothing.
    assert np.array_equal(neighbour_paste(image, image, mask, 2.0), image)


def test_lesion_pairs_paste_the_neighbour_slice_of_a_prepared_lesion(
    phantom_dataset: Path, lits_phantoms: Path, tmp_path: Path
) -> None:
    manifest = json.loads((phantom_dataset / "manifest.json").read_text())
    splits = tuple(sorted({m["split"] for m in manifest["slices"]}))
    same = lesion_pairs(phantom_dataset, lits_phantoms, splits, 0)
    assert len(same) == len(manifest["slices"])
    # dz = 0 pastes the slice into itself: the judge cannot tell, every figure is 0.
    r0 = judge_pairs(same)
    assert r0["auc_mean"] == pytest.approx(0.5) and r0["mae_hu"] == 0.0
    moved = lesion_pairs(phantom_dataset, None, splits, 1)  # the manifest's sources
    assert any(not np.array_equal(p, hu) for hu, p, _, _ in moved)
    with pytest.raises(ValueError, match="hold no case"):
        lesion_pairs(phantom_dataset, tmp_path, splits, 1)


def test_real_healthy_liver_one_slice_away_is_hard_to_tell(ircad17: Path) -> None:
    # Real parenchyma 1.6 mm away is nearly indistinguishable; further away, the judge sees
    # more (anatomy moves), which is what makes the reference a scale for a filler's AUC.
    near = judge_pairs(healthy_pairs(ircad17, 1))
    far = judge_pairs(healthy_pairs(ircad17, 8))
    assert near["n"] >= 20
    assert near["auc_mean"] < 0.7
    assert far["mae_hu"] > near["mae_hu"]
