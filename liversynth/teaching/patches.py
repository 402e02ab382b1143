"""Cut one item out of a scan: a slab resampled to the quiz's spacing and cropped to its size.

Real and synthetic items pass through exactly the same sampling (linear for HU, linear then
thresholded at 0.5 for masks), so voxel size, crop size and interpolation cannot tell them
apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from liversynth.typing import SpacingZYX

#: HU outside the scan (air).
OUTSIDE_HU = -1024.0


@dataclass(frozen=True)
class PatchGeometry:
    """Where an item lies in its source scan.

    Attributes:
        centre_zyx: source voxel index (may be fractional) of the item's centre voxel.
        source_spacing_mm: the scan's voxel size.
        spacing_mm: the item's voxel size.
        shape_zyx: the item's shape.
    """

    centre_zyx: tuple[float, float, float]
    source_spacing_mm: SpacingZYX
    spacing_mm: SpacingZYX
    shape_zyx: tuple[int, int, int]

    def _steps(self) -> np.ndarray:
        return np.asarray(self.spacing_mm, float) / np.asarray(self.source_spacing_mm, float)

    def coordinates(self) -> np.ndarray:
        """Source voxel coordinates of every item voxel, shape ``(3, z, y, x)``."""
        axes = [
            c + (np.arange(n) - (n - 1) / 2.0) * s
            for c, n, s in zip(self.centre_zyx, self.shape_zyx, self._steps(), strict=True)
        ]
        return np.stack(np.meshgrid(*axes, indexing="ij"))

    def source_box(self, source_shape: tuple[int, ...], pad: int = 2) -> tuple[slice, ...]:
        """The part of the source the item reads from (with ``pad`` voxels of context)."""
        box = []
        for c, n, s, size in zip(
            self.centre_zyx, self.shape_zyx, self._steps(), source_shape, strict=True
        ):
            half = (n - 1) / 2.0 * s
            lo = max(0, int(np.floor(c - half)) - pad)
            hi = min(int(size), int(np.ceil(c + half)) + 1 + pad)
            box.append(slice(lo, max(lo, hi)))
        return tuple(box)

    def to_source(self, zyx: np.ndarray) -> np.ndarray:
        """Item voxel indices ``(..., 3)`` → source voxel indices."""
        half = (np.asarray(self.shape_zyx, float) - 1) / 2.0
        return np.asarray(self.centre_zyx) + (np.asarray(zyx, float) - half) * self._steps()


def sample_hu(
    volume: np.ndarray, geometry: PatchGeometry, *, offset: tuple[int, int, int] = (0, 0, 0)
) -> np.ndarray:
    """The item's HU as int16 (``volume`` may be a sub-block starting at ``offset``)."""
    coords = geometry.coordinates() - np.asarray(offset, float).reshape(3, 1, 1, 1)
    out = ndimage.map_coordinates(
        np.asarray(volume, np.float32), coords, order=1, mode="constant", cval=OUTSIDE_HU
    )
    return np.clip(np.round(out), -1024, 3071).astype(np.int16)


def sample_mask(
    mask: np.ndarray, geometry: PatchGeometry, *, offset: tuple[int, int, int] = (0, 0, 0)
) -> np.ndarray:
    """The item's mask (bool), linearly interpolated and thresholded at one half."""
    coords = geometry.coordinates() - np.asarray(offset, float).reshape(3, 1, 1, 1)
    out = ndimage.map_coordinates(
        np.asarray(mask, np.float32), coords, order=1, mode="constant", cval=0.0
    )
    return out >= 0.5
