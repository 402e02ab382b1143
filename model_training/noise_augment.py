"""Noise-level augmentation: CT-like correlated noise added to a whole training crop.

Real scans differ in noise level (dose, patient size, kernel); a generator trained on one
scanner's noise paints that noise into every scan (issue 17: on a noisier scan the fill's HU
spread was less than half the real tumour's). Here each training crop gets, with probability
``p``, a Gaussian noise field of standard deviation ``sigma`` drawn uniformly from
``sigma_hu`` and correlation length (the σ of a Gaussian low-pass, in px) drawn from
``corr_px``: white noise filtered by that Gaussian and rescaled by the kernel's L2 norm, so the
field's standard deviation is ``sigma`` whatever the correlation (periodic boundary: the field
is stationary up to the crop's edge).

The same field is added to the crop *before* the generator input and the target are made from
it, so outside the lesion the input carries it and inside the lesion the target does: the
generator learns to continue the context's noise into the lesion instead of painting one
scanner's texture. Measured caveat (one CPU fine-tune, see the model card): under the
pixel-wise L1 loss the noise inside the lesion is unpredictable from the input, so the L1 term
pulls the output towards its median, i.e. a *smoother* lesion; the augmentation teaches
robustness to the context's noise level, and keeping the noise needs the adversarial / a
texture loss to outweigh L1 (or a noise input). Randomness comes only from the sample's generator (seeded per draw by
:class:`model_training.dataset.CropDataset`), after the crop's own draws: with the
augmentation off no draw is made and runs are bit-identical to runs without it.

Example:
    >>> import numpy as np
    >>> field = correlated_noise((256, 256), 10.0, 1.0, np.random.default_rng(0))
    >>> 9.0 < float(field.std()) < 11.0
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class NoiseParams:
    """Ranges of the added noise (see the module docstring).

    Attributes:
        sigma_hu: (low, high) standard deviation of the added field in HU.
        corr_px: (low, high) σ of the Gaussian filter in px (0 = white noise).
        p: probability that a crop gets noise at all.
    """

    sigma_hu: tuple[float, float] = (0.0, 15.0)
    corr_px: tuple[float, float] = (0.5, 1.5)
    p: float = 0.8

    def __post_init__(self) -> None:
        for name in ("sigma_hu", "corr_px"):
            lo, hi = getattr(self, name)
            if not 0.0 <= lo <= hi:
                raise ValueError(f"noise {name} range must be 0 <= low <= high, got {lo}:{hi}")
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"noise probability must be in [0, 1], got {self.p}")

    @property
    def enabled(self) -> bool:
        """Whether any noise can be drawn."""
        return self.p > 0.0 and self.sigma_hu[1] > 0.0


@lru_cache(maxsize=64)
def _kernel_norm(corr_px: float) -> float:
    """L2 norm of ``ndimage.gaussian_filter``'s kernel (what white noise's σ is scaled by)."""
    if corr_px <= 0.0:
        return 1.0
    half = int(4.0 * corr_px + 0.5) + 1
    delta = np.zeros((2 * half + 1, 2 * half + 1), np.float64)
    delta[half, half] = 1.0
    kernel = ndimage.gaussian_filter(delta, corr_px, mode="constant")
    return float(np.sqrt((kernel**2).sum()))


def correlated_noise(
    shape: tuple[int, int], sigma_hu: float, corr_px: float, rng: np.random.Generator
) -> np.ndarray:
    """A float32 Gaussian noise field of standard deviation ``sigma_hu`` (expected).

    Args:
        shape: (H, W) of the field.
        sigma_hu: its standard deviation in HU.
        corr_px: σ of the Gaussian low-pass in px (0 = white).
        rng: the only source of randomness.
    """
    white = rng.standard_normal(shape)
    if corr_px > 0.0:
        # Rounded so that the cached norm is reused; 0.01 px changes the norm by < 1 %.
        corr_px = round(corr_px, 2)
        white = ndimage.gaussian_filter(white, corr_px, mode="wrap") / _kernel_norm(corr_px)
    return (white * sigma_hu).astype(np.float32)


def add_noise(crop_hu: np.ndarray, rng: np.random.Generator, params: NoiseParams) -> np.ndarray:
    """``crop_hu`` plus, with probability ``params.p``, a correlated noise field.

    Returns:
        float32 HU, same shape (a new array when noise was added, else ``crop_hu``).
    """
    if not params.enabled or rng.random() >= params.p:
        return crop_hu
    sigma = rng.uniform(*params.sigma_hu)
    corr = rng.uniform(*params.corr_px)
    return crop_hu + correlated_noise(crop_hu.shape, sigma, corr, rng)
