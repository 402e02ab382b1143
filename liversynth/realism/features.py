"""Texture and margin features of one lesion, the realism judge's view of a filled slice.

Every feature is computed from the slice (HU), the lesion mask and the liver mask only, and is
expressed relative to the liver around the lesion where that makes slices comparable. The
liver reference is a ring 3..10 px outside the mask: a filler's blending band (at most 3 px)
never reaches it, so a real slice and a filled copy of it share the reference exactly and the
features differ only by what the filler painted.

Four groups (:data:`FEATURE_NAMES` lists them in order):

* **intensity** (``int_*``): mean offset to the liver ring, standard deviation, skewness,
  excess kurtosis, the 5/25/50/75/95th percentiles relative to the lesion mean, and the
  log ratio of the lesion's spread to the ring's;
* **co-occurrence texture** (``glcm_*``): grey-level co-occurrence matrices
  (:func:`skimage.feature.graycomatrix`) of the lesion windowed to ring mean −160..+160 HU in 32
  levels, at distances 1, 2 and 3 px averaged over 0/45/90/135°, pixels outside the mask
  excluded; contrast, homogeneity, energy and correlation per distance;
* **high-frequency energy / noise power** (``hf_*``): std of a Laplacian of Gaussian (σ 0.7 px)
  and of three difference-of-Gaussian bands (σ 0–1, 1–2, 2–4 px; a radially averaged power
  spectrum in three bins) inside the mask eroded by 1 px, in log HU and as log ratio to the
  same band in the liver ring;
* **margin** (``margin_*``): the mean HU profile across the boundary at signed distances
  −3..+3 px (relative to the ring mean), the gradient magnitude on the boundary, inner-rim
  (0..2 px inside) minus outer-rim (1..3 px outside) contrast, and edge sharpness (boundary
  gradient / |core − outer rim|).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> hu = (100 + 15 * rng.standard_normal((64, 64))).astype(np.float32)
    >>> m = np.zeros((64, 64), bool); m[24:40, 24:40] = True; hu[m] -= 40
    >>> f = lesion_features(hu, m, np.ones_like(m))
    >>> len(f) == len(FEATURE_NAMES), round(float(f[0]) / 10)  # int_offset_hu ≈ −40
    (True, -4)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage, stats
from skimage.feature import graycomatrix

#: Liver reference ring, px outside the mask (beyond any filler's blending band).
RING_PX = (3.0, 10.0)
#: Context kept around the lesion's bounding box for the features (px).
_CONTEXT_PX = 12
_PERCENTILES = (5, 25, 50, 75, 95)
_GLCM_DISTANCES_PX = (1, 2, 3)
_GLCM_ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)
_GLCM_LEVELS = 32
_GLCM_HALF_RANGE_HU = 160.0
_DOG_SIGMAS_PX = ((0, 1), (1, 2), (2, 4))
_PROFILE_PX = (-3, -2, -1, 1, 2, 3)
_SOFT_TISSUE_HU = (-50.0, 250.0)

FEATURE_NAMES: tuple[str, ...] = (
    "int_offset_hu",
    "int_std_hu",
    "int_skew",
    "int_kurtosis",
    *(f"int_p{p}_hu" for p in _PERCENTILES),
    "int_log_std_ratio",
    *(
        f"glcm_{prop}_d{d}"
        for d in _GLCM_DISTANCES_PX
        for prop in ("contrast", "homogeneity", "energy", "correlation")
    ),
    "hf_log_log",
    *(f"hf_log_dog{lo:g}_{hi:g}" for lo, hi in _DOG_SIGMAS_PX),
    "hf_log_ratio_log",
    *(f"hf_log_ratio_dog{lo:g}_{hi:g}" for lo, hi in _DOG_SIGMAS_PX),
    *(f"margin_profile_{d:+d}_hu" for d in _PROFILE_PX),
    "margin_edge_gradient_hu",
    "margin_rim_contrast_hu",
    "margin_sharpness",
)


def _crop(mask: np.ndarray) -> tuple[slice, slice]:
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    return (
        slice(max(0, int(ys.min()) - _CONTEXT_PX), min(h, int(ys.max()) + 1 + _CONTEXT_PX)),
        slice(max(0, int(xs.min()) - _CONTEXT_PX), min(w, int(xs.max()) + 1 + _CONTEXT_PX)),
    )


def liver_ring(image_hu: np.ndarray, mask: np.ndarray, liver: np.ndarray | None) -> np.ndarray:
    """The reference ring ``RING_PX`` outside ``mask`` (in the liver and soft tissue when possible)."""
    dist = ndimage.distance_transform_edt(~mask)
    ring = (dist >= RING_PX[0]) & (dist <= RING_PX[1])
    soft = (image_hu > _SOFT_TISSUE_HU[0]) & (image_hu < _SOFT_TISSUE_HU[1])
    for sel in ((ring & soft & liver) if liver is not None else ring & soft, ring & soft, ring):
        if sel.sum() >= 10:
            return np.asarray(sel)
    return np.asarray(ring)


def _std(values: np.ndarray) -> float:
    return float(values.std()) if values.size > 1 else 0.0


def _glcm(inside: np.ndarray, crop_hu: np.ndarray, ref_hu: float) -> list[float]:
    unit = (crop_hu - ref_hu + _GLCM_HALF_RANGE_HU) / (2 * _GLCM_HALF_RANGE_HU)
    levels = np.clip(np.round(unit * (_GLCM_LEVELS - 1)), 0, _GLCM_LEVELS - 1).astype(np.uint8)
    # Level 0 marks "outside the lesion"; its row and column are dropped below, so only pairs
    # of lesion pixels count.
    image = np.where(inside, levels + 1, 0).astype(np.uint8)
    glcm = graycomatrix(
        image, _GLCM_DISTANCES_PX, _GLCM_ANGLES, levels=_GLCM_LEVELS + 1, symmetric=True
    )[1:, 1:].astype(np.float64)
    glcm = glcm.sum(axis=3)  # average over angles (rotation-invariant texture)
    i, j = np.meshgrid(np.arange(_GLCM_LEVELS), np.arange(_GLCM_LEVELS), indexing="ij")
    out: list[float] = []
    for k in range(len(_GLCM_DISTANCES_PX)):
        p = glcm[:, :, k]
        total = p.sum()
        if total <= 0:
            out.extend([0.0, 1.0, 1.0, 0.0])
            continue
        p = p / total
        mu_i, mu_j = (i * p).sum(), (j * p).sum()
        sd_i = np.sqrt(((i - mu_i) ** 2 * p).sum())
        sd_j = np.sqrt(((j - mu_j) ** 2 * p).sum())
        corr = ((i - mu_i) * (j - mu_j) * p).sum() / (sd_i * sd_j) if sd_i * sd_j > 0 else 0.0
        out.extend(
            [
                float(((i - j) ** 2 * p).sum()),
                float((p / (1.0 + (i - j) ** 2)).sum()),
                float(np.sqrt((p**2).sum())),
                float(corr),
            ]
        )
    return out


def _bands(crop_hu: np.ndarray) -> list[np.ndarray]:
    """Laplacian of Gaussian and difference-of-Gaussian bands of a crop (HU)."""
    smooth = {s: ndimage.gaussian_filter(crop_hu, s) if s > 0 else crop_hu for s in (0, 1, 2, 4)}
    out = [ndimage.gaussian_laplace(crop_hu, 0.7)]
    out.extend(smooth[lo] - smooth[hi] for lo, hi in _DOG_SIGMAS_PX)
    return out


def lesion_features(
    image_hu: npt.ArrayLike, mask: npt.ArrayLike, liver: npt.ArrayLike | None = None
) -> np.ndarray:
    """The feature vector (:data:`FEATURE_NAMES`, float64) of the lesion ``mask`` in a slice.

    Args:
        image_hu: ``(H, W)`` slice in HU (real or filled).
        mask: ``(H, W)`` lesion mask; must not be empty.
        liver: ``(H, W)`` liver mask, or ``None`` (the ring then uses soft tissue only).

    Raises:
        ValueError: empty mask or shapes differ.
    """
    full = np.asarray(image_hu, np.float64)
    m_full = np.asarray(mask, bool)
    if m_full.shape != full.shape or full.ndim != 2:
        raise ValueError(f"slice {full.shape} and mask {m_full.shape} must be equal 2-D shapes")
    if not m_full.any():
        raise ValueError("the lesion mask is empty")
    box = _crop(m_full)
    hu, m = full[box], m_full[box]
    lv = None if liver is None else np.asarray(liver, bool)[box]
    ring = liver_ring(hu, m, lv)
    ref = float(np.median(hu[ring])) if ring.any() else float(np.median(hu[~m]))
    vals = hu[m]
    mean = float(vals.mean())
    std = _std(vals)
    ring_std = _std(hu[ring]) if ring.any() else 1.0
    spread = vals - mean
    feats: list[float] = [
        mean - ref,
        std,
        float(stats.skew(vals)) if std > 0 else 0.0,
        float(stats.kurtosis(vals)) if std > 0 else 0.0,
        *(float(v) for v in np.percentile(spread, _PERCENTILES)),
        float(np.log((std + 1.0) / (ring_std + 1.0))),
    ]
    feats.extend(_glcm(m, hu, ref))
    core = ndimage.binary_erosion(m)
    core = core if core.sum() >= 4 else m
    bands = _bands(hu)
    band_std = [_std(b[core]) for b in bands]
    ring_band = [_std(b[ring]) if ring.any() else 1.0 for b in bands]
    feats.extend(float(np.log(s + 0.1)) for s in band_std)
    feats.extend(
        float(np.log((s + 0.1) / (r + 0.1))) for s, r in zip(band_std, ring_band, strict=True)
    )
    # Signed distance: > 0 inside (pixel centres 1, 2, ... from the edge), < 0 outside.
    signed = ndimage.distance_transform_edt(m) - ndimage.distance_transform_edt(~m)
    for d in _PROFILE_PX:
        shell = (signed > d - 1) & (signed <= d) if d > 0 else (signed < d + 1) & (signed >= d)
        feats.append(float(hu[shell].mean() - ref) if shell.any() else mean - ref)
    smooth = ndimage.gaussian_filter(hu, 0.7)
    grad = np.hypot(ndimage.sobel(smooth, 0), ndimage.sobel(smooth, 1)) / 8.0
    edge = np.abs(signed) <= 1.0
    edge_grad = float(grad[edge].mean())
    inner = (signed > 0) & (signed <= 2)
    outer = (signed < 0) & (signed >= -3)
    inner_hu = float(hu[inner].mean()) if inner.any() else mean
    outer_hu = float(hu[outer].mean()) if outer.any() else ref
    core_hu = float(hu[core].mean())
    feats.extend([edge_grad, inner_hu - outer_hu, edge_grad / (abs(core_hu - outer_hu) + 5.0)])
    out = np.asarray(feats, np.float64)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
