"""Time and memory of the loaders; writes JSON.

Usage::

    python benchmarks/io_loading.py --out io_loading.json [--repeats 3] [--slices 1000]

- DICOM: ``load_volume`` on 3D-IRCADb 1.1 (129 slices, uncompressed) and the TotalSegmentator
  JPEG 2000 series, against a bare pydicom loop (dcmread + pixel_array + sort + stack).
- NIfTI memory: a 512×512×N int16 ``.nii`` is loaded in a fresh subprocess; peak RSS growth
  (``VmHWM`` − ``VmRSS`` before loading, from /proc/self/status) and the tracemalloc peak are
  reported as multiples of the array size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liversynth.atomic import atomic_write  # noqa: E402
from liversynth.io import load_volume, save_nifti  # noqa: E402

MEMORY_PROBE = """
import sys, time, tracemalloc
from liversynth.io import load_volume


def status_kib(field):
    # VmHWM/VmRSS of this process image (ru_maxrss would include the parent's peak).
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])


path = sys.argv[1]
before = status_kib("VmRSS") * 1024
tracemalloc.start()
t = time.perf_counter()
vol = load_volume(path)
seconds = time.perf_counter() - t
traced = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
peak = status_kib("VmHWM") * 1024
print(vol.hu.nbytes, peak - before, traced, seconds)
"""


def bare_pydicom(folder: Path) -> np.ndarray:
    datasets = [pydicom.dcmread(p) for p in sorted(folder.iterdir())]
    datasets.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    return np.stack([ds.pixel_array for ds in datasets])


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(min(times), 3)


def memory_probe(slices: int, workdir: Path) -> dict:
    path = workdir / "big.nii"
    rng = np.random.default_rng(0)
    hu = rng.integers(-1024, 2000, size=(slices, 512, 512), dtype=np.int16)
    save_nifti(hu, (1.0, 0.7, 0.7), path)
    del hu
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.split()
    nbytes, rss, traced, seconds = int(out[0]), int(out[1]), int(out[2]), float(out[3])
    return {
        "shape": [slices, 512, 512],
        "array_mib": round(nbytes / 2**20, 1),
        "peak_rss_growth_mib": round(rss / 2**20, 1),
        "peak_rss_growth_x_array": round(rss / nbytes, 2),
        "tracemalloc_peak_x_array": round(traced / nbytes, 2),
        "load_seconds": round(seconds, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--slices", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("io_loading.json"))
    args = parser.parse_args(argv)
    report: dict = {}
    for name, folder in [
        ("ircad1.1 (129 x 512 x 512, uncompressed)", args.data / "3Dircadb1.1" / "PATIENT_DICOM"),
        (
            "totalseg (20 x 512 x 512, JPEG 2000)",
            args.data / "totalsegmentator-example" / "example_ct_dicom",
        ),
    ]:
        if folder.is_dir():
            report[name] = {
                "load_volume_s": best_of(lambda f=folder: load_volume(f), args.repeats),
                "bare_pydicom_loop_s": best_of(lambda f=folder: bare_pydicom(f), args.repeats),
            }
    with tempfile.TemporaryDirectory() as tmp:
        report["nifti_memory"] = memory_probe(args.slices, Path(tmp))
    atomic_write(args.out, json.dumps(report, indent=2).encode("utf-8"))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
