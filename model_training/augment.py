"""Training crops around a lesion, with geometric and intensity augmentation.

One call turns a stored slice (HU) and its lesion mask into a ``crop_px`` square around the
lesion. With augmentation:

* the crop centre is a random lesion pixel moved by up to ``jitter_frac * crop_px``;
* flips and 90° rotations (exact: no resampling, so the target texture is not blurred);
* with probability ``p_affine`` also a small arbitrary rotation and a scale change (one linear
  resampling of the HU, nearest-neighbour for the mask);
* an intensity change of the whole crop, ``hu' = (hu - pivot) * a + pivot + b`` with
  ``a`` within ±``hu_scale`` and ``b`` within ±``hu_shift_hu``: contrast phase and scanner
  calibration differ between patients, and the generator should not learn one patient's
  liver HU. Input and target are made from the same changed crop, so they stay consistent.

Example:
    >>> import numpy as np
    >>> hu = np.zeros((100, 120), np.int16); m = np.zeros_like(hu, bool); m[40:50, 60:70] = True
    >>> crop, mask = random_crop(hu, m, 64, np.random.default_rng(0), AugmentParams())
    >>> crop.shape, mask.shape, bool(mask.any())
    ((64, 64), (64, 64), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class AugmentParams:
    """Ranges of the random changes (see the module docstring)."""

    jitter_frac: float = 0.25
    flip: bool = True
    rot90: bool = True
    p_affine: float = 0.5
    max_rotate_deg: float = 15.0
    max_scale: float = 0.15
    hu_shift_hu: float = 30.0
    hu_scale: float = 0.10
    pivot_hu: float = 40.0


def center_crop(hu: np.ndarray, mask: np.ndarray, crop_px: int) -> tuple[np.ndarray, np.ndarray]:
    """The deterministic crop used for validation: centred on the lesion's bounding box.

    Args:
        hu: ``(H, W)`` HU.
        mask: ``(H, W)`` bool lesion mask (non-empty).
        crop_px: side of the square crop.

    Returns:
        (float32 HU crop, bool mask crop), each ``(crop_px, crop_px)``.
    """
    ys, xs = np.nonzero(mask)
    cy, cx = (ys.min() + ys.max()) / 2.0, (xs.min() + xs.max()) / 2.0
    return _window(hu, mask, cy, cx, crop_px)


def random_crop(
    hu: np.ndarray,
    mask: np.ndarray,
    crop_px: int,
    rng: np.random.Generator,
    params: AugmentParams | None,
) -> tuple[np.ndarray, np.ndarray]:
    """A random training crop around the lesion (see the module docstring).

    Args:
        hu: ``(H, W)`` HU (any numeric dtype).
        mask: ``(H, W)`` bool lesion mask (non-empty).
        crop_px: side of the square crop.
        rng: the only source of randomness (seeded per sample by the caller).
        params: augmentation ranges; None = the deterministic :func:`center_crop`.

    Returns:
        (float32 HU crop, bool mask crop), each ``(crop_px, crop_px)``.
    """
    if params is None:
        return center_crop(hu, mask, crop_px)
    ys, xs = np.nonzero(mask)
    k = int(rng.integers(len(ys)))
    jitter = params.jitter_frac * crop_px
    cy = ys[k] + rng.uniform(-jitter, jitter)
    cx = xs[k] + rng.uniform(-jitter, jitter)
    if rng.random() < params.p_affine:
        crop, crop_mask = _affine(hu, mask, cy, cx, crop_px, rng, params)
    else:
        crop, crop_mask = _window(hu, mask, cy, cx, crop_px)
    if not crop_mask.any():  # jitter and rotation pushed the lesion out: take the plain window
        crop, crop_mask = _window(hu, mask, float(ys[k]), float(xs[k]), crop_px)
    if params.flip and rng.random() < 0.5:
        crop, crop_mask = crop[:, ::-1], crop_mask[:, ::-1]
    if params.rot90:
        turns = int(rng.integers(4))
        crop, crop_mask = np.rot90(crop, turns), np.rot90(crop_mask, turns)
    a = 1.0 + rng.uniform(-params.hu_scale, params.hu_scale)
    b = rng.uniform(-params.hu_shift_hu, params.hu_shift_hu)
    crop = (crop - np.float32(params.pivot_hu)) * np.float32(a) + np.float32(params.pivot_hu + b)
    return np.ascontiguousarray(crop, dtype=np.float32), np.ascontiguousarray(crop_mask)


def _window(
    hu: np.ndarray, mask: np.ndarray, cy: float, cx: float, crop_px: int
) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned crop centred near (cy, cx), kept inside the image (edge-padded if small)."""
    h, w = hu.shape
    pad_y, pad_x = max(0, crop_px - h), max(0, crop_px - w)
    if pad_y or pad_x:
        # Smaller than the crop: replicate the border rather than invent air inside the body.
        pads = ((pad_y // 2, pad_y - pad_y // 2), (pad_x // 2, pad_x - pad_x // 2))
        hu = np.pad(hu, pads, mode="edge")
        mask = np.pad(mask, pads, mode="constant")
        cy, cx = cy + pads[0][0], cx + pads[1][0]
        h, w = hu.shape
    y0 = int(np.clip(round(cy - crop_px / 2.0), 0, h - crop_px))
    x0 = int(np.clip(round(cx - crop_px / 2.0), 0, w - crop_px))
    crop = hu[y0 : y0 + crop_px, x0 : x0 + crop_px].astype(np.float32)
    return crop, mask[y0 : y0 + crop_px, x0 : x0 + crop_px].copy()


def _affine(
    hu: np.ndarray,
    mask: np.ndarray,
    cy: float,
    cx: float,
    crop_px: int,
    rng: np.random.Generator,
    params: AugmentParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Rotated and scaled crop: output pixel o maps to input c + A (o - o_c)."""
    angle = math.radians(rng.uniform(-params.max_rotate_deg, params.max_rotate_deg))
    zoom = 1.0 + rng.uniform(-params.max_scale, params.max_scale)
    cos, sin = math.cos(angle) / zoom, math.sin(angle) / zoom
    matrix = np.array([[cos, -sin], [sin, cos]])
    h, w = hu.shape
    # Keep the (unrotated) footprint inside the image where the image is large enough.
    half = crop_px / (2.0 * zoom)
    cy = float(np.clip(cy, half, h - half)) if h > 2 * half else h / 2.0
    cx = float(np.clip(cx, half, w - half)) if w > 2 * half else w / 2.0
    centre_out = np.array([(crop_px - 1) / 2.0, (crop_px - 1) / 2.0])
    offset = np.array([cy, cx]) - matrix @ centre_out
    crop = ndimage.affine_transform(
        hu.astype(np.float32),
        matrix,
        offset,
        output_shape=(crop_px, crop_px),
        order=1,
        mode="nearest",
    )
    crop_mask = ndimage.affine_transform(
        mask.astype(np.uint8),
        matrix,
        offset,
        output_shape=(crop_px, crop_px),
        order=0,
        mode="constant",
        cval=0,
    )
    return crop, crop_mask.astype(bool)
