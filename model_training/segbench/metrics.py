"""Tumour Dice per case and lesion-wise detection, split by lesion size.

Dice is computed twice on the same masks, by MONAI's ``DiceMetric`` and by a plain NumPy
count (``2|A∩B| / (|A|+|B|)``); both are reported, and a case with no tumour and no prediction
scores 1. A true lesion (3-D component, 26-connected, :func:`skimage.measure.label`) is
detected when any predicted voxel touches it; a predicted component that touches no true
lesion is a false positive. Sizes are sphere-equivalent diameters in mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from skimage.measure import label, regionprops

#: Lesion size bins (mm, sphere-equivalent diameter): [lo, hi).
SIZE_BINS: dict[str, tuple[float, float]] = {
    "<10mm": (0.0, 10.0),
    "10-20mm": (10.0, 20.0),
    ">20mm": (20.0, float("inf")),
}


def dice_numpy(pred: np.ndarray, truth: np.ndarray) -> float:
    """``2|A∩B| / (|A|+|B|)``; 1.0 when both masks are empty."""
    a, b = np.asarray(pred, bool), np.asarray(truth, bool)
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int((a & b).sum()) / total


def dice_monai(pred: np.ndarray, truth: np.ndarray) -> float:
    """MONAI's ``DiceMetric`` on one binary mask pair (empty-empty scores 1)."""
    import torch
    from monai.metrics import DiceMetric

    metric = DiceMetric(include_background=True, reduction="mean", ignore_empty=False)
    p = torch.from_numpy(np.asarray(pred, np.float32))[None, None]
    t = torch.from_numpy(np.asarray(truth, np.float32))[None, None]
    return float(metric(p, t).item())


def size_bin(diameter_mm: float) -> str:
    for name, (lo, hi) in SIZE_BINS.items():
        if lo <= diameter_mm < hi:
            return name
    raise ValueError(f"diameter {diameter_mm} mm fits no bin")


def _diameter_mm(voxels: int, spacing_mm: tuple[float, float, float]) -> float:
    return float((6.0 * voxels * float(np.prod(spacing_mm)) / np.pi) ** (1.0 / 3.0))


def lesion_detection(
    pred: np.ndarray, truth: np.ndarray, spacing_mm: tuple[float, float, float]
) -> dict[str, dict[str, int]]:
    """Per size bin: ``lesions``, ``detected`` and ``false_positives`` (by predicted size)."""
    out = {k: {"lesions": 0, "detected": 0, "false_positives": 0} for k in SIZE_BINS}
    truth_lab = label(np.asarray(truth, bool), connectivity=3)
    pred_lab = label(np.asarray(pred, bool), connectivity=3)
    for region in regionprops(truth_lab):
        b = size_bin(_diameter_mm(int(region.area), spacing_mm))
        out[b]["lesions"] += 1
        if (pred_lab[truth_lab == region.label] > 0).any():
            out[b]["detected"] += 1
    for region in regionprops(pred_lab):
        if not (truth_lab[pred_lab == region.label] > 0).any():
            out[size_bin(_diameter_mm(int(region.area), spacing_mm))]["false_positives"] += 1
    return out


def case_metrics(
    pred: np.ndarray,
    truth: np.ndarray,
    liver: np.ndarray,
    ignore: np.ndarray,
    spacing_mm: tuple[float, float, float],
) -> dict[str, Any]:
    """Every figure of one case; predictions count inside the liver only, ``ignore`` nowhere."""
    keep = liver & ~ignore
    p, t = pred & keep, truth & keep
    return {
        "dice": dice_monai(p, t),
        "dice_numpy": dice_numpy(p, t),
        "tumour_voxels": int(t.sum()),
        "predicted_voxels": int(p.sum()),
        "detection": lesion_detection(p, t, spacing_mm),
    }
