"""Abdominal organs painted one slice at a time (liver, spleen, kidneys, vessels, gut)."""

from __future__ import annotations

import numpy as np

from liversynth.phantom.anatomy import Anatomy
from liversynth.phantom.body import BodyFrame
from liversynth.phantom.geometry import SliceGrid, blob, bump, paint_blob, smoothstep
from liversynth.phantom.tissues import Tissue


def paint_gut(
    tissue: np.ndarray, grid: SliceGrid, frame: BodyFrame, loops: np.ndarray, gas: np.ndarray
) -> None:
    """Bowel loops and gas from two smooth random fields (unit variance) inside the cavity."""
    cavity = frame.cavity_rho < 1.0
    # A band of the field's level sets gives tubular loops: wall outside, content inside.
    loop = cavity & (loops > 0.15)
    tissue[loop] = Tissue.BOWEL
    lumen = loop & (loops > 0.75)
    tissue[lumen] = Tissue.FLUID
    tissue[lumen & (gas > 0.6)] = Tissue.GAS


def paint_stomach(tissue: np.ndarray, grid: SliceGrid, t: float, anat: Anatomy) -> None:
    s = smoothstep(0.45, 0.75, t)
    if s <= 0:
        return
    cx, cy = 52.0, anat.body_center[1] - 22
    ax, ay = 18 + 24 * s, 14 + 20 * s
    rho = blob(grid, (cx, cy), (ax, ay), t=t, outline=anat.liver_outline, angle_rad=0.3)
    tissue[rho < 1] = Tissue.STOMACH_WALL
    lumen = rho < 1 - 4.5 / ay
    tissue[lumen] = Tissue.FLUID
    # Supine patient: gas rises anteriorly (towards row 0) above a horizontal level.
    level = cy - ay + 2 * ay * anat.stomach_gas
    tissue[lumen & (grid.y < level)] = Tissue.GAS


def paint_pancreas(tissue: np.ndarray, grid: SliceGrid, t: float, anat: Anatomy) -> None:
    b = bump(t, 0.3, 0.62)
    if b <= 0:
        return
    center = (anat.aorta_center[0] + 5, anat.aorta_center[1] - 22)
    paint_blob(
        tissue,
        grid,
        center,
        (48 * b, 10 * b + 1),
        ((1.0, Tissue.PANCREAS),),
        t=t,
        outline=anat.kidney_outline,
        angle_rad=0.3,
    )


def liver_rho(grid: SliceGrid, t: float, anat: Anatomy, frame: BodyFrame) -> np.ndarray | None:
    """Normalised radius of the liver (right lobe ∪ left lobe) in this slice, None if absent."""
    if t < anat.liver_bottom:
        return None
    s = (0.3 + 0.7 * smoothstep(anat.liver_bottom, 0.72, t)) * (1 - 0.2 * smoothstep(0.85, 1.0, t))
    cx, cy = anat.liver_center
    # The inferior tip of the right lobe lies lateral and anterior.
    center = (cx - 30 * (1 - s), cy - 12 * (1 - s))
    ax, ay = anat.liver_axes
    rho = blob(grid, center, (ax * s, ay * s), t=t, outline=anat.liver_outline, angle_rad=-0.2)
    sl = anat.left_lobe * smoothstep(0.45, 0.82, t) * (1 - 0.3 * smoothstep(0.9, 1.0, t))
    if sl > 0.05:
        left_center = (cx + 60 + 20 * sl, anat.body_center[1] - anat.body_axes[1] * 0.42)
        rho_left = blob(
            grid,
            left_center,
            (55 * sl, 24 * sl + 4),
            t=t,
            outline=anat.liver_outline,
            angle_rad=-0.25,
        )
        rho = np.minimum(rho, rho_left)
    # The liver fills the cavity up to the wall: clip it to the cavity.
    return np.where(frame.cavity_rho < 1.0, rho, np.float32(2.0))


def paint_liver(
    tissue: np.ndarray, grid: SliceGrid, t: float, anat: Anatomy, frame: BodyFrame
) -> None:
    rho = liver_rho(grid, t, anat, frame)
    if rho is None:
        return
    tissue[rho < 1] = Tissue.LIVER
    g = bump(t, anat.liver_bottom + 0.08, 0.45)
    if g > 0:
        cx, cy = anat.liver_center
        gb = blob(grid, (cx + 38, cy - 38), (10 * g + 2, 16 * g + 2), angle_rad=0.6)
        tissue[(gb < 1) & (rho < 1.05)] = Tissue.FLUID


def paint_spleen(
    tissue: np.ndarray, grid: SliceGrid, t: float, anat: Anatomy, frame: BodyFrame
) -> None:
    s = anat.spleen_scale * smoothstep(0.38, 0.78, t) * (1 - 0.25 * smoothstep(0.9, 1.0, t))
    if s <= 0.05:
        return
    cx = anat.body_center[0] + anat.body_axes[0] * 0.6
    cy = anat.spine_center[1] - 8
    rho = blob(grid, (cx, cy), (24 * s, 52 * s), t=t, outline=anat.spleen_outline, angle_rad=-0.55)
    hollow = blob(grid, (cx - 22 * s, cy - 4 * s), (18 * s, 44 * s), angle_rad=-0.55)
    tissue[(rho < 1) & (hollow > 1) & (frame.cavity_rho < 1.02)] = Tissue.SPLEEN


def paint_kidneys(tissue: np.ndarray, grid: SliceGrid, t: float, anat: Anatomy) -> None:
    for (x, y, t0, t1), side in ((anat.kidney_right, -1.0), (anat.kidney_left, 1.0)):
        b = bump(t, t0, t1)
        if b <= 0.05:
            continue
        # Long axis from antero-medial to postero-lateral; the hilum faces antero-medially.
        angle = -0.6 if side < 0 else 0.6
        long, short = 30 * b + 4, 21 * b + 3
        paint_blob(
            tissue,
            grid,
            (x, y),
            (long, short),
            ((1.0, Tissue.KIDNEY_CORTEX), (0.72, Tissue.KIDNEY_MEDULLA)),
            t=t,
            outline=anat.kidney_outline,
            angle_rad=angle,
        )
        hb = bump(t, t0 + 0.15 * (t1 - t0), t1 - 0.2 * (t1 - t0))
        if hb > 0:
            d = 0.55 * long
            sinus_center = (x - side * d * np.cos(0.6), y - d * np.sin(0.6))
            paint_blob(
                tissue,
                grid,
                sinus_center,
                (12 * hb, 7 * hb + 1),
                ((1.0, Tissue.RENAL_SINUS),),
                angle_rad=-angle,
            )


def paint_great_vessels(tissue: np.ndarray, grid: SliceGrid, t: float, anat: Anatomy) -> None:
    ix, iy = anat.ivc_center
    iy -= 6 * smoothstep(0.7, 1.0, t)
    paint_blob(tissue, grid, (ix, iy), (12.5, 8.5), ((1.0, Tissue.IVC),), angle_rad=0.3)
    r = anat.aorta_radius
    paint_blob(tissue, grid, anat.aorta_center, (r, r), ((1.0, Tissue.AORTA),))
