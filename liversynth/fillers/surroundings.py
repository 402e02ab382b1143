"""The liver around a lesion: its HU level and noise, the reference every synthetic
lesion is drawn relative to (``procedural``) or shifted to (``copy_paste``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

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
