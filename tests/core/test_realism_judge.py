"""The realism judge: it must see an obvious fake and must not see a difference where none is."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from liversynth.realism import (
    FEATURE_NAMES,
    adjacent_slice_correlation,
    attenuation_error_hu,
    diversity,
    judge_auc,
    lesion_features,
    noise_power_ratio,
    texture_ratio,
)


def _tumour_slice(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A liver patch with CT-like correlated noise and a mottled hypodense lesion, soft edge."""
    n = 96
    noise = ndimage.gaussian_filter(rng.standard_normal((n, n)), 0.8) * 40.0
    yy, xx = np.mgrid[:n, :n]
    ry, rx = rng.uniform(8, 18, 2)
    cy, cx = rng.uniform(40, 56, 2)
    inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
    mask = inside <= 1.0
    edge = 1.0 / (1.0 + np.exp((np.sqrt(inside) - 1.0) * 8.0))
    mottle = ndimage.gaussian_filter(rng.standard_normal((n, n)), 3.0) * 60.0
    hu = 110.0 + noise + edge * (rng.uniform(-60, -25) + mottle)
    return hu.astype(np.float32), mask, np.ones((n, n), bool)


@pytest.fixture(scope="module")
def real_samples() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    return [_tumour_slice(rng) for _ in range(40)]


def test_features_have_their_documented_length_and_see_the_offset() -> None:
    hu, mask, liver = _tumour_slice(np.random.default_rng(0))
    f = lesion_features(hu, mask, liver)
    assert f.shape == (len(FEATURE_NAMES),) and np.isfinite(f).all()
    offset = f[FEATURE_NAMES.index("int_offset_hu")]
    assert -70 < offset < -15
    with pytest.raises(ValueError, match="empty"):
        lesion_features(hu, np.zeros_like(mask), liver)


def test_a_constant_fill_is_separated_at_auc_near_one(real_samples: list) -> None:
    real, fake = [], []
    for hu, mask, liver in real_samples:
        real.append(lesion_features(hu, mask, liver))
        flat = hu.copy()
        flat[mask] = np.median(hu[~mask])
        fake.append(lesion_features(flat, mask, liver))
    result = judge_auc(np.stack(real), np.stack(fake), np.arange(len(real)))
    assert result.auc_mean > 0.97 and result.pooled_auc_mean > 0.97
    assert result.folds == 5 and result.n_groups == len(real)


def test_two_halves_of_the_same_real_data_give_auc_near_half(real_samples: list) -> None:
    feats = np.stack([lesion_features(*s) for s in real_samples])
    half = len(feats) // 2
    groups = np.arange(half)  # pair i of one half with pair i of the other, same fold
    result = judge_auc(feats[:half], feats[half:], groups, repeats=10)
    assert 0.3 < result.pooled_auc_mean < 0.7, result
    assert result.auc_std > 0  # the spread over folds is reported


def test_the_judge_is_deterministic_and_validates_its_input(real_samples: list) -> None:
    feats = np.stack([lesion_features(*s) for s in real_samples[:12]])
    a = judge_auc(feats[:6], feats[6:] + 1.0, np.arange(6), seed=3)
    b = judge_auc(feats[:6], feats[6:] + 1.0, np.arange(6), seed=3)
    assert a == b
    with pytest.raises(ValueError, match="two groups"):
        judge_auc(feats[:2], feats[2:4], np.zeros(2))
    with pytest.raises(ValueError, match="alike"):
        judge_auc(feats[:2], feats[2:4, :3], np.arange(2))


def test_per_lesion_figures() -> None:
    hu, mask, _ = _tumour_slice(np.random.default_rng(2))
    flat = hu.copy()
    flat[mask] = hu[mask].mean()
    assert texture_ratio(hu, hu, mask) == pytest.approx(1.0)
    assert texture_ratio(flat, hu, mask) == pytest.approx(0.0, abs=1e-6)
    assert noise_power_ratio(flat, hu, mask) < 0.3  # only the blurred edge is left
    assert attenuation_error_hu(flat, hu, mask) == pytest.approx(0.0, abs=1e-3)
    assert attenuation_error_hu(hu + 10.0, hu, mask) == pytest.approx(10.0, abs=1e-3)
    assert diversity(hu, hu, hu, mask) == 0.0
    assert diversity(hu, flat, hu, mask) > 0.5
    vol = np.stack([hu, hu, hu + np.random.default_rng(3).normal(0, 1, hu.shape)])
    m3 = np.stack([mask] * 3)
    assert adjacent_slice_correlation(vol, m3) > 0.95
    noise = np.random.default_rng(4).normal(0, 20, vol.shape)
    assert abs(adjacent_slice_correlation(noise, m3)) < 0.2
