"""Crop boxes around a lesion and the soft-edge composite, shared by every filler.

Every filler works the same way: find the lesion's bounding box, cut a square crop around it
(clamped to the image, padded only when the image is smaller than the crop), compute new
pixels for the crop, and paste them back with a weight that is 1 inside the mask and falls
linearly to 0 over ``band_px`` pixels outside it (zero at a Euclidean distance of
``band_px + 1``). Pixels at a distance ``>= band_px + 1`` from the lesion are never written,
so they come back bit-identical.

Example:
    >>> import numpy as np
    >>> img = np.zeros((64, 64), np.float32); m = np.zeros((64, 64), bool); m[30:34, 2:6] = True
    >>> box = crop_box(lesion_bbox(m), img.shape, 16, margin_px=4)
    >>> (box.y0, box.x0, box.size)
    (24, 0, 16)
    >>> out = composite(img, np.full((16, 16), 100, np.float32), m, box, band_px=2)
    >>> [round(float(v), 2) for v in out[31, 3:10]]  # lesion ends at column 5; 2 px band
    [100.0, 100.0, 100.0, 66.67, 33.33, 0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import ndimage


@dataclass(frozen=True)
class CropBox:
    """A square crop in image coordinates; it may reach outside the image (then padded).

    Attributes:
        y0, x0: top-left corner (px, may be negative).
        size: side (px).
    """

    y0: int
    x0: int
    size: int

    def parts(self, shape: tuple[int, int]) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
        """``(image_slices, crop_slices)`` of the part of the box that lies inside the image."""
        iy0, ix0 = max(self.y0, 0), max(self.x0, 0)
        iy1, ix1 = min(self.y0 + self.size, shape[0]), min(self.x0 + self.size, shape[1])
        image = (slice(iy0, iy1), slice(ix0, ix1))
        crop = (slice(iy0 - self.y0, iy1 - self.y0), slice(ix0 - self.x0, ix1 - self.x0))
        return image, crop


def check_slice_and_mask(
    slice_hu: npt.ArrayLike, mask: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a filler's inputs.

    Returns:
        ``(float32 copy of the slice, bool mask)``.

    Raises:
        ValueError: not 2-D, empty, or shapes differ.
    """
    image = np.array(slice_hu, dtype=np.float32, copy=True)
    m = np.asarray(mask)
    if image.ndim != 2 or min(image.shape) == 0:
        raise ValueError(f"slice must be a non-empty 2-D (H, W) array, got shape {image.shape}")
    if m.shape != image.shape:
        raise ValueError(f"mask shape {m.shape} differs from slice shape {image.shape}")
    return image, (m if m.dtype == np.bool_ else m != 0)


def lesion_bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Half-open bounding box ``(y0, y1, x0, x1)`` of the non-zero pixels, or ``None`` if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def round_up(value: int, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is ``>= value``."""
    return -(-value // multiple) * multiple


def crop_box(
    bbox: tuple[int, int, int, int],
    shape: tuple[int, int],
    min_size_px: int,
    *,
    margin_px: int = 0,
    multiple: int = 1,
) -> CropBox:
    """A square box holding ``bbox`` plus ``margin_px`` on every side, centred on the lesion.

    The side is ``min_size_px``, or, for a lesion too large for it, the bounding box extent
    plus both margins rounded up to ``multiple`` (a fully convolutional network accepts any
    multiple of its down-sampling factor, so a big lesion gets more pixels instead of a
    resize that would change its texture scale). The box is shifted to lie inside the image
    when the image is large enough; otherwise it is centred on the image and the rest padded.

    Args:
        bbox: ``(y0, y1, x0, x1)`` half-open lesion box (px).
        shape: image ``(H, W)``.
        min_size_px: smallest side (px), e.g. the model's ``crop_px``.
        margin_px: pixels kept around the lesion on every side (at least the blending band).
        multiple: the side is a multiple of this (``2**num_downs`` for the generator).
    """
    y0, y1, x0, x1 = bbox
    extent = max(y1 - y0, x1 - x0) + 2 * margin_px
    size = round_up(max(min_size_px, extent), multiple)

    def start(lo: int, hi: int, length: int) -> int:
        if length < size:
            return (length - size) // 2
        return min(max((lo + hi - size) // 2, 0), length - size)

    return CropBox(start(y0, y1, shape[0]), start(x0, x1, shape[1]), size)


def extract(
    array: np.ndarray,
    box: CropBox,
    *,
    pad: Literal["edge", "reflect", "symmetric"] | float = "edge",
) -> np.ndarray:
    """The ``box.size``² crop of a 2-D array; outside the image, ``edge`` values or a constant."""
    image_part, crop_part = box.parts(array.shape)
    inner = array[image_part]
    if inner.shape == (box.size, box.size):
        return inner.copy()
    widths = [
        (crop_part[0].start, box.size - crop_part[0].stop),
        (crop_part[1].start, box.size - crop_part[1].stop),
    ]
    if isinstance(pad, str):
        return np.pad(inner, widths, mode=pad)
    return np.pad(inner, widths, mode="constant", constant_values=pad)


def blend_weight(mask: np.ndarray, band_px: float) -> np.ndarray:
    """Weight 1 inside ``mask``, falling linearly to 0 over ``band_px`` px outside it.

    A pixel at Euclidean distance ``d`` from the nearest mask pixel gets
    ``max(0, 1 - d / (band_px + 1))``; ``band_px = 0`` is a hard edge.
    """
    if band_px <= 0:
        return mask.astype(np.float32)
    bbox = lesion_bbox(mask)
    if bbox is None:  # (scipy then measures from outside the array: kept as it was)
        weight = 1.0 - ndimage.distance_transform_edt(~mask) / (band_px + 1.0)
        return np.clip(weight, 0.0, 1.0).astype(np.float32)
    # Beyond band_px + 1 px of the lesion the weight is 0: measure distances only in the
    # lesion's box grown by that much (exact there: every lesion pixel lies inside it).
    reach = int(np.ceil(band_px)) + 1
    box = (
        slice(max(bbox[0] - reach, 0), bbox[1] + reach),
        slice(max(bbox[2] - reach, 0), bbox[3] + reach),
    )
    distance = ndimage.distance_transform_edt(~mask[box])
    weight = np.zeros(mask.shape, np.float32)
    weight[box] = np.clip(1.0 - distance / (band_px + 1.0), 0.0, 1.0)
    return weight


def composite(
    slice_hu: np.ndarray,
    filled_crop_hu: np.ndarray,
    mask: np.ndarray,
    box: CropBox,
    band_px: float,
) -> np.ndarray:
    """Paste a filled crop back into a slice with a soft edge.

    Args:
        slice_hu: the original slice (float32, HU); not modified.
        filled_crop_hu: ``(box.size, box.size)`` new pixels in HU.
        mask: the lesion mask of the whole slice (bool); it must lie inside ``box`` with at
            least ``ceil(band_px) + 1`` px to spare (``crop_box(..., margin_px=...)`` gives that).
        box: where the crop came from.
        band_px: width of the blending band outside the mask (0: hard edge).

    Returns:
        a float32 copy of ``slice_hu`` where only pixels closer than ``band_px + 1`` px to the
        mask (weight > 0) are changed.
    """
    if filled_crop_hu.shape != (box.size, box.size):
        raise ValueError(f"filled crop {filled_crop_hu.shape} does not match box side {box.size}")
    out = np.array(slice_hu, dtype=np.float32, copy=True)
    image_part, crop_part = box.parts(out.shape)
    weight = blend_weight(mask[image_part], band_px)
    region = out[image_part]
    new = filled_crop_hu[crop_part].astype(np.float32, copy=False)
    # Inside the mask the new value is taken as is (no 0 * original: it may be non-finite);
    # in the band it is blended; where the weight is 0 nothing is written (bit-identical).
    band = (weight > 0) & (weight < 1)
    w = weight[band]
    region[band] = w * new[band] + (1.0 - w) * region[band]
    inside = weight >= 1
    region[inside] = new[inside]
    return out


def fill_one_slice(
    fill_slices: Callable[..., dict[int, np.ndarray]],
    slice_hu: npt.ArrayLike,
    mask: npt.ArrayLike,
    liver_mask: npt.ArrayLike | None,
    spacing_yx_mm: tuple[float, float],
    **kwargs: Any,
) -> np.ndarray:
    """A 3-D filler's ``fill_slices`` applied to one slice (a one-slice volume, 1 mm thick).

    Returns:
        a float32 copy of ``slice_hu`` with the lesion filled (unchanged when ``mask`` is empty).
    """
    image, m = check_slice_and_mask(slice_hu, mask)
    if not m.any():
        return image
    liver = None if liver_mask is None else np.asarray(liver_mask, bool)[None]
    out = fill_slices(image[None], m[None], liver, spacing_mm=(1.0, *spacing_yx_mm), **kwargs)
    return out.get(0, image)


def paste_slices(hu_zyx: np.ndarray, slices: dict[int, np.ndarray]) -> np.ndarray:
    """A float32 copy of ``hu_zyx`` with ``slices`` (``{z: new slice}``) put in place."""
    out = np.array(hu_zyx, dtype=np.float32, copy=True)
    for z, sl in slices.items():
        out[z] = sl
    return out
