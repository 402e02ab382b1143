"""Metrics: hand-computed values, symmetry, monotonicity, edge cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from liversynth.metrics import METRIC_KEYS, compare, json_safe


def _scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hu = rng.normal(60, 25, (32, 32))
    mask = np.zeros((32, 32), dtype=bool)
    mask[10:20, 12:22] = True
    return hu, mask


def test_identical_images() -> None:
    hu, mask = _scene()
    out = compare(hu, hu, mask)
    assert tuple(out) == METRIC_KEYS
    assert out["psnr_slice"] == math.inf and out["psnr_lesion"] == math.inf
    assert out["ssim_slice"] == pytest.approx(1.0) and out["ssim_lesion"] == pytest.approx(1.0)
    assert out["mae_lesion_hu"] == 0.0


def test_hand_computed_constant_offset() -> None:
    # Flat 40 HU slice vs. 40 + 40 HU inside a 10×10 lesion: everything is computable by hand.
    ref = np.full((32, 32), 40.0)
    syn = ref.copy()
    mask = np.zeros((32, 32), dtype=bool)
    mask[10:20, 10:20] = True
    syn[mask] = 80.0
    out = compare(ref, syn, mask)
    # 8-bit: 40 HU → 127.5 → 128, 80 HU → 153; 100 of 1024 pixels differ by 25 levels.
    mse8 = 100 * 25**2 / 1024
    assert out["psnr_slice"] == pytest.approx(10 * math.log10(255**2 / mse8))
    # [0, 1]: difference 40/400 = 0.1 on every mask pixel → MSE 0.01 → 20 dB.
    assert out["psnr_lesion"] == pytest.approx(20.0)
    assert out["mae_lesion_hu"] == pytest.approx(40.0)
    assert 0 < out["ssim_lesion"] < out["ssim_slice"] < 1


def test_window_clipping_is_applied() -> None:
    # Differences above 240 HU are invisible in W400/L40 but count in the HU MAE.
    ref = np.full((16, 16), 500.0)
    syn = np.full((16, 16), 900.0)
    mask = np.ones((16, 16), dtype=bool)
    out = compare(ref, syn, mask)
    assert out["psnr_slice"] == math.inf and out["psnr_lesion"] == math.inf
    assert out["mae_lesion_hu"] == pytest.approx(400.0)


def test_symmetric() -> None:
    ref, mask = _scene(1)
    syn = ref + np.random.default_rng(2).normal(0, 15, ref.shape) * mask
    a, b = compare(ref, syn, mask), compare(syn, ref, mask)
    for key in METRIC_KEYS:
        assert a[key] == pytest.approx(b[key]), key


def test_noisier_fill_scores_worse() -> None:
    ref, mask = _scene(3)
    rng = np.random.default_rng(4)
    noise = rng.normal(0, 1, ref.shape)
    mild = compare(ref, ref + 5 * noise * mask, mask)
    harsh = compare(ref, ref + 40 * noise * mask, mask)
    assert harsh["psnr_slice"] < mild["psnr_slice"]
    assert harsh["ssim_slice"] < mild["ssim_slice"]
    assert harsh["psnr_lesion"] < mild["psnr_lesion"]
    assert harsh["ssim_lesion"] < mild["ssim_lesion"]
    assert harsh["mae_lesion_hu"] > mild["mae_lesion_hu"]
    # Whole-slice PSNR is inflated relative to the lesion PSNR (small lesion).
    assert harsh["psnr_slice"] > harsh["psnr_lesion"]


def test_empty_mask_gives_nan_lesion_metrics() -> None:
    ref, _ = _scene()
    out = compare(ref, ref + 1, np.zeros(ref.shape, dtype=bool))
    assert math.isfinite(out["psnr_slice"])
    assert all(math.isnan(out[k]) for k in ("psnr_lesion", "ssim_lesion", "mae_lesion_hu"))


def test_bad_inputs_raise() -> None:
    ref, mask = _scene()
    with pytest.raises(ValueError):
        compare(ref, ref[:-1], mask)
    with pytest.raises(ValueError):
        compare(ref[:8, :8], ref[:8, :8], mask[:8, :8])


def test_json_safe() -> None:
    ref, mask = _scene()
    out = json_safe({"a": compare(ref, ref, mask), "b": [np.float32(0.5), math.nan], "c": "x"})
    text = json.dumps(out, allow_nan=False)
    back = json.loads(text)
    assert back["a"]["psnr_slice"] is None
    assert back["a"]["mae_lesion_hu"] == 0.0
    assert back["b"] == [0.5, None] and back["c"] == "x"
