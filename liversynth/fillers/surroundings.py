"""The liver around a lesion: its HU level and noise, the reference every synthetic
lesion is drawn relative to (``procedural``) or shifted to (``copy_paste``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from liversynth.fillers.compositing import CropBox, composite, crop_box, extract
from liversynth.typing import SpacingZYX

# Liver parenchyma lies well inside this range on any CT phase; it keeps air/bone out of the
# reference when no liver mask is given.
_SOFT_TISSUE_HU = (-50.0, 250.0)


@dataclass(frozen=True)
class LiverReference:
    """Robust statistics of the liver around a lesion.

    Attributes:
        mean_hu: median HU of the surrounding liver.
        std_hu: robust spread (1.4826 × MAD) of those HU.
        n_px: how many pixels/voxels they came from (0: nothing usable, defaults used).
    """

    mean_hu: float
    std_hu: float
    n_px: int


def liver_reference(
    image_hu: np.ndarray,
    mask: np.ndarray,
    liver: np.ndarray | None,
    spacing_mm: tuple[float, ...],
    *,
    inner_mm: float = 1.5,
    outer_mm: float = 12.0,
    default_hu: float = 100.0,
) -> LiverReference:
    """Statistics of the liver in a shell ``inner_mm..outer_mm`` around ``mask`` (2-D or 3-D).

    Pixels outside ``liver`` (when given) and outside a soft-tissue HU range are ignored; the
    median and MAD make the estimate robust to vessels in the shell. If the shell holds no
    usable pixel, the soft-tissue pixels of the whole liver are used, then ``default_hu``.
    """
    dist = ndimage.distance_transform_edt(~mask, sampling=spacing_mm)
    shell = (dist > inner_mm) & (dist <= outer_mm)
    soft = (image_hu > _SOFT_TISSUE_HU[0]) & (image_hu < _SOFT_TISSUE_HU[1])
    choices = [shell & soft]
    if liver is not None:
        choices = [shell & soft & liver, liver & soft & ~mask, *choices]
    for sel in choices:
        if sel.sum() >= 20:
            return robust_stats(image_hu[sel])
    return LiverReference(default_hu, 15.0, 0)


def robust_stats(values_hu: np.ndarray) -> LiverReference:
    """Median and 1.4826 × MAD (a standard deviation robust to vessels and outliers)."""
    vals = np.asarray(values_hu, np.float64).ravel()
    med = float(np.median(vals))
    mad = float(np.median(np.abs(vals - med))) * 1.4826
    return LiverReference(med, max(mad, 1.0), int(vals.size))


def auto_vessel_hu(hu: np.ndarray, liver: np.ndarray) -> float:
    """Threshold above which liver voxels count as contrast-filled vessels: the liver's
    median plus 3 robust standard deviations (and at least 40 HU above the median)."""
    values = np.asarray(hu)[np.asarray(liver, bool)]
    ref = robust_stats(values[(values > -50) & (values < 250)])
    return float(ref.mean_hu + max(3.0 * ref.std_hu, 40.0))


@dataclass(frozen=True)
class LesionCrops:
    """Square crops of slices ``z0..z0+len(hu)`` around a 3-D lesion, and its liver reference.

    Attributes:
        z0: first slice the lesion touches.
        box: the crop box, the same on every slice.
        hu: ``(Z, S, S)`` float32 HU crops (edge-padded outside the image).
        mask: ``(Z, S, S)`` bool lesion crops.
        reference: the liver around the lesion (:func:`liver_reference` on the crops).
    """

    z0: int
    box: CropBox
    hu: np.ndarray
    mask: np.ndarray
    reference: LiverReference

    def composite(
        self, hu_zyx: np.ndarray, mask_zyx: np.ndarray, new_hu: np.ndarray, band_px: float
    ) -> dict[int, np.ndarray]:
        """``{z: slice with new_hu[z - z0] pasted}`` for every slice the lesion touches."""
        out: dict[int, np.ndarray] = {}
        for i in range(self.mask.shape[0]):
            if self.mask[i].any():
                z = self.z0 + i
                out[z] = composite(
                    np.asarray(hu_zyx[z], np.float32), new_hu[i], mask_zyx[z], self.box, band_px
                )
        return out


def lesion_crops(
    hu_zyx: np.ndarray,
    mask_zyx: np.ndarray,
    liver_zyx: np.ndarray | None,
    bbox: tuple[int, int, int, int],
    z_range: tuple[int, int],
    spacing_mm: SpacingZYX,
    band_px: int,
) -> LesionCrops:
    """Crop slices ``z_range`` around a lesion whose union bounding box is ``bbox``.

    The crop keeps the 12 mm liver shell of :func:`liver_reference` and the blending band
    (plus 2 px) on every side, with a 32 px side at least.
    """
    z0, z1 = z_range
    margin = int(np.ceil(12.0 / spacing_mm[1])) + band_px + 2
    box = crop_box(bbox, mask_zyx.shape[1:], 32, margin_px=margin)
    crops = np.stack([extract(np.asarray(hu_zyx[z], np.float32), box) for z in range(z0, z1)])
    masks = np.stack([extract(mask_zyx[z], box, pad=0) for z in range(z0, z1)]).astype(bool)
    livers = None
    if liver_zyx is not None:
        livers = np.stack(
            [extract(np.asarray(liver_zyx[z], bool), box, pad=0) for z in range(z0, z1)]
        ).astype(bool)
    ref = liver_reference(crops, masks, livers, spacing_mm)
    return LesionCrops(z0, box, crops, masks, ref)
