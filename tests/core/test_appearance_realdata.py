"""Appearance requests are honoured on a real slice (3Dircadb1.1), by every engine that says so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from liversynth.fillers.base import Appearance
from liversynth.fillers.registry import filler_info, make_filler

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def real_slice(ircad11: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from liversynth.io import load_case

    case = load_case(ircad11)
    assert case.labels is not None
    tumour = case.labels == 2
    z = int(np.argmax(tumour.sum(axis=(1, 2))))
    comp, _ = ndimage.label(tumour[z])
    biggest = comp == (np.argmax(np.bincount(comp.ravel())[1:]) + 1)
    return np.asarray(case.volume.hu[z], np.float32), biggest, case.labels[z] >= 1


def _contrast(out: np.ndarray, mask: np.ndarray, liver: np.ndarray) -> float:
    """Mean lesion HU − mean HU of the surrounding liver (3..15 px ring, soft tissue)."""
    dist = ndimage.distance_transform_edt(~mask)
    ring = (dist >= 3) & (dist <= 15) & liver & (out > -50) & (out < 250)
    return float(out[mask].mean() - out[ring].mean())


@pytest.mark.parametrize("name", ["gan", "mean", "biharmonic", "procedural"])
def test_contrast_is_honoured_within_10_hu_and_heterogeneity_is_monotonic(
    real_slice: tuple[np.ndarray, np.ndarray, np.ndarray], name: str
) -> None:
    hu, mask, liver = real_slice
    assert set(filler_info(name).appearance) == {"contrast_hu", "heterogeneity"}
    filler = make_filler(name, device="cpu")
    for contrast in (-100.0, -50.0, 0.0, 30.0, 60.0):
        out = filler.fill(
            hu, mask, liver_mask=liver, seed=0, appearance=Appearance(contrast_hu=contrast)
        )
        assert abs(_contrast(out, mask, liver) - contrast) <= 10.0, (name, contrast)
    spreads = [
        float(
            filler.fill(hu, mask, liver_mask=liver, seed=0, appearance=Appearance(heterogeneity=h))[
                mask
            ].std()
        )
        for h in (0.0, 0.25, 0.5, 1.0)
    ]
    assert all(a < b for a, b in zip(spreads, spreads[1:], strict=False)), spreads
