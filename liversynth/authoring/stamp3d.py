"""3-D lesion stamps: a lesion volume posed in the axial view and drawn on every slice it spans.

A 3-D stamp is a :class:`~liversynth.authoring.stamp.LesionStamp` with a ``volume`` (bool
``(z, y, x)`` on the *case's* voxel grid) and a ``centre_z`` (slice of its centre). The pose
the user sets in the axial view (move, rotate, scale, flip) applies to every cross-section;
the depth scales with the in-plane scale (the geometric mean of ``scale_x`` and ``scale_y``),
so enlarging a lesion on screen enlarges it in 3-D and keeps its shape.

Sources, always resampled to the case spacing so a 30 mm lesion is 30 mm in every direction:
    * :func:`ellipsoid_volume`: an ellipsoid (or a lobulated ellipsoid) with diameters in mm,
      drawn by :func:`liversynth.lesions.shapes.make_shape`, the batch synthesiser's model;
    * :func:`bank_lesion_volume`: a real lesion's full 3-D extent from a
      :class:`~liversynth.lesions.bank.LesionBank` (any case, any spacing).

Example:
    >>> s = procedural_stamp3d((30.0, 30.0, 30.0), (2.0, 1.0, 1.0), centre_rc=(50, 50), centre_z=20)
    >>> zs = sorted(render_slices(s, (40, 100, 100)))
    >>> len(zs) in (14, 15, 16)
    True
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from liversynth.authoring.stamp import _SOURCE_MARGIN_PX, LesionStamp, StampPose
from liversynth.lesions.bank import Lesion
from liversynth.lesions.shapes import make_shape


def z_scale(stamp: LesionStamp) -> float:
    """How much the stamp's depth is stretched: the geometric mean of its in-plane scales."""
    return math.sqrt(stamp.pose.scale_x * stamp.pose.scale_y)


def _source_index(stamp: LesionStamp, z: float) -> float:
    assert stamp.volume is not None
    centre = (stamp.volume.shape[0] - 1) / 2.0
    return (z - stamp.centre_z) / z_scale(stamp) + centre


def section_at(stamp: LesionStamp, z: int) -> np.ndarray | None:
    """The un-posed float cross-section of a 3-D stamp on slice ``z`` (``None`` off the stamp).

    Between two source planes the planes are blended linearly; the 0.5 threshold after posing
    then moves the outline smoothly when the depth is scaled.
    """
    vol = stamp.volume
    if vol is None:
        return stamp.source.astype(np.float32)
    k = _source_index(stamp, float(z))
    k0 = math.floor(k)
    t = k - k0
    plane = np.zeros(vol.shape[1:], np.float32)
    for idx, weight in ((k0, 1.0 - t), (k0 + 1, t)):
        if 0 <= idx < vol.shape[0] and weight > 0.0:
            plane += np.float32(weight) * vol[idx]
    return plane if plane.max() >= 0.5 else None


def slice_span(stamp: LesionStamp, n_slices: int) -> range:
    """Slices the stamp may touch (a superset; empty sections are skipped when drawing)."""
    if stamp.volume is None:
        return range(0)
    half = (stamp.volume.shape[0] + 1) / 2.0 * z_scale(stamp)
    lo = max(math.floor(stamp.centre_z - half), 0)
    hi = min(math.ceil(stamp.centre_z + half) + 1, n_slices)
    return range(lo, max(hi, lo))


def render_slices(stamp: LesionStamp, shape_zyx: tuple[int, int, int]) -> dict[int, np.ndarray]:
    """Every non-empty cross-section of a 3-D stamp on a volume of ``shape_zyx``, by slice."""
    out: dict[int, np.ndarray] = {}
    shape = (int(shape_zyx[1]), int(shape_zyx[2]))
    for z in slice_span(stamp, int(shape_zyx[0])):
        drawn = stamp.render_at(shape, z)
        if drawn.any():
            out[z] = drawn
    return out


def resample_to_spacing(
    mask_zyx: np.ndarray,
    src_spacing_mm: tuple[float, float, float],
    dst_spacing_mm: tuple[float, float, float],
) -> np.ndarray:
    """A bool mask resampled (linear, threshold 0.5) from one voxel grid to another."""
    factors = [float(s) / float(d) for s, d in zip(src_spacing_mm, dst_spacing_mm, strict=True)]
    padded = np.pad(np.asarray(mask_zyx, np.float32), 1)
    out = ndimage.zoom(padded, factors, order=1, grid_mode=True, mode="grid-constant") >= 0.5
    if not out.any():  # a lesion smaller than one target voxel keeps one voxel
        out[tuple(n // 2 for n in out.shape)] = True
    return out


def ellipsoid_volume(
    diameters_mm_zyx: tuple[float, float, float],
    spacing_mm: tuple[float, float, float],
    *,
    lobulated: bool = False,
    seed: int = 0,
) -> np.ndarray:
    """An ellipsoid with these diameters (mm) on the ``spacing_mm`` grid: bool ``(z, y, x)``.

    ``lobulated`` bumps the outline with the synthesiser's smooth random field (seeded).
    """
    dz, dy, dx = (float(d) for d in diameters_mm_zyx)
    if min(dz, dy, dx) <= 0:
        raise ValueError(f"lesion diameters must be > 0 mm, got {diameters_mm_zyx}")
    eq = (dz * dy * dx) ** (1.0 / 3.0)
    params = {
        "kind": "procedural",
        "diameter_mm": eq,
        "axis_ratios": [dz / eq, dy / eq, dx / eq],
        "angles_deg": [0.0, 0.0, 0.0],
        "bumpiness": 0.18 if lobulated else 0.0,
        "elastic_alpha": 0.06 if lobulated else 0.0,
        "noise_seed": int(seed),
    }
    return make_shape(params, tuple(float(s) for s in spacing_mm))  # type: ignore[arg-type]


def bank_lesion_volume(lesion: Lesion, spacing_mm: tuple[float, float, float]) -> np.ndarray:
    """A bank lesion's full 3-D mask resampled to the case voxel grid ``spacing_mm``."""
    return resample_to_spacing(lesion.mask, lesion.spacing_mm, spacing_mm)


def stamp_from_volume(
    volume_zyx: np.ndarray,
    *,
    centre_rc: tuple[float, float],
    centre_z: float,
    origin: str,
) -> LesionStamp:
    """A 3-D stamp of ``volume_zyx`` (cropped, padded in-plane) centred at ``centre_rc``/``centre_z``.

    Its 2-D ``source`` (what the axial ROI frames) is the union of all cross-sections.
    """
    vol = np.asarray(volume_zyx, bool)
    if not vol.any():
        raise ValueError("a 3-D stamp needs a non-empty volume")
    box = ndimage.find_objects(vol.astype(np.uint8))[0]
    m = _SOURCE_MARGIN_PX
    vol = np.pad(vol[box], ((0, 0), (m, m), (m, m)))
    return LesionStamp(
        source=np.asarray(vol.any(axis=0)),
        pose=StampPose(centre_rc=centre_rc),
        origin=origin,
        volume=vol,
        centre_z=centre_z,
    )


def procedural_stamp3d(
    diameters_mm_zyx: tuple[float, float, float],
    spacing_mm: tuple[float, float, float],
    *,
    lobulated: bool = False,
    seed: int = 0,
    centre_rc: tuple[float, float] = (0.0, 0.0),
    centre_z: float = 0.0,
) -> LesionStamp:
    """A floating 3-D ellipsoid (or lobulated) stamp with diameters in mm."""
    vol = ellipsoid_volume(diameters_mm_zyx, spacing_mm, lobulated=lobulated, seed=seed)
    dz, dy, dx = diameters_mm_zyx
    kind = "lobulated" if lobulated else "ellipsoid"
    return stamp_from_volume(
        vol,
        centre_rc=centre_rc,
        centre_z=centre_z,
        origin=f"{kind} {dx:g}×{dy:g}×{dz:g} mm (x×y×z) seed={seed}",
    )


def bank_stamp(
    lesion: Lesion,
    spacing_mm: tuple[float, float, float],
    *,
    centre_rc: tuple[float, float],
    centre_z: float,
) -> LesionStamp:
    """A floating 3-D stamp of a bank lesion (from any case), resampled to ``spacing_mm``."""
    return stamp_from_volume(
        bank_lesion_volume(lesion, spacing_mm),
        centre_rc=centre_rc,
        centre_z=centre_z,
        origin=f"lesion {lesion.lesion_id} ({describe_lesion(lesion)})",
    )


def describe_lesion(lesion: Lesion) -> str:
    """List text for a bank lesion: volume in mL, diameters in mm, source case, 1-based slices."""
    ez, ey, ex = lesion.extent_mm
    z0, z1 = lesion.slice_range
    return (
        f"{lesion.volume_mm3 / 1000.0:.2f} mL · {ex:.0f}×{ey:.0f}×{ez:.0f} mm · "
        f"{lesion.source_case} slices {z0 + 1}–{z1}"
    )
