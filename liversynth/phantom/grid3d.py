"""Voxel ↔ nominal-mm mapping of the whole phantom volume (for 3-D objects: vessels, tumours)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liversynth.phantom.geometry import FOV_MM, Z_EXTENT_MM
from liversynth.typing import SpacingZYX


@dataclass(frozen=True)
class Grid3D:
    """Nominal-mm frame of a ``(z, y, x)`` volume; mm points are ``(x, y, z)`` like the slices."""

    shape: tuple[int, int, int]

    @property
    def voxel_mm(self) -> SpacingZYX:
        """(x, y, z) size of one voxel in nominal mm."""
        d, h, w = self.shape
        return FOV_MM / w, FOV_MM / h, Z_EXTENT_MM / d

    def to_index(self, point_mm: np.ndarray) -> np.ndarray:
        """(x, y, z) mm → fractional (z, y, x) voxel index."""
        d, h, w = self.shape
        x, y, z = point_mm
        return np.array(
            [z / Z_EXTENT_MM * d - 0.5, (y / FOV_MM + 0.5) * h - 0.5, (x / FOV_MM + 0.5) * w - 0.5]
        )

    def to_mm(self, index_zyx: np.ndarray) -> np.ndarray:
        """Voxel (z, y, x) index → (x, y, z) mm of its centre."""
        d, h, w = self.shape
        z, y, x = np.asarray(index_zyx, float) + 0.5
        return np.array([(x / w - 0.5) * FOV_MM, (y / h - 0.5) * FOV_MM, z / d * Z_EXTENT_MM])

    def box(self, low_mm: np.ndarray, high_mm: np.ndarray) -> tuple[slice, slice, slice] | None:
        """Index slices covering the mm box, clipped to the volume (None when outside)."""
        lo = np.floor(self.to_index(low_mm)).astype(int)
        hi = np.ceil(self.to_index(high_mm)).astype(int) + 1
        lo = np.maximum(lo, 0)
        hi = np.minimum(hi, self.shape)
        if np.any(hi <= lo):
            return None
        return (
            slice(int(lo[0]), int(hi[0])),
            slice(int(lo[1]), int(hi[1])),
            slice(int(lo[2]), int(hi[2])),
        )

    def coords(self, box: tuple[slice, slice, slice]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Broadcastable (x, y, z) mm coordinates of the voxel centres in ``box``."""
        d, h, w = self.shape
        zs, ys, xs = box
        z = (np.arange(zs.start, zs.stop) + 0.5) / d * Z_EXTENT_MM
        y = ((np.arange(ys.start, ys.stop) + 0.5) / h - 0.5) * FOV_MM
        x = ((np.arange(xs.start, xs.stop) + 0.5) / w - 0.5) * FOV_MM
        return x[None, None, :], y[None, :, None], z[:, None, None]
