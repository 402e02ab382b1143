"""The lesion stamp: a source lesion shape with a pose, rendered onto the slice grid.

A stamp floats over the slice while the user drags, rotates, scales and flips it (the GUI
shows it as an ROI); :meth:`Document.commit_stamp` ORs its rendering into the mask as one undo
step. Sources: a real tumour of the current case (:func:`list_real_lesions`,
:func:`stamp_from_real_lesion`) or a procedural shape (:func:`procedural_stamp`).

Procedural shapes come from ``liversynth.lesions.shapes`` (shared with batch synthesis).

Pose convention (rows grow downwards, as displayed): the source is flipped (``flip_h`` mirrors
columns, ``flip_v`` rows), then scaled (``scale_x`` along columns, ``scale_y`` along rows), then
rotated by ``angle_deg`` counter-clockwise *as seen on screen*, then its centre is put at
``centre_rc``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.lesions.shapes import procedural_lesion
from liversynth.typing import SpacingZYX
from liversynth.volume import TUMOUR

#: Pixels of empty border kept around a cropped source (so rotation never clips the lesion).
_SOURCE_MARGIN_PX = 2


@dataclass(frozen=True)
class StampPose:
    """Where and how the stamp sits on the slice.

    Attributes:
        centre_rc: ``(row, col)`` of the stamp centre on the slice, pixels (floats).
        angle_deg: counter-clockwise rotation on screen, degrees.
        scale_x: stretch along columns (> 0).
        scale_y: stretch along rows (> 0).
        flip_h: mirror left-right (before scaling/rotation).
        flip_v: mirror top-bottom.
    """

    centre_rc: tuple[float, float] = (0.0, 0.0)
    angle_deg: float = 0.0
    scale_x: float = 1.0
    scale_y: float = 1.0
    flip_h: bool = False
    flip_v: bool = False

    def __post_init__(self) -> None:
        if not (self.scale_x > 0 and self.scale_y > 0):
            raise ValueError(f"stamp scales must be > 0, got x={self.scale_x}, y={self.scale_y}")
        object.__setattr__(self, "centre_rc", (float(self.centre_rc[0]), float(self.centre_rc[1])))

    def to_json(self) -> dict[str, Any]:
        return {
            "centre_rc": list(self.centre_rc),
            "angle_deg": self.angle_deg,
            "scale_x": self.scale_x,
            "scale_y": self.scale_y,
            "flip_h": self.flip_h,
            "flip_v": self.flip_v,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StampPose:
        return cls(
            centre_rc=(float(data["centre_rc"][0]), float(data["centre_rc"][1])),
            angle_deg=float(data["angle_deg"]),
            scale_x=float(data["scale_x"]),
            scale_y=float(data["scale_y"]),
            flip_h=bool(data["flip_h"]),
            flip_v=bool(data["flip_v"]),
        )


@dataclass(frozen=True)
class LesionStamp:
    """A lesion shape (``source``) and its :class:`StampPose`. Immutable: poses make new stamps.

    Attributes:
        source: 2-D bool mask of the lesion, tightly cropped with a small empty margin.
        pose: where it is drawn.
        origin: human-readable provenance (``"real lesion 2 of 3Dircadb1.1, z=57"``,
            ``"procedural 20 mm seed=3"``), saved in sessions.
    """

    source: np.ndarray
    pose: StampPose = field(default_factory=StampPose)
    origin: str = ""
    volume: np.ndarray | None = None
    centre_z: float = 0.0

    def __post_init__(self) -> None:
        src = np.asarray(self.source)
        if src.ndim != 2 or not src.any():
            raise ValueError("a stamp source must be a non-empty 2-D mask")
        object.__setattr__(self, "source", src.astype(bool, copy=False))
        if self.volume is not None:
            vol = np.asarray(self.volume, bool)
            if vol.ndim != 3 or vol.shape[1:] != src.shape or not vol.any():
                raise ValueError("a 3-D stamp volume must be non-empty and match its source")
            object.__setattr__(self, "volume", vol)
            object.__setattr__(self, "centre_z", float(self.centre_z))

    @property
    def is_3d(self) -> bool:
        """``True`` for a stamp that spans several slices (see :mod:`.stamp3d`)."""
        return self.volume is not None

    def render_at(self, shape: tuple[int, int], z: int) -> np.ndarray:
        """The stamp's cross-section on slice ``z`` (a 2-D stamp is the same on every slice)."""
        if self.volume is None:
            return self.render(shape)
        from liversynth.authoring.stamp3d import section_at

        plane = section_at(self, z)
        if plane is None:
            return np.zeros(shape, dtype=bool)
        return self._render_plane(plane, shape)

    def with_pose(self, **changes: Any) -> LesionStamp:
        """A copy with some pose fields changed, e.g. ``stamp.with_pose(angle_deg=30)``."""
        return replace(self, pose=replace(self.pose, **changes))

    def matrix(self) -> np.ndarray:
        """The 2×2 forward matrix source → slice, in ``(row, col)`` coordinates."""
        p = self.pose
        flip = np.diag([-1.0 if p.flip_v else 1.0, -1.0 if p.flip_h else 1.0])
        scale = np.diag([p.scale_y, p.scale_x])
        a = math.radians(p.angle_deg)
        # Counter-clockwise on screen with rows pointing down: a point to the right moves up.
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        return rot @ scale @ flip

    def render(self, shape: tuple[int, int]) -> np.ndarray:
        """The stamp drawn on an empty slice of ``shape``: 2-D bool.

        Bilinear resampling of the 0/1 source then a 0.5 threshold, so scaled and rotated
        edges stay smooth rather than blocky.
        """
        return self._render_plane(self.source.astype(np.float32), shape)

    def _render_plane(self, plane: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """Pose a float ``plane`` of the source's shape onto a slice of ``shape``: bool."""
        forward = self.matrix()
        inverse = np.linalg.inv(forward)
        src_centre = (np.asarray(self.source.shape, dtype=np.float64) - 1.0) / 2.0
        centre = np.asarray(self.pose.centre_rc, dtype=np.float64)
        out = np.zeros(shape, dtype=bool)
        # Only resample inside the stamp's bounding box on the slice (cheap while dragging).
        h, w = self.source.shape
        corners = np.array([[0, 0], [0, w - 1], [h - 1, 0], [h - 1, w - 1]], float) - src_centre
        placed = corners @ forward.T + centre
        r0 = max(int(np.floor(placed[:, 0].min())) - 1, 0)
        r1 = min(int(np.ceil(placed[:, 0].max())) + 2, shape[0])
        c0 = max(int(np.floor(placed[:, 1].min())) - 1, 0)
        c1 = min(int(np.ceil(placed[:, 1].max())) + 2, shape[1])
        if r0 >= r1 or c0 >= c1:
            return out
        offset = src_centre - inverse @ (centre - np.array([r0, c0], dtype=np.float64))
        values = ndimage.affine_transform(
            plane,
            inverse,
            offset=offset,
            output_shape=(r1 - r0, c1 - c0),
            order=1,
            mode="constant",
            cval=0.0,
        )
        out[r0:r1, c0:c1] = values >= 0.5
        return out


@dataclass(frozen=True)
class RealLesion:
    """One 3-D tumour component (label 2) of a case.

    Attributes:
        index: 1-based component number (as listed by :func:`list_real_lesions`).
        z: slice where the component's cross-section is largest.
        area_px: that cross-section's area in pixels.
        voxels: component size in voxels.
        centre_rc: centroid ``(row, col)`` of the largest cross-section.
    """

    index: int
    z: int
    area_px: int
    voxels: int
    centre_rc: tuple[float, float]


def label_lesions(labels: np.ndarray) -> np.ndarray:
    """Number the 3-D tumour components (label 2): int32 ``(z, y, x)``, 0 = no tumour.

    Full 26-connectivity: lesion cross-sections touch diagonally between thick slices.
    Takes ~0.7 s on a 129×512×512 case, so callers keep the result (the document caches it).
    """
    comp, _ = ndimage.label(labels == TUMOUR, structure=np.ones((3, 3, 3), dtype=bool))
    return np.asarray(comp, dtype=np.int32)


def list_real_lesions(components: np.ndarray) -> list[RealLesion]:
    """The tumours of a case, largest first.

    Args:
        components: from :func:`label_lesions`.
    """
    comp = components
    lesions = []
    for index, box in enumerate(ndimage.find_objects(comp), start=1):
        if box is None:
            continue
        sub = comp[box] == index
        areas = sub.sum(axis=(1, 2))
        k = int(np.argmax(areas))
        rows, cols = np.nonzero(sub[k])
        lesions.append(
            RealLesion(
                index=index,
                z=int(box[0].start + k),
                area_px=int(areas[k]),
                voxels=int(areas.sum()),
                centre_rc=(float(rows.mean() + box[1].start), float(cols.mean() + box[2].start)),
            )
        )
    return sorted(lesions, key=lambda les: -les.voxels)


def crop_source(mask: np.ndarray) -> np.ndarray:
    """Crop a 2-D mask to its content plus an empty margin (the stamp's ``source``)."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("cannot crop an empty mask")
    crop = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return np.pad(crop.astype(bool), _SOURCE_MARGIN_PX)


def stamp_from_real_lesion(
    components: np.ndarray,
    lesion: RealLesion,
    *,
    centre_rc: tuple[float, float] | None = None,
    case_name: str = "",
) -> LesionStamp:
    """A stamp whose source is ``lesion``'s largest cross-section.

    Args:
        components: from :func:`label_lesions` on the case labels.
        lesion: from :func:`list_real_lesions` on the same components.
        centre_rc: where to put it; default: where the lesion really is.
        case_name: for the stamp's ``origin``.
    """
    section = components[lesion.z] == lesion.index
    where = f" of {case_name}" if case_name else ""
    return LesionStamp(
        source=crop_source(section),
        pose=StampPose(centre_rc=centre_rc if centre_rc is not None else lesion.centre_rc),
        origin=f"real lesion {lesion.index}{where}, z={lesion.z}",
    )


def procedural_mask(size_mm: float, spacing_mm: SpacingZYX, seed: int = 0) -> np.ndarray:
    """A seeded, irregular lesion outline of about ``size_mm`` diameter (2-D bool, cropped).

    The 3-D generator of batch synthesis (:func:`liversynth.lesions.shapes.procedural_lesion`,
    distorted, bumpy, elastically warped ellipsoid) is rasterised on the volume's voxel grid and
    its largest axial cross-section is kept, so stamps and batch synthesis share one shape model.

    Args:
        size_mm: equivalent diameter in millimetres.
        spacing_mm: the volume's ``(z, y, x)`` voxel size in millimetres.
        seed: random seed; the same arguments give the same mask.
    """
    if size_mm <= 0:
        raise ValueError(f"lesion size must be > 0 mm, got {size_mm}")
    # Rasterise no finer than ~40 px across, then zoom back: a 60 mm stamp stays interactive
    # (0.1 s instead of 1.3 s at 0.7 mm pixels). Only one section is kept, so z can be coarse.
    factor = max(1.0, size_mm / (40.0 * min(spacing_mm[1], spacing_mm[2])))
    coarse = (max(spacing_mm[0], size_mm / 16.0), spacing_mm[1] * factor, spacing_mm[2] * factor)
    volume, _ = procedural_lesion(
        np.random.default_rng(seed),
        coarse,
        min_diameter_mm=float(size_mm),
        max_diameter_mm=float(size_mm),
    )
    section = volume[int(np.argmax(volume.sum(axis=(1, 2))))]
    if factor > 1.0:
        section = ndimage.zoom(section.astype(np.float32), factor, order=1) >= 0.5
    return crop_source(section)


def procedural_stamp(
    size_mm: float,
    spacing_mm: SpacingZYX,
    seed: int = 0,
    *,
    centre_rc: tuple[float, float] = (0.0, 0.0),
) -> LesionStamp:
    """A stamp from :func:`procedural_mask` placed at ``centre_rc``."""
    return LesionStamp(
        source=procedural_mask(size_mm, spacing_mm, seed),
        pose=StampPose(centre_rc=centre_rc),
        origin=f"procedural {size_mm:g} mm seed={seed}",
    )
