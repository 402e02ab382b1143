"""Procedural lesion shapes: distorted, elastically deformed ellipsoids in physical units.

Used when no bank of real lesions is given. Every size is in mm and the grid follows the
target volume's (possibly anisotropic) voxel spacing, so a 20 mm lesion is 20 mm across in
every direction whether the slices are 0.7 mm or 5 mm apart. Everything is drawn from the
given generator and recorded in a JSON-able dict; :func:`make_shape` rebuilds the same mask
from that dict.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.lesions.masks import clean_mask
from liversynth.typing import SpacingZYX

MIN_DIAMETER_MM = 5.0
MAX_DIAMETER_MM = 60.0


def random_shape_params(
    rng: np.random.Generator,
    *,
    min_diameter_mm: float = MIN_DIAMETER_MM,
    max_diameter_mm: float = MAX_DIAMETER_MM,
) -> dict[str, Any]:
    """Draw the parameters of one procedural lesion.

    The diameter is log-uniform in ``[min_diameter_mm, max_diameter_mm]`` (small lesions are
    more common than large ones), the axes vary by up to ±30 %, the orientation is random,
    the outline is bumped by a smooth random field and warped elastically.
    """
    if not 0 < min_diameter_mm <= max_diameter_mm:
        raise ValueError(
            f"need 0 < min_diameter_mm <= max_diameter_mm, got {min_diameter_mm}, {max_diameter_mm}"
        )
    diameter = float(np.exp(rng.uniform(np.log(min_diameter_mm), np.log(max_diameter_mm))))
    return {
        "kind": "procedural",
        "diameter_mm": round(diameter, 4),
        "axis_ratios": [round(float(v), 4) for v in rng.uniform(0.75, 1.3, 3)],
        "angles_deg": [round(float(v), 4) for v in rng.uniform(-180, 180, 3)],
        "bumpiness": round(float(rng.uniform(0.05, 0.25)), 4),
        "elastic_alpha": round(float(rng.uniform(0.0, 0.12)), 4),
        "noise_seed": int(rng.integers(0, 2**31 - 1)),
    }


def _rotation_matrix(angles_deg: list[float]) -> np.ndarray:
    a, b, c = np.deg2rad(angles_deg)
    rz = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rx = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


def make_shape(params: dict[str, Any], spacing_mm: SpacingZYX) -> np.ndarray:
    """Rasterise a procedural lesion on a grid of voxel size ``spacing_mm`` ``(z, y, x)``.

    Returns:
        bool ``(z, y, x)`` cropped to the lesion (one connected component, no holes).
    """
    spacing = np.asarray(spacing_mm, float)
    radius_mm = params["diameter_mm"] / 2.0
    semi = radius_mm * np.asarray(params["axis_ratios"], float)
    # Normalise the axes so the volume matches the requested equivalent diameter.
    semi *= radius_mm / np.prod(semi) ** (1 / 3)
    half = np.ceil(semi.max() * 1.6 / spacing).astype(int) + 2
    grids = np.meshgrid(
        *[np.arange(-h, h + 1) * s for h, s in zip(half, spacing, strict=True)], indexing="ij"
    )
    pts = np.stack([g.ravel() for g in grids])  # (3, N) mm
    local = _rotation_matrix(params["angles_deg"]).T @ pts
    level = np.sqrt(((local / semi[:, None]) ** 2).sum(0)).reshape(grids[0].shape)
    noise_rng = np.random.default_rng(params["noise_seed"])
    # Smooth random bumps on the outline: a low-pass noise field scaled to the radius.
    sigma_vox = np.maximum(radius_mm * 0.45 / spacing, 0.5)
    bumps = ndimage.gaussian_filter(noise_rng.standard_normal(level.shape), sigma_vox)
    bumps /= bumps.std() + 1e-9
    level = level - params["bumpiness"] * bumps
    if params["elastic_alpha"] > 0:
        disp = [
            ndimage.gaussian_filter(noise_rng.standard_normal(level.shape), sigma_vox)
            for _ in range(3)
        ]
        scale = params["elastic_alpha"] * radius_mm / spacing
        coords = np.indices(level.shape, dtype=float)
        for i in range(3):
            coords[i] += scale[i] * disp[i] / (disp[i].std() + 1e-9)
        level = ndimage.map_coordinates(level, coords, order=1, mode="nearest")
    return clean_mask(level < 1.0)


def procedural_lesion(
    rng: np.random.Generator,
    spacing_mm: SpacingZYX,
    **kw: float,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw and rasterise one procedural lesion; returns ``(mask, params)``."""
    params = random_shape_params(rng, **kw)
    return make_shape(params, spacing_mm), params
