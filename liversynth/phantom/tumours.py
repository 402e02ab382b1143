"""Liver tumours: placement inside the liver, irregular outlines and internal texture."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from liversynth.phantom.grid3d import Grid3D


@dataclass(frozen=True)
class Tumour:
    """One planned tumour (nominal mm; points are (x, y, z))."""

    kind: str  # "hypodense" or "hyperdense"
    center_mm: tuple[float, float, float]
    radii_mm: tuple[float, float, float]
    mean_hu: float
    texture_hu: float
    necrosis_hu: float  # darker core (hypodense) — 0 for none
    rim_hu: float  # enhancing rim — 0 for none


@dataclass(frozen=True)
class RenderedTumour:
    """A tumour drawn on the voxel grid: its box, its voxels and their HU inside the box."""

    tumour: Tumour
    box: tuple[slice, slice, slice]
    inside: np.ndarray
    hu: np.ndarray


def _kinds(rng: np.random.Generator) -> list[tuple[str, float]]:
    """(kind, radius mm): one large hypodense, one hyperdense, 0-2 small hypodense."""
    kinds = [("hypodense", rng.uniform(12, 19)), ("hyperdense", rng.uniform(7, 11))]
    kinds += [("hypodense", rng.uniform(5, 10)) for _ in range(int(rng.integers(0, 3)))]
    return kinds


def _draw(rng: np.random.Generator, kind: str, center: np.ndarray, radius: float) -> Tumour:
    rx, ry, rz = (float(radius * rng.uniform(0.8, 1.2)) for _ in range(3))
    radii = (rx, ry, rz)
    cx, cy, cz = (float(v) for v in center)
    center_mm = (cx, cy, cz)
    if kind == "hypodense":
        return Tumour(
            kind,
            center_mm,
            radii,
            rng.uniform(50, 75),
            rng.uniform(6, 10),
            rng.uniform(10, 25) if radius > 10 else 0.0,
            rng.uniform(10, 25) if rng.uniform() < 0.5 else 0.0,
        )
    return Tumour(kind, center_mm, radii, rng.uniform(155, 175), rng.uniform(5, 8), 0.0, 0.0)


def plan_tumours(rng: np.random.Generator, liver: np.ndarray, grid: Grid3D) -> list[Tumour]:
    """Place tumours whose ellipsoids lie (almost) entirely inside ``liver`` and do not overlap."""
    # Centres in the middle 60 % of the slices: lesions near the dome or the tip get clipped.
    d = liver.shape[0]
    middle = np.zeros_like(liver)
    middle[int(0.25 * d) : int(np.ceil(0.8 * d))] = liver[int(0.25 * d) : int(np.ceil(0.8 * d))]
    index = np.flatnonzero(middle)
    if index.size == 0:
        return []
    placed: list[Tumour] = []
    for kind, radius in _kinds(rng):
        for _attempt in range(60):
            zyx = np.unravel_index(index[rng.integers(index.size)], liver.shape)
            center = grid.to_mm(np.array(zyx))
            tumour = _draw(rng, kind, center, radius)
            if _fits(tumour, liver, grid) and not any(_overlaps(tumour, p) for p in placed):
                placed.append(tumour)
                break
    return placed


def _overlaps(a: Tumour, b: Tumour) -> bool:
    gap = np.linalg.norm(np.subtract(a.center_mm, b.center_mm))
    return bool(gap < max(a.radii_mm) + max(b.radii_mm) + 4.0)


def _ellipsoid(tumour: Tumour, grid: Grid3D, margin: float = 1.0):
    c = np.asarray(tumour.center_mm)
    r = np.asarray(tumour.radii_mm) * margin
    box = grid.box(c - r, c + r)
    if box is None:
        return None, None
    x, y, z = grid.coords(box)
    rho = np.sqrt(((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2)
    return box, rho * margin


def _fits(tumour: Tumour, liver: np.ndarray, grid: Grid3D) -> bool:
    c = np.asarray(tumour.center_mm)
    reach = np.asarray(tumour.radii_mm) * 1.3  # the rendered box, bumps included
    low, high = grid.to_index(c - reach), grid.to_index(c + reach)
    if np.any(low < 0) or np.any(high > np.asarray(liver.shape) - 1):
        return False  # would be clipped by the volume's edge
    box, rho = _ellipsoid(tumour, grid, margin=1.15)
    if box is None:
        return False
    inside = rho < 1.15
    return bool(liver[box][inside].mean() > 0.97)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    """The bumps can split off islands at the edge; keep one solid lesion."""
    ids, n = ndimage.label(mask)
    if n > 1:
        sizes = ndimage.sum_labels(mask, ids, index=np.arange(1, n + 1))
        mask = ids == (int(np.argmax(sizes)) + 1)
    return ndimage.binary_fill_holes(mask)


def render_tumour(rng: np.random.Generator, tumour: Tumour, grid: Grid3D) -> RenderedTumour | None:
    """Draw the tumour with a bumpy outline and textured interior (HU before noise)."""
    box, rho = _ellipsoid(tumour, grid, margin=1.3)
    if box is None:
        return None
    # Smooth random bumps on the outline (±~12 % of the radius).
    bumps = ndimage.gaussian_filter(rng.standard_normal(rho.shape).astype(np.float32), 2.0)
    bumps /= max(float(bumps.std()), 1e-6)
    rho_b = rho * (1.0 + 0.12 * bumps)
    inside = _largest_component(rho_b < 1.0)
    tex = ndimage.gaussian_filter(rng.standard_normal(rho.shape).astype(np.float32), 1.2)
    tex /= max(float(tex.std()), 1e-6)
    hu = tumour.mean_hu + tumour.texture_hu * tex
    if tumour.necrosis_hu:
        hu -= tumour.necrosis_hu * np.clip(1.0 - rho_b / 0.55, 0.0, 1.0)
    if tumour.rim_hu:
        hu += tumour.rim_hu * np.exp(-(((rho_b - 0.88) / 0.1) ** 2))
    return RenderedTumour(tumour, box, inside, hu.astype(np.float32))
