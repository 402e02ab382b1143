"""The random anatomy of one phantom: sizes, positions and outlines drawn once from the seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liversynth.phantom.geometry import Outline


@dataclass(frozen=True)
class Anatomy:
    """Everything about one phantom's anatomy that varies with the seed (nominal mm).

    x < 0 is the patient's right (image left), y < 0 anterior; ``t`` in [0, 1] runs feet → head.
    """

    body_axes: tuple[float, float]  # (half width, anterior half depth)
    body_posterior: float  # posterior half depth (flatter back)
    body_center: tuple[float, float]
    fat_mm: tuple[float, float, float]  # subcutaneous fat: lateral, anterior, posterior
    wall_mm: float  # abdominal wall muscle thickness
    body_outline: Outline
    fat_outline: Outline
    cavity_outline: Outline
    spine_center: tuple[float, float]
    vertebra_period_mm: float
    vertebra_phase_mm: float
    aorta_center: tuple[float, float]
    aorta_radius: float
    ivc_center: tuple[float, float]
    liver_center: tuple[float, float]
    liver_axes: tuple[float, float]
    liver_outline: Outline
    left_lobe: float  # relative size of the left lobe (0.6..1.3)
    liver_bottom: float  # t at which the right lobe tip ends
    spleen_scale: float
    spleen_outline: Outline
    kidney_right: tuple[float, float, float, float]  # x, y, t_start, t_end
    kidney_left: tuple[float, float, float, float]
    kidney_outline: Outline
    rib_angles: tuple[float, ...]
    rib_phases: tuple[float, ...]
    stomach_gas: float  # fraction of the stomach filled with gas (anterior)


def draw_anatomy(rng: np.random.Generator) -> Anatomy:
    """Draw one anatomy; the order of draws is part of the phantom's determinism."""
    u = rng.uniform
    half_w = u(145, 170)
    ant = u(100, 118)
    post = u(90, 102)
    cy = u(22, 32)
    spine_y = cy + post - u(62, 70)
    right_t0 = u(0.0, 0.05)
    left_t0 = right_t0 + u(0.03, 0.1)
    rib_right = [np.pi + d for d in (-0.95, -0.5, -0.1, 0.35, 0.8)]
    rib_left = [d for d in (0.95, 0.5, 0.1, -0.35, -0.8)]
    angles = [a + u(-0.08, 0.08) for a in rib_right + rib_left]
    return Anatomy(
        body_axes=(half_w, ant),
        body_posterior=post,
        body_center=(u(-4, 4), cy),
        fat_mm=(u(14, 30), u(12, 28), u(10, 20)),
        wall_mm=u(8, 13),
        body_outline=Outline.random(rng, 0.035),
        fat_outline=Outline.random(rng, 0.05),
        cavity_outline=Outline.random(rng, 0.04),
        spine_center=(u(-3, 3), spine_y),
        vertebra_period_mm=u(30, 36),
        vertebra_phase_mm=u(0, 30),
        aorta_center=(u(14, 22), spine_y - u(31, 36)),
        aorta_radius=u(9.5, 12.5),
        ivc_center=(u(-30, -22), spine_y - u(34, 42)),
        liver_center=(u(-72, -60), cy + u(-12, 0)),
        liver_axes=(u(78, 92), u(78, 92)),
        liver_outline=Outline.random(rng, 0.06),
        left_lobe=u(0.6, 1.3),
        liver_bottom=u(0.02, 0.15),
        spleen_scale=u(0.85, 1.15),
        spleen_outline=Outline.random(rng, 0.06),
        kidney_right=(u(-75, -62), spine_y + u(-6, 4), right_t0, right_t0 + u(0.45, 0.52)),
        kidney_left=(u(62, 75), spine_y + u(-8, 2), left_t0, left_t0 + u(0.45, 0.52)),
        kidney_outline=Outline.random(rng, 0.04),
        rib_angles=tuple(angles),
        rib_phases=tuple(u(0, 2 * np.pi, len(angles)).tolist()),
        stomach_gas=u(0.15, 0.45),
    )
