"""Helpers of the segbench tests: tiny phantom patients on disk and hand-made lesion cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liversynth.io import save_nifti
from liversynth.phantom import make_phantom
from model_training.segbench.cases import CaseData

SMALL_SHAPE = (16, 96, 96)


def write_lits(root: Path, seeds: list[int], *, healthy: bool = False) -> Path:
    """Phantom patients as LiTS pairs ``volume-N.nii.gz`` / ``segmentation-N.nii.gz``."""
    root.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        case = make_phantom(seed=seed, shape=SMALL_SHAPE)
        labels = case.labels.copy()
        if healthy:
            labels[labels == 2] = 1
        save_nifti(case.volume.hu, case.volume.spacing_mm, root / f"volume-{seed}.nii.gz")
        save_nifti(
            labels, case.volume.spacing_mm, root / f"segmentation-{seed}.nii.gz", labels=True
        )
    return root


def lesion_case(name: str, z_ranges: list[tuple[int, int]], *, depth: int = 40) -> CaseData:
    """A box liver with one cube lesion per ``(first, last)`` slice range, numbered in order."""
    shape = (depth, 32, 32 * max(1, len(z_ranges)))
    liver = np.zeros(shape, bool)
    liver[2 : depth - 2, 4:28, :] = True
    lesions = np.zeros(shape, np.int32)
    for k, (z0, z1) in enumerate(z_ranges, start=1):
        lesions[z0 : z1 + 1, 10:20, 32 * (k - 1) + 8 : 32 * (k - 1) + 18] = k
    hu = np.where(liver, 100, -1000).astype(np.int16)
    return CaseData(name, name, name, hu, liver, lesions, (2.0, 1.0, 1.0))
