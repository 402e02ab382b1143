"""Branching intrahepatic vessels (portal and hepatic veins) as trees of capsules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from liversynth.phantom.grid3d import Grid3D


@dataclass(frozen=True)
class Segment:
    """A straight vessel segment between two points (nominal mm, (x, y, z)) with a radius."""

    start: tuple[float, float, float]
    end: tuple[float, float, float]
    radius_mm: float


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def grow_tree(
    rng: np.random.Generator,
    root: tuple[float, float, float],
    direction: tuple[float, float, float],
    *,
    length_mm: float,
    radius_mm: float,
    depth: int,
    spread_rad: float = 0.6,
) -> list[Segment]:
    """A binary tree: each branch splits into two thinner, shorter children at random angles."""
    segments: list[Segment] = []
    stack = [
        (np.asarray(root, float), _unit(np.asarray(direction, float)), length_mm, radius_mm, depth)
    ]
    while stack:
        start, d, length, radius, level = stack.pop()
        # A gentle random bend keeps branches from looking ruler-straight.
        d = _unit(d + rng.normal(0, 0.15, 3))
        end = start + d * length
        segments.append(Segment(tuple(start), tuple(end), radius))
        if level == 0:
            continue
        for sign in (-1.0, 1.0):
            perp = _unit(np.cross(d, rng.normal(0, 1, 3)))
            angle = sign * spread_rad * rng.uniform(0.6, 1.2)
            child = _unit(d * np.cos(angle) + perp * np.sin(abs(angle)))
            stack.append(
                (
                    end,
                    child,
                    length * rng.uniform(0.7, 0.85),
                    radius * rng.uniform(0.72, 0.84),
                    level - 1,
                )
            )
    return segments


def render_segments(segments: list[Segment], grid: Grid3D) -> np.ndarray:
    """Boolean volume of voxels whose centre lies within a segment's radius."""
    out = np.zeros(grid.shape, dtype=bool)
    for seg in segments:
        a = np.asarray(seg.start)
        b = np.asarray(seg.end)
        r = seg.radius_mm
        box = grid.box(np.minimum(a, b) - r, np.maximum(a, b) + r)
        if box is None:
            continue
        x, y, z = grid.coords(box)
        ab = b - a
        denom = float(ab @ ab) or 1e-9
        # Distance from each voxel centre to the segment (projection clamped to [0, 1]).
        s = ((x - a[0]) * ab[0] + (y - a[1]) * ab[1] + (z - a[2]) * ab[2]) / denom
        np.clip(s, 0.0, 1.0, out=s)
        d2 = (x - a[0] - s * ab[0]) ** 2 + (y - a[1] - s * ab[1]) ** 2 + (z - a[2] - s * ab[2]) ** 2
        out[box] |= d2 < r * r
    return out
