"""A tiny labelled case shared by the authoring tests (fixed seed, 4 × 48 × 48)."""

from __future__ import annotations

import numpy as np

from liversynth.volume import LIVER, TUMOUR, Case, Volume

SHAPE = (4, 48, 48)
#: The ground-truth tumour: a disc of radius 5 px at (24, 24) on slice 2.
TUMOUR_Z, TUMOUR_RC, TUMOUR_R = 2, (24, 24), 5


def small_case(*, with_labels: bool = True) -> Case:
    """Noisy "liver" of 60 HU in rows/cols 8..40, a 120 HU tumour on slice 2, air elsewhere."""
    rng = np.random.default_rng(0)
    hu = np.full(SHAPE, -1000, dtype=np.int16)
    labels = np.zeros(SHAPE, dtype=np.uint8)
    hu[:, 8:40, 8:40] = 60 + rng.integers(-10, 10, size=(4, 32, 32))
    labels[:, 8:40, 8:40] = LIVER
    rr, cc = np.mgrid[: SHAPE[1], : SHAPE[2]]
    disc = (rr - TUMOUR_RC[0]) ** 2 + (cc - TUMOUR_RC[1]) ** 2 <= TUMOUR_R**2
    hu[TUMOUR_Z][disc] = 120
    labels[TUMOUR_Z][disc] = TUMOUR
    volume = Volume(hu, (2.5, 0.8, 0.8), source="authoring test case")
    return Case("small", volume, labels if with_labels else None)


def disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    """Reference disc: pixels with (r - r0)² + (c - c0)² <= radius²."""
    rr, cc = np.mgrid[: shape[0], : shape[1]]
    return (rr - centre[0]) ** 2 + (cc - centre[1]) ** 2 <= radius**2
