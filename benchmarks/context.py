"""What every benchmark section receives: sizes (full or ``--quick``), data paths, a scratch
folder, and the real 3D-IRCADb cases loaded once per run."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from liversynth.volume import TUMOUR, Case

ROOT = Path(__file__).resolve().parents[1]
#: ``../shared/data`` next to the project (read-only; nothing is ever written there).
DEFAULT_DATA = ROOT.parent / "shared" / "data"
#: The tiny phantom used by ``--quick`` and when the real data is absent.
QUICK_PHANTOM_SHAPE = (8, 128, 128)


@dataclass
class BenchContext:
    """Run-wide settings of one ``python -m benchmarks`` call.

    Attributes:
        quick: tiny sizes and few repeats (the smoke test); figures are not meaningful.
        data: the shared real-data folder (may be absent).
        scratch: a temporary folder for files the benchmarks write.
        notes: remarks collected while running (fallbacks, skipped parts).
    """

    quick: bool
    data: Path
    scratch: Path
    notes: list[str] = field(default_factory=list)

    def case_dir(self, name: str) -> Path | None:
        """``data/<name>`` when it exists and real data is used (not in ``--quick``)."""
        path = self.data / name
        return path if path.is_dir() and not self.quick else None

    @functools.cached_property
    def tumour_case(self) -> tuple[Case, str]:
        """3Dircadb1.1 with its labels, or a phantom when absent/quick; with a description."""
        folder = self.case_dir("3Dircadb1.1")
        if folder is not None:
            from liversynth.io import load_case

            return load_case(folder), "3Dircadb1.1 (real CT, real tumour masks)"
        from liversynth.phantom import make_phantom

        shape = QUICK_PHANTOM_SHAPE if self.quick else (48, 512, 512)
        if not self.quick:
            self.notes.append("3Dircadb1.1 absent: fill latency measured on the phantom")
        return make_phantom(seed=0, shape=shape), f"phantom {shape} (real data absent or --quick)"


def tumour_slices(case: Case) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(slice_hu float32, tumour mask bool)`` for every slice of ``case`` with tumour."""
    if case.labels is None:
        return []
    out = []
    for z in range(case.labels.shape[0]):
        mask = case.labels[z] == TUMOUR
        if mask.any():
            out.append((case.volume.slice_hu(z), mask))
    return out
