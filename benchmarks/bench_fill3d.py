"""3-D stamp release → every slice of the lesion filled, with the on-screen slice first.

``python -m benchmarks.bench_fill3d [--filler gan] [--repeats 5] [--out benchmarks/fill3d.json]``

A 30 mm (diameter) ellipsoid stamp is floated at the liver's centre of the healthy
3Dircadb1.7 (the phantom when ``../shared/data`` is absent), on its largest liver slice, then:

* ``release_to_first_ms``: :meth:`Document.commit_stamp` (what Enter / the release commits),
  :meth:`Document.request_volume_fill` (the slab snapshot) and phase 1 of
  :func:`run_volume_fill` up to the on-screen slice's result (goal ≤ 150 ms);
* ``release_to_all_ms``: the same up to the last slice filled (goal ≤ 2 s);
* ``first_ms`` / ``fill_ms``: the filler alone (phase 1 / all phases);
* ``*_cpu_ms``: the same spans in process CPU time, which a shared, overloaded machine
  inflates far less than wall time (PyTorch runs one thread on the 2-core box).

The filler is built as the app builds it (:func:`liversynth_gui.fill_controller.build_filler`
semantics: ``torch`` gets one core less than the machine so the UI thread keeps one), warmed
up first. Each repeat undoes the commit so the same lesion is placed again. The GUI's
debounce (150 ms after the last edit) is not included: it is the pause the app waits for
on purpose before asking for a fill.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.context import DEFAULT_DATA
from benchmarks.stats import load_average, machine, summarize

#: Lesion diameter of the benchmark, mm (a "3 cm lesion").
DIAMETER_MM = 30.0


def _case(data: Path) -> tuple[Any, str]:
    from liversynth.io import load_case
    from liversynth.phantom import make_phantom
    from liversynth.volume import LIVER

    path = data / "3Dircadb1.7"
    if path.is_dir():
        case = load_case(path)
        assert case.labels is not None
        # Its "tumour" mask lies outside the liver: keep the liver only (a healthy target).
        case.labels = np.where(case.labels == LIVER, LIVER, 0).astype(np.uint8)
        return case, "3Dircadb1.7"
    return make_phantom(seed=0), "phantom (../shared/data absent)"


def _build_filler(name: str) -> Any:
    import torch

    from liversynth.fillers.gan import usable_cores
    from liversynth.fillers.registry import make_filler

    torch.set_num_threads(max(1, usable_cores() - 1))
    filler = make_filler(name, device="cpu")
    if hasattr(filler, "structure"):
        # Each repeat places the same lesion again: time cold fills, not the gan cache.
        filler.structure.cache_entries = 0
    yy, xx = np.mgrid[:160, :160]
    disc = (yy - 80) ** 2 + (xx - 80) ** 2 <= 8**2
    filler.fill(np.full((160, 160), 100.0, np.float32), disc, liver_mask=np.ones_like(disc))
    return filler


def _stamp_time(times: list[float]) -> Any:
    """A callback that records when it was called (the on-screen slice's arrival)."""
    return lambda _result: times.extend((time.perf_counter(), time.process_time()))


def run(data: Path = DEFAULT_DATA, filler_name: str = "gan", repeats: int = 5) -> dict[str, Any]:
    """Time ``repeats`` stamp commits and their volume fills; returns the JSON-ready record."""
    from liversynth.authoring import Document
    from liversynth.authoring.volume_fill import run_volume_fill

    case, case_name = _case(data)
    filler = _build_filler(filler_name)
    doc = Document(case)
    load_before = load_average()
    first_release, all_release, first_fill, all_fill, n_slices = [], [], [], [], []
    first_cpu, all_cpu = [], []
    for _ in range(repeats + 1):  # the first round warms caches up and is dropped
        doc.stamp_ellipsoid((DIAMETER_MM,) * 3)
        t0, c0 = time.perf_counter(), time.process_time()
        doc.commit_stamp()
        request = doc.request_volume_fill()
        assert request is not None
        first_at: list[float] = []
        result = run_volume_fill(filler, request, on_first=_stamp_time(first_at))
        t_all, c_all = time.perf_counter(), time.process_time()
        assert result is not None and first_at
        first_release.append((first_at[0] - t0) * 1000.0)
        all_release.append((t_all - t0) * 1000.0)
        first_cpu.append((first_at[1] - c0) * 1000.0)
        all_cpu.append((c_all - c0) * 1000.0)
        first_fill.append(result.first_ms)
        all_fill.append(result.elapsed_ms)
        n_slices.append(len(request.lesion_slices))
        doc.undo()
    return {
        "case": case_name,
        "spacing_mm": list(case.volume.spacing_mm),
        "filler": filler_name,
        "diameter_mm": DIAMETER_MM,
        "lesion_slices": n_slices[1:],
        "release_to_first_ms": summarize(first_release[1:], "ms"),
        "release_to_all_ms": summarize(all_release[1:], "ms"),
        "release_to_first_cpu_ms": summarize(first_cpu[1:], "ms"),
        "release_to_all_cpu_ms": summarize(all_cpu[1:], "ms"),
        "first_ms": summarize(first_fill[1:], "ms"),
        "fill_ms": summarize(all_fill[1:], "ms"),
        "goals_ms": {"first": 150.0, "all": 2000.0},
        "load_average": {"before": load_before, "after": load_average()},
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--filler", default="gan")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/fill3d.json"))
    args = parser.parse_args()
    record = run(args.data, args.filler, args.repeats)
    from liversynth.atomic import atomic_write

    atomic_write(args.out, (json.dumps(record, indent=2) + "\n").encode())
    print(json.dumps({k: record[k] for k in ("case", "filler", "lesion_slices")}))
    for key in (
        "release_to_first_ms",
        "release_to_all_ms",
        "release_to_first_cpu_ms",
        "release_to_all_cpu_ms",
    ):
        print(key, f"median {record[key]['median']:.0f} ms, p95 {record[key]['p95']:.0f} ms")


if __name__ == "__main__":
    main()
