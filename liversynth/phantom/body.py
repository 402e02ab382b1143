"""Body wall, table, skeleton (spine and ribs), back muscles and lung bases, one slice at a time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liversynth.phantom.anatomy import Anatomy
from liversynth.phantom.geometry import SliceGrid, blob, boundary_point, paint_blob, smoothstep
from liversynth.phantom.tissues import Tissue


@dataclass(frozen=True)
class BodyFrame:
    """Per-slice masks the organs need: the body and the peritoneal cavity."""

    body: np.ndarray
    cavity_rho: np.ndarray


def _fat_inner(anat: Anatomy) -> tuple[tuple[float, float], float]:
    ax, ay = anat.body_axes
    lat, ant, post = anat.fat_mm
    return (ax - lat, ay - ant), anat.body_posterior - post


def paint_body_wall(tissue: np.ndarray, grid: SliceGrid, t: float, anat: Anatomy) -> BodyFrame:
    """Paint table, skin, subcutaneous fat, wall muscle and the cavity (visceral fat)."""
    c = anat.body_center
    post = anat.body_posterior
    # The table: a slightly curved plate just below the patient's back.
    y_table = c[1] + post + 9.0 - 0.0009 * grid.x**2
    table = (grid.y > y_table) & (grid.y < y_table + 4.0) & (np.abs(grid.x) < 175)
    tissue[table] = Tissue.TABLE

    rho = blob(
        grid, c, anat.body_axes, t=t, outline=anat.body_outline, power=2.4, posterior_axis_mm=post
    )
    body = rho < 1.0
    tissue[body] = Tissue.SKIN
    tissue[rho < 1.0 - 2.0 / anat.body_axes[1]] = Tissue.FAT
    axes, post_in = _fat_inner(anat)
    rho_fat = blob(
        grid, c, axes, t=t, outline=anat.fat_outline, power=2.4, posterior_axis_mm=post_in
    )
    tissue[rho_fat < 1.0] = Tissue.MUSCLE
    w = anat.wall_mm
    rho_cav = blob(
        grid,
        c,
        (axes[0] - w, axes[1] - w),
        t=t,
        outline=anat.cavity_outline,
        power=2.2,
        posterior_axis_mm=post_in - w,
    )
    tissue[rho_cav < 1.0] = Tissue.VISCERAL_FAT
    return BodyFrame(body, rho_cav)


def paint_back(tissue: np.ndarray, grid: SliceGrid, t: float, z_mm: float, anat: Anatomy) -> None:
    """Paint paraspinal muscles, psoas, the vertebra at this level and the ribs."""
    sx, sy = anat.spine_center
    muscle = ((1.0, Tissue.MUSCLE),)
    psoas = smoothstep(0.6, 0.1, t)
    for side in (-1.0, 1.0):
        paint_blob(tissue, grid, (sx + side * 37, sy + 34), (25, 21), muscle, angle_rad=side * 0.15)
        if psoas > 0:
            r = 5 + 10 * psoas
            paint_blob(tissue, grid, (sx + side * (19 + r * 0.8), sy - 2), (r, r * 0.9), muscle)
    _paint_vertebra(tissue, grid, z_mm, anat)
    _paint_ribs(tissue, grid, t, z_mm, anat)


def _paint_vertebra(tissue: np.ndarray, grid: SliceGrid, z_mm: float, anat: Anatomy) -> None:
    sx, sy = anat.spine_center
    level = ((z_mm + anat.vertebra_phase_mm) % anat.vertebra_period_mm) / anat.vertebra_period_mm
    levels: tuple[tuple[float, int], ...]
    if level < 5.0 / anat.vertebra_period_mm:
        levels = ((1.0, Tissue.DISC),)
    else:
        levels = ((1.0, Tissue.CORTICAL_BONE), (1 - 2.6 / 17, Tissue.CANCELLOUS_BONE))
    paint_blob(tissue, grid, (sx, sy), (21, 17), levels, power=2.2)
    arch = ((1.0, Tissue.POSTERIOR_ARCH),)
    # Lamina and facets surround the canal at every level (also beside the disc).
    paint_blob(tissue, grid, (sx, sy + 28), (14, 12.5), arch)
    if 0.35 < level < 0.8:
        paint_blob(tissue, grid, (sx, sy + 50), (4.5, 13), arch)
    if 0.3 < level < 0.6:
        for side in (-1.0, 1.0):
            paint_blob(
                tissue, grid, (sx + side * 27, sy + 22), (13, 4.5), arch, angle_rad=side * 0.25
            )
    paint_blob(tissue, grid, (sx, sy + 27), (9, 8), ((1.0, Tissue.CSF),))


def _paint_ribs(tissue: np.ndarray, grid: SliceGrid, t: float, z_mm: float, anat: Anatomy) -> None:
    axes, post_in = _fat_inner(anat)
    levels = ((1.0, Tissue.CORTICAL_BONE), (0.55, Tissue.CANCELLOUS_BONE))
    for angle, phase in zip(anat.rib_angles, anat.rib_phases, strict=True):
        posterior = np.sin(angle) > 0.3
        if t < (0.3 if posterior else 0.55):
            continue
        # Ribs run obliquely, so an axial slice cuts each one only over part of its course.
        if np.cos(2 * np.pi * z_mm / 26.0 + phase) < -0.1:
            continue
        center = boundary_point(
            anat.body_center,
            axes,
            angle,
            t=t,
            outline=anat.fat_outline,
            power=2.4,
            posterior_axis_mm=post_in,
            inset_mm=anat.wall_mm * 0.5,
        )
        paint_blob(tissue, grid, center, (10.0, 5.0), levels, angle_rad=angle + np.pi / 2)


def paint_lung_bases(
    tissue: np.ndarray, grid: SliceGrid, t: float, frame: BodyFrame, anat: Anatomy
) -> None:
    """Posterior costophrenic recesses in the top slices (diaphragm rim kept as muscle)."""
    s = smoothstep(0.82, 1.0, t)
    if s <= 0:
        return
    sx, sy = anat.spine_center
    inside = frame.cavity_rho < 1.0
    for side in (-1.0, 1.0):
        center = (sx + side * (anat.body_axes[0] * 0.45 + 10), sy + 22)
        rho = blob(grid, center, (6 + 24 * s, 5 + 14 * s), angle_rad=-side * 0.6)
        tissue[(rho < 1) & inside] = Tissue.MUSCLE
        tissue[(rho < 0.85) & inside] = Tissue.LUNG
