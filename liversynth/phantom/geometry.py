"""Slice geometry for the phantom: a nominal millimetre frame and irregular blob outlines.

The anatomy is laid out in a *nominal* frame so that any array shape shows the whole abdomen:
x and y span :data:`FOV_MM` (x < 0 is the image's left = the patient's right, y < 0 is anterior =
row 0), and z spans :data:`Z_EXTENT_MM` from feet (index 0) to head. For the default shape
``(48, 256, 256)`` one nominal voxel is exactly 2.5 × 1.5 × 1.5 mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FOV_MM = 384.0
Z_EXTENT_MM = 120.0


@dataclass(frozen=True)
class Outline:
    """Low-order radial harmonics that make an ellipse irregular, drifting smoothly along z.

    ``r(θ, t) = 1 + Σ_k amp[k] · cos(k θ + phase[k] + drift[k] · t)``.
    """

    amp: tuple[float, ...]
    phase: tuple[float, ...]
    drift: tuple[float, ...]

    @classmethod
    def random(cls, rng: np.random.Generator, roughness: float, orders: int = 4) -> Outline:
        """Draw harmonics 2..orders+1 with amplitudes falling off as 1/k (``roughness`` ~ 0.05)."""
        ks = np.arange(2, orders + 2)
        amp = roughness * rng.uniform(0.4, 1.0, orders) / (ks - 1)
        return cls(
            tuple(amp.tolist()),
            tuple(rng.uniform(0, 2 * np.pi, orders).tolist()),
            tuple(rng.uniform(-1.5, 1.5, orders).tolist()),
        )

    def radius(self, theta: np.ndarray | float, t: float) -> np.ndarray:
        r = np.ones_like(np.asarray(theta, dtype=np.float32))
        for k, (a, p, d) in enumerate(zip(self.amp, self.phase, self.drift, strict=True), start=2):
            r = r + np.float32(a) * np.cos(
                k * np.asarray(theta, np.float32) + np.float32(p + d * t)
            )
        return r


SMOOTH = Outline((), (), ())


@dataclass(frozen=True)
class SliceGrid:
    """Pixel-centre coordinates (nominal mm) of one slice: ``x`` is (1, W), ``y`` is (H, 1)."""

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def for_shape(cls, height_px: int, width_px: int) -> SliceGrid:
        x = ((np.arange(width_px, dtype=np.float32) + 0.5) / width_px - 0.5) * np.float32(FOV_MM)
        y = ((np.arange(height_px, dtype=np.float32) + 0.5) / height_px - 0.5) * np.float32(FOV_MM)
        return cls(x[None, :], y[:, None])

    def crop(
        self, center_mm: tuple[float, float], radius_mm: float
    ) -> tuple[tuple[slice, slice], SliceGrid] | None:
        """The pixels within ``radius_mm`` (a square) of a point, or None when off the slice."""
        xs = self.x[0]
        ys = self.y[:, 0]
        x0, x1 = np.searchsorted(xs, [center_mm[0] - radius_mm, center_mm[0] + radius_mm])
        y0, y1 = np.searchsorted(ys, [center_mm[1] - radius_mm, center_mm[1] + radius_mm])
        if x1 <= x0 or y1 <= y0:
            return None
        return (slice(int(y0), int(y1)), slice(int(x0), int(x1))), SliceGrid(
            self.x[:, x0:x1], self.y[y0:y1, :]
        )


def blob(
    grid: SliceGrid,
    center_mm: tuple[float, float],
    axes_mm: tuple[float, float],
    *,
    t: float = 0.0,
    outline: Outline = SMOOTH,
    angle_rad: float = 0.0,
    power: float = 2.0,
    posterior_axis_mm: float | None = None,
) -> np.ndarray:
    """Normalised radius of an irregular (super-)ellipse: < 1 inside, 1 on the outline.

    Args:
        grid: slice coordinates.
        center_mm: (x, y) centre.
        axes_mm: (semi-axis along x, semi-axis along y) before rotation.
        t: position along z in [0, 1] (drives the harmonics' drift).
        outline: radial harmonics (irregularity).
        angle_rad: rotation of the shape (positive turns +x towards +y, i.e. posterior).
        power: 2 for an ellipse, larger for a boxier shape.
        posterior_axis_mm: a different y semi-axis for the posterior half (flat backs).

    Returns:
        float32 (H, W) array.
    """
    dx = grid.x - np.float32(center_mm[0])
    dy = grid.y - np.float32(center_mm[1])
    if angle_rad:
        c, s = np.float32(np.cos(angle_rad)), np.float32(np.sin(angle_rad))
        dx, dy = dx * c + dy * s, dy * c - dx * s
    else:
        dx, dy = np.broadcast_arrays(dx, dy)
    ay: np.ndarray | np.float32 = np.float32(axes_mm[1])
    if posterior_axis_mm is not None:
        ay = np.where(dy > 0, np.float32(posterior_axis_mm), ay)
    u = np.abs(dx) / np.float32(axes_mm[0])
    v = np.abs(dy) / ay
    rho = np.hypot(u, v) if power == 2.0 else (u**power + v**power) ** (1.0 / power)
    if outline.amp:
        rho = rho / outline.radius(np.arctan2(dy, dx), t)
    return rho.astype(np.float32, copy=False)


def paint_blob(
    tissue: np.ndarray,
    grid: SliceGrid,
    center_mm: tuple[float, float],
    axes_mm: tuple[float, float],
    levels: tuple[tuple[float, int], ...],
    **kwargs,
) -> None:
    """Paint a small :func:`blob` computed only in its bounding square (much faster).

    Args:
        tissue: the (H, W) slice of tissue ids, painted in place.
        levels: ``(threshold, tissue id)`` pairs applied in order: pixels with ``rho < threshold``
            get that id (so a shell and a core are ``((1.0, shell), (0.6, core))``).
        **kwargs: passed to :func:`blob` (outline, angle_rad, t, power...).
    """
    outline: Outline = kwargs.get("outline", SMOOTH)
    post = kwargs.get("posterior_axis_mm") or 0.0
    reach = max(axes_mm[0], axes_mm[1], post) * (1.0 + sum(outline.amp)) * 1.05 + 2.0
    cropped = grid.crop(center_mm, reach)
    if cropped is None:
        return
    box, sub = cropped
    rho = blob(sub, center_mm, axes_mm, **kwargs)
    patch = tissue[box]
    for threshold, value in levels:
        patch[rho < threshold] = value


def boundary_point(
    center_mm: tuple[float, float],
    axes_mm: tuple[float, float],
    theta: float,
    *,
    t: float = 0.0,
    outline: Outline = SMOOTH,
    power: float = 2.0,
    posterior_axis_mm: float | None = None,
    inset_mm: float = 0.0,
) -> tuple[float, float]:
    """The point of :func:`blob`'s outline in direction ``theta`` (unrotated), moved ``inset_mm`` in."""
    c, s = np.cos(theta), np.sin(theta)
    ay = posterior_axis_mm if (posterior_axis_mm is not None and s > 0) else axes_mm[1]
    rho_unit = (abs(c / axes_mm[0]) ** power + abs(s / ay) ** power) ** (1.0 / power)
    r = float(outline.radius(theta, t)) / rho_unit - inset_mm
    return center_mm[0] + r * c, center_mm[1] + r * s


def smoothstep(edge0: float, edge1: float, t: float) -> float:
    """0 below edge0, 1 above edge1, a smooth cubic between (edges may be decreasing)."""
    u = min(max((t - edge0) / (edge1 - edge0), 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


def bump(t: float, start: float, end: float) -> float:
    """A smooth hump: 0 outside [start, end], 1 in the middle (sin-shaped, sqrt-flattened)."""
    if t <= start or t >= end:
        return 0.0
    return float(np.sqrt(np.sin(np.pi * (t - start) / (end - start))))
