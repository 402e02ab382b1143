"""Loading: ``liversynth.io.load_volume`` against a bare library read, in the same run.

* 3Dircadb1.1 ``PATIENT_DICOM`` (129 × 512 × 512) against a bare pydicom loop (``dcmread`` on
  every file, sort by position, stack ``pixel_array``, apply RescaleSlope/Intercept), and the
  rescale-free loop of :mod:`benchmarks.io_loading` (:func:`benchmarks.io_loading.bare_pydicom`) for reference.
* A 512 × 512 × 500 int16 volume written to a temporary ``.nii`` and ``.nii.gz``
  (``liversynth.io.save_nifti``; CT-like content: the real volume repeated, else the phantom)
  against ``np.asanyarray(nibabel.load(path, mmap=False).dataobj)``. With nibabel's default
  ``mmap=True`` an uncompressed ``.nii`` comes back as a memory map and no voxel is read, so
  that literal one-liner is timed too but only as a reference, not as the ratio's base.

The contenders alternate (A, B, A, B, ...) so that load drifting on the shared machine hits
both alike; every repeat gives one A/B ratio, and the ratio is reported with its spread.
Files are read from the page cache (just written / read before): this times parsing,
decoding and copying, not the disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pydicom

from benchmarks.context import BenchContext
from benchmarks.io_loading import bare_pydicom
from benchmarks.stats import summarize
from liversynth.io import load_volume, save_nifti

#: The goal: load_volume at most this many times the bare library read.
GOAL_RATIO = 1.3


def bare_pydicom_hu(folder: Path) -> np.ndarray:
    """A bare pydicom read of a series in HU: dcmread loop, sort, stack, rescale."""
    datasets = [pydicom.dcmread(p) for p in sorted(folder.iterdir()) if p.is_file()]
    datasets.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    raw = np.stack([ds.pixel_array for ds in datasets])
    slope = float(getattr(datasets[0], "RescaleSlope", 1.0))
    intercept = float(getattr(datasets[0], "RescaleIntercept", 0.0))
    return (raw * slope + intercept).astype(np.int16)


def bare_nibabel(path: Path) -> np.ndarray:
    """A bare nibabel read that reads every voxel: ``mmap=False``, then the data array."""
    return np.asanyarray(nib.load(path, mmap=False).dataobj)


def bare_nibabel_lazy(path: Path) -> np.ndarray:
    """``np.asanyarray(nib.load(path).dataobj)`` as written: for an uncompressed ``.nii``
    nibabel returns a memory map, so no voxel is read yet (shown for reference only)."""
    return np.asanyarray(nib.load(path).dataobj)


def _alternate(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Time each contender ``repeats`` times, interleaved, after one untimed round."""
    for fn in contenders.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def _compare(
    contenders: dict[str, Callable[[], object]], repeats: int, extra: dict[str, Any]
) -> dict[str, Any]:
    """Timings of every contender and the per-repeat ratio of the first to the second."""
    times = _alternate(contenders, repeats)
    names = list(contenders)
    ours, bare = times[names[0]], times[names[1]]
    per_pair = [a / b for a, b in zip(ours, bare, strict=True)]
    ratio_summary = summarize(per_pair, "x")
    return {
        **extra,
        "seconds": {name: summarize(ts, "s") for name, ts in times.items()},
        "ratio": {
            "what": f"{names[0]} / {names[1]}",
            **ratio_summary,
            "goal_max": GOAL_RATIO,
            "met": bool(ratio_summary["median"] <= GOAL_RATIO),
        },
    }


def _nifti_content(ctx: BenchContext, shape: tuple[int, int, int]) -> tuple[np.ndarray, str]:
    """CT-like int16 content of ``shape``: the real volume repeated along z, else the phantom."""
    folder = ctx.case_dir("3Dircadb1.1")
    if folder is not None and shape[1:] == (512, 512):
        base, what = load_volume(folder / "PATIENT_DICOM").hu, "3Dircadb1.1 repeated along z"
    else:
        from liversynth.phantom import make_phantom

        base = make_phantom(seed=0, shape=(min(shape[0], 48), *shape[1:])).volume.hu
        what = "phantom repeated along z"
    reps = -(-shape[0] // base.shape[0])
    return np.ascontiguousarray(np.tile(base, (reps, 1, 1))[: shape[0]]).astype(np.int16), what


def run(ctx: BenchContext) -> dict[str, Any]:
    """Loading section (see the module docstring)."""
    out: dict[str, Any] = {}
    dicom = ctx.case_dir("3Dircadb1.1")
    if dicom is not None:
        folder = dicom / "PATIENT_DICOM"
        out["dicom 3Dircadb1.1 (129 x 512 x 512)"] = _compare(
            {
                "load_volume": lambda: load_volume(folder),
                "bare pydicom + rescale": lambda: bare_pydicom_hu(folder),
                "bare pydicom, no rescale (io_loading.bare_pydicom)": lambda: bare_pydicom(folder),
            },
            repeats=7,
            extra={"path": str(folder)},
        )
    else:
        out["dicom"] = {"skipped": "3Dircadb1.1 absent or --quick"}

    shape = (8, 64, 64) if ctx.quick else (500, 512, 512)
    hu, content = _nifti_content(ctx, shape)
    for suffix, repeats in ((".nii", 2 if ctx.quick else 7), (".nii.gz", 2 if ctx.quick else 3)):
        path = ctx.scratch / f"volume{suffix}"
        save_nifti(hu, (1.0, 0.7, 0.7), path)
        out[f"nifti {suffix} {shape[2]}x{shape[1]}x{shape[0]} int16"] = _compare(
            {
                "load_volume": lambda p=path: load_volume(p),
                "bare nibabel (mmap=False)": lambda p=path: bare_nibabel(p),
                "bare nibabel default (memory map for .nii: lazy)": (
                    lambda p=path: bare_nibabel_lazy(p)
                ),
            },
            repeats=repeats,
            extra={
                "content": content,
                "file_mib": round(path.stat().st_size / 2**20, 1),
                "array_mib": round(hu.nbytes / 2**20, 1),
            },
        )
        path.unlink()
    return out
