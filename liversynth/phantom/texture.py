"""Random fields: smooth tissue texture, CT noise and partial-volume smoothing."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _upsample_matrix(n_out: int, n_in: int, width: float) -> np.ndarray:
    """(n_out, n_in) Gaussian interpolation weights from a coarse to a fine grid (rows sum to 1)."""
    pos = (np.arange(n_out) + 0.5) / n_out * (n_in - 2) + 0.5  # keep one coarse node of margin
    w = np.exp(-0.5 * ((pos[:, None] - np.arange(n_in)[None, :]) / width) ** 2)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def smooth_field(
    rng: np.random.Generator, shape: tuple[int, ...], scale_px: tuple[float, ...]
) -> np.ndarray:
    """A smooth, zero-mean, unit-variance float32 field with features ~``scale_px`` across.

    White noise on a grid ``scale_px`` times coarser is interpolated up with separable Gaussian
    weights (three small matrix products), far cheaper than blurring at full resolution.
    """
    coarse = tuple(max(3, int(np.ceil(n / s)) + 2) for n, s in zip(shape, scale_px, strict=True))
    field = rng.standard_normal(coarse, dtype=np.float32)
    for axis, (n_out, n_in) in enumerate(zip(shape, coarse, strict=True)):
        m = _upsample_matrix(n_out, n_in, 0.6)
        field = np.moveaxis(np.tensordot(m, field, axes=([1], [axis])), 0, axis)
    field = np.ascontiguousarray(field, dtype=np.float32)
    field -= field.mean()
    field /= max(float(field.std()), 1e-6)
    return field


def ct_noise(
    rng: np.random.Generator, shape: tuple[int, ...], sigma_hu: float, corr_px: float = 0.8
) -> np.ndarray:
    """CT-like noise: white noise blurred in-plane (the reconstruction kernel), std ``sigma_hu``."""
    noise = rng.standard_normal(shape, dtype=np.float32)
    noise = ndimage.gaussian_filter(noise, (0.0, corr_px, corr_px), truncate=3.0)
    noise *= np.float32(sigma_hu / max(float(noise.std()), 1e-6))
    return noise


def partial_volume(hu: np.ndarray, sigma_px: tuple[float, float, float]) -> np.ndarray:
    """Mild blur standing in for the scanner's point-spread function and slice thickness."""
    return ndimage.gaussian_filter(hu, sigma_px, truncate=2.5)
