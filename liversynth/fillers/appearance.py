"""Honouring an :class:`~liversynth.fillers.base.Appearance` request on a filled lesion.

Two controls, the same for every engine:

* ``contrast_hu`` (mean lesion HU − mean of the surrounding liver): the lesion's *smooth*
  part (Gaussian σ :data:`GRAIN_SIGMA_PX`) is scaled about the liver level so its contrast
  becomes the request, which keeps the lesion's own pattern (a rim that rises towards the
  centre stays a rim, now towards the requested level) and leaves the grain (the scan's
  noise) untouched; a remaining offset is then shifted away, so the lesion's mean minus the
  liver level is the request to float precision. Where the engine's lesion has almost no
  contrast (< :data:`MIN_SCALABLE_HU`) it is shifted only. The liver level is the median of
  the liver in a ring :data:`REFERENCE_RING_PX` px around the lesion (outside any blending
  band), the same reference the realism features use.
* ``heterogeneity`` h ∈ [0, 1]: adds a mottling field (Gaussian-smoothed white noise, σ
  :data:`MOTTLE_SIGMA_MM`, seeded; 3-D for volumes) of std ``h ×`` :data:`HETEROGENEITY_FULL_HU`
  inside the lesion. The field is made zero-mean and uncorrelated with the lesion's own
  deviations inside the mask, so the lesion's HU variance is its own plus ``(h × 45)²``:
  strictly increasing in h, and the mean (the contrast) is unchanged. h = 0 adds nothing
  (the lesion as the engine draws it).

Only pixels inside the mask change, so each engine's guarantee about pixels outside its
blending band still holds.

Example:
    >>> import numpy as np
    >>> from liversynth.fillers.base import Appearance
    >>> hu = np.full((48, 48), 110.0, np.float32)
    >>> m = np.zeros((48, 48), bool); m[16:32, 16:32] = True
    >>> out = apply_appearance(hu, m, None, Appearance(contrast_hu=-50.0), seed=0)
    >>> round(float(out[m].mean() - 110.0), 3)
    -50.0
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from liversynth.fillers.base import Appearance

#: Std of the mottling added at heterogeneity 1 (HU): the spread of a strongly necrotic
#: metastasis on contrast CT is 40–60 HU.
HETEROGENEITY_FULL_HU = 45.0
#: Size of the mottles (mm, Gaussian σ).
MOTTLE_SIGMA_MM = 2.0
#: Liver reference ring around the lesion (px), outside any blending band.
REFERENCE_RING_PX = (3.0, 15.0)
#: The smooth part of a lesion (scaled for contrast) is its Gaussian smoothing at this σ (px).
GRAIN_SIGMA_PX = 1.5
#: Below this |contrast| (HU) a lesion's pattern is not scaled, only shifted.
MIN_SCALABLE_HU = 10.0
#: Largest factor the lesion's smooth contrast is scaled by (a flat lesion is shifted instead).
MAX_SCALE = 4.0


def liver_level_hu(image_hu: np.ndarray, mask: np.ndarray, liver: np.ndarray | None) -> float:
    """Median HU of the liver (soft tissue) :data:`REFERENCE_RING_PX` px around ``mask``.

    Works on a 2-D slice or a ``(Z, H, W)`` stack (in-plane rings on the lesion's slices).
    """
    img = np.asarray(image_hu, np.float64)
    m = np.asarray(mask, bool)
    img3, m3 = (img[None], m[None]) if img.ndim == 2 else (img, m)
    lv3 = None if liver is None else np.asarray(liver, bool).reshape(m3.shape)
    values = []
    fallback = []
    for z in range(m3.shape[0]):
        if not m3[z].any():
            continue
        dist = ndimage.distance_transform_edt(~m3[z])
        ring = (dist >= REFERENCE_RING_PX[0]) & (dist <= REFERENCE_RING_PX[1])
        ring &= (img3[z] > -50.0) & (img3[z] < 250.0)
        fallback.append(img3[z][ring])
        if lv3 is not None:
            ring &= lv3[z]
        values.append(img3[z][ring])
    vals = np.concatenate(values) if values else np.zeros(0)
    if vals.size < 20:
        vals = np.concatenate(fallback) if fallback else vals
    if vals.size == 0:
        return float(np.median(img3[~m3])) if (~m3).any() else 100.0
    return float(np.median(vals))


def set_contrast(
    lesion_hu: np.ndarray, mask: np.ndarray, level_hu: float, contrast_hu: float
) -> np.ndarray:
    """``lesion_hu`` changed so that ``mean(lesion_hu[mask]) − level_hu == contrast_hu``.

    The whole array is changed the same way (callers composite only what they need); see
    the module docstring for the smooth-part scaling.
    """
    img = np.asarray(lesion_hu, np.float64)
    m = np.asarray(mask, bool)
    sigma = (0.0, GRAIN_SIGMA_PX, GRAIN_SIGMA_PX) if img.ndim == 3 else GRAIN_SIGMA_PX
    smooth = ndimage.gaussian_filter(img, sigma)
    now = float(smooth[m].mean() - level_hu)
    if abs(now) >= MIN_SCALABLE_HU:
        scale = float(np.clip(contrast_hu / now, -MAX_SCALE, MAX_SCALE))
        img = level_hu + (smooth - level_hu) * scale + (img - smooth)
    return img + (level_hu + contrast_hu - float(img[m].mean()))


def mottle_field(
    shape: tuple[int, ...],
    mask: np.ndarray,
    against: np.ndarray,
    rng: np.random.Generator,
    spacing_mm: tuple[float, ...] | None = None,
) -> np.ndarray:
    """Unit-std mottling inside ``mask``: zero mean there and uncorrelated with ``against``."""
    if spacing_mm is None:
        spacing_mm = (1.0,) * len(shape) if len(shape) == 2 else (2.0, 1.0, 1.0)
    sigma = [MOTTLE_SIGMA_MM / max(float(s), 1e-3) for s in spacing_mm[-len(shape) :]]
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    m = np.asarray(mask, bool)
    v = field[m] - field[m].mean()
    a = np.asarray(against, np.float64)[m]
    a = a - a.mean()
    if (a**2).sum() > 0:
        v = v - a * (v @ a) / (a @ a)
    std = v.std()
    out = np.zeros(shape)
    out[m] = v / std if std > 0 else 0.0
    return out


def apply_appearance(
    image_hu: np.ndarray,
    mask: np.ndarray,
    liver: np.ndarray | None,
    appearance: Appearance | None,
    *,
    seed: int | None,
    spacing_mm: tuple[float, ...] | None = None,
) -> np.ndarray:
    """A float32 copy of a filled slice/volume with the appearance applied inside ``mask``.

    Args:
        image_hu: the engine's output, ``(H, W)`` or ``(Z, H, W)`` HU.
        mask: the lesion, same shape.
        liver: liver mask (same shape) or ``None``.
        appearance: the request (``None`` or default: the input is returned as float32).
        seed: seeds the mottling (``None`` = 0).
        spacing_mm: voxel spacing (for the mottle size); ``None``: 1 mm in-plane.
    """
    out = np.array(image_hu, np.float32, copy=True)
    m = np.asarray(mask, bool)
    if appearance is None or appearance.is_default or not m.any():
        return out
    work = out.astype(np.float64)
    level = liver_level_hu(work, m, liver)
    if appearance.contrast_hu is not None:
        work = set_contrast(work, m, level, float(appearance.contrast_hu))
    if appearance.heterogeneity:
        rng = np.random.default_rng(np.random.SeedSequence([0 if seed is None else seed, 17]))
        field = mottle_field(work.shape, m, work, rng, spacing_mm)
        work = work + float(appearance.heterogeneity) * HETEROGENEITY_FULL_HU * field
    out[m] = work[m].astype(np.float32)
    return out
