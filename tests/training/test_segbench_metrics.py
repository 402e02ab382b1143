"""segbench's Dice and lesion detection on hand-made masks (MONAI, SciPy and by hand agree)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import dice as scipy_dice_dissimilarity

pytest.importorskip("monai", reason="segbench needs MONAI (pip install -e '.[segbench]')")

from model_training.segbench.metrics import (
    case_metrics,
    dice_monai,
    dice_numpy,
    lesion_detection,
    size_bin,
)


def test_dice_matches_hand_count_monai_and_scipy() -> None:
    pred = np.zeros((6, 6), bool)
    truth = np.zeros((6, 6), bool)
    pred[1:3, 1:3] = True  # 4 pixels
    truth[1:3, 1:4] = True  # 6 pixels, 4 shared
    hand = 2 * 4 / (4 + 6)
    assert dice_numpy(pred, truth) == pytest.approx(hand)
    assert dice_monai(pred, truth) == pytest.approx(hand, abs=1e-6)
    scipy = 1.0 - scipy_dice_dissimilarity(pred.ravel(), truth.ravel())
    assert scipy == pytest.approx(hand)


def test_dice_edge_cases() -> None:
    empty = np.zeros((3, 4, 4), bool)
    full = np.ones((3, 4, 4), bool)
    assert dice_numpy(empty, empty) == 1.0 and dice_monai(empty, empty) == pytest.approx(1.0)
    assert dice_numpy(full, empty) == 0.0 and dice_monai(full, empty) == pytest.approx(0.0)
    rng = np.random.default_rng(3)
    a, b = rng.random((5, 9, 9)) > 0.6, rng.random((5, 9, 9)) > 0.4
    assert dice_monai(a, b) == pytest.approx(dice_numpy(a, b), abs=1e-6)


def test_detection_counts_by_size() -> None:
    truth = np.zeros((10, 40, 40), bool)
    truth[1:3, 2:4, 2:4] = True  # 8 mm³ at 1 mm: diameter 2.5 mm, "<10mm", missed
    truth[2:8, 10:26, 10:26] = True  # 1536 mm³: diameter 14.3 mm, "10-20mm", found
    pred = np.zeros_like(truth)
    pred[4:6, 12:14, 12:14] = True  # touches the big lesion
    pred[8:10, 30:32, 30:32] = True  # touches nothing: a small false positive
    out = lesion_detection(pred, truth, (1.0, 1.0, 1.0))
    assert out["<10mm"] == {"lesions": 1, "detected": 0, "false_positives": 1}
    assert out["10-20mm"] == {"lesions": 1, "detected": 1, "false_positives": 0}
    assert out[">20mm"] == {"lesions": 0, "detected": 0, "false_positives": 0}
    assert size_bin(9.99) == "<10mm" and size_bin(10.0) == "10-20mm" and size_bin(20.0) == ">20mm"


def test_case_metrics_only_count_liver_and_skip_ignored() -> None:
    truth = np.zeros((2, 8, 8), bool)
    truth[:, 2:4, 2:4] = True
    pred = truth.copy()
    pred[:, 6:8, 6:8] = True  # outside the liver: not a false positive
    liver = np.zeros_like(truth)
    liver[:, :5, :5] = True
    ignore = np.zeros_like(truth)
    m = case_metrics(pred, truth, liver, ignore, (1.0, 1.0, 1.0))
    assert m["dice"] == pytest.approx(1.0) and m["dice_numpy"] == 1.0
    ignore[:, 2:4, 2:4] = True  # a lesion that was trained on: out of the count entirely
    m = case_metrics(pred, truth, liver, ignore, (1.0, 1.0, 1.0))
    assert m["tumour_voxels"] == 0 and m["predicted_voxels"] == 0
