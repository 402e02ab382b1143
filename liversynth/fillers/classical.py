"""Classical in-fill baselines: ``mean`` (flat liver intensity) and ``biharmonic`` (smooth).

They give the evaluation table its floor: a GAN that does not beat a flat fill or a smooth
biharmonic interpolation of the surrounding tissue has learnt nothing about texture. Both are
deterministic, run on the CPU, and change only pixels inside the mask (and, if ``band_px`` is
set, a blending band around it).

Example:
    >>> import numpy as np
    >>> hu = np.full((32, 32), 60.0, np.float32)
    >>> m = np.zeros((32, 32), bool); m[10:14, 10:14] = True
    >>> hu[m] = 300.0
    >>> float(MeanFiller().fill(hu, m)[12, 12]), float(BiharmonicFiller().fill(hu, m)[12, 12])
    (60.0, 60.0)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage.restoration import inpaint_biharmonic

from liversynth.fillers.appearance import apply_appearance
from liversynth.fillers.base import Appearance, SliceWiseVolumeMixin
from liversynth.fillers.compositing import (
    check_slice_and_mask,
    composite,
    crop_box,
    lesion_bbox,
)
from liversynth.windowing import PRESETS, Window, hu_to_unit, unit_to_hu


class MeanFiller(SliceWiseVolumeMixin):
    """Fills the lesion with one value: the mean HU of the liver around it.

    The reference pixels are the liver outside the lesion when ``liver_mask`` is given (and
    not empty there), otherwise a ring ``ring_px[0]``..``ring_px[1]`` px around the lesion.

    Args:
        ring_px: inner and outer radius (px) of the ring used without a liver mask.
        band_px: blending band outside the mask (px); 0 = hard edge.
        fallback_hu: value used when no reference pixel exists (the mask covers the slice).
    """

    name = "mean"
    device = "cpu"
    honours_appearance = True

    def __init__(
        self,
        ring_px: tuple[float, float] = (3.0, 8.0),
        band_px: float = 0.0,
        fallback_hu: float = PRESETS["network"].center_hu,
    ) -> None:
        if not 0 <= ring_px[0] <= ring_px[1]:
            raise ValueError(
                f"ring_px must be (inner, outer) with 0 <= inner <= outer, got {ring_px}"
            )
        if band_px < 0:
            raise ValueError(f"band_px must be >= 0, got {band_px}")
        self.ring_px = (float(ring_px[0]), float(ring_px[1]))
        self.band_px = band_px
        self.fallback_hu = float(fallback_hu)

    def reference_hu(
        self, image: np.ndarray, mask: np.ndarray, liver_mask: npt.ArrayLike | None = None
    ) -> float:
        """The HU the lesion is filled with (see the class docstring)."""
        if liver_mask is not None:
            liver = np.asarray(liver_mask)
            if liver.shape != image.shape:
                raise ValueError(f"liver_mask shape {liver.shape} differs from slice {image.shape}")
            reference = (liver != 0) & ~mask
            if reference.any():
                return float(image[reference].mean(dtype=np.float64))
        bbox = lesion_bbox(mask)
        if bbox is not None:
            outer = int(np.ceil(self.ring_px[1]))
            box = crop_box(bbox, mask.shape, 1, margin_px=outer + 1)
            part, _ = box.parts(mask.shape)
            distance = ndimage.distance_transform_edt(~mask[part])
            ring = (distance >= self.ring_px[0]) & (distance <= self.ring_px[1])
            if ring.any():
                return float(image[part][ring].mean(dtype=np.float64))
        rest = image[~mask]
        return float(rest.mean(dtype=np.float64)) if rest.size else self.fallback_hu

    def fill(
        self,
        slice_hu: npt.ArrayLike,
        mask: npt.ArrayLike,
        *,
        liver_mask: npt.ArrayLike | None = None,
        seed: int | None = None,
        appearance: Appearance | None = None,
    ) -> np.ndarray:
        """Fill ``mask`` with the reference mean, then ``appearance`` (seeds its mottling)."""
        image, m = check_slice_and_mask(slice_hu, mask)
        bbox = lesion_bbox(m)
        if bbox is None:
            return image
        value = np.float32(self.reference_hu(image, m, liver_mask))
        box = crop_box(bbox, m.shape, 1, margin_px=int(np.ceil(self.band_px)) + 1)
        out = composite(image, np.full((box.size, box.size), value), m, box, self.band_px)
        return apply_appearance(out, m, _liver(liver_mask), appearance, seed=seed)


class BiharmonicFiller(SliceWiseVolumeMixin):
    """Fills the lesion by biharmonic inpainting (smooth continuation of the surroundings).

    Works on a padded crop around the lesion, in the network window scaled to [-1, 1] (HU
    outside the window, e.g. bone, would otherwise dominate the interpolation), then maps back
    to HU; values inside the lesion are therefore within the window.

    Args:
        window: intensity window the inpainting works in (default: the network window).
        pad_px: known pixels kept around the lesion's bounding box (px).
        band_px: blending band outside the mask (px); 0 = hard edge.
    """

    name = "biharmonic"
    device = "cpu"
    honours_appearance = True

    def __init__(
        self, window: Window = PRESETS["network"], pad_px: int = 8, band_px: float = 0.0
    ) -> None:
        if pad_px < 1:
            raise ValueError(f"pad_px must be >= 1, got {pad_px}")
        if band_px < 0:
            raise ValueError(f"band_px must be >= 0, got {band_px}")
        self.window = window
        self.pad_px = int(pad_px)
        self.band_px = band_px

    def fill(
        self,
        slice_hu: npt.ArrayLike,
        mask: npt.ArrayLike,
        *,
        liver_mask: npt.ArrayLike | None = None,
        seed: int | None = None,
        appearance: Appearance | None = None,
    ) -> np.ndarray:
        """Inpaint ``mask``, then ``appearance`` (measured against ``liver_mask``, seeded)."""
        image, m = check_slice_and_mask(slice_hu, mask)
        bbox = lesion_bbox(m)
        if bbox is None:
            return image
        margin = max(self.pad_px, int(np.ceil(self.band_px)) + 1)
        box = crop_box(bbox, m.shape, 1, margin_px=margin)
        # Only pixels inside the image are known: padding would copy lesion pixels at the
        # border into the "known" set.
        part, crop_part = box.parts(m.shape)
        known = ~m[part]
        if not known.any():  # nothing to interpolate from
            return image
        filled = inpaint_biharmonic(hu_to_unit(image[part], self.window), ~known)
        crop = np.zeros((box.size, box.size), np.float32)
        crop[crop_part] = unit_to_hu(filled, self.window)
        out = composite(image, crop, m, box, self.band_px)
        return apply_appearance(out, m, _liver(liver_mask), appearance, seed=seed)


def _liver(liver_mask: npt.ArrayLike | None) -> np.ndarray | None:
    return None if liver_mask is None else np.asarray(liver_mask, bool)
