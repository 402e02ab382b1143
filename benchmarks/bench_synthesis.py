"""Batch synthesis throughput (items/s) with each filler, through ``synthesize``'s own code.

Two figures per filler, healthy 3Dircadb1.7 with the 3Dircadb1.1 lesion bank, PNG output:

* **end to end**: ``python -m model_training synthesize ... --count N --workers 1`` run in
  this process (``model_training.__main__.main``): N / wall seconds, start-up included (loading
  the healthy case and the bank, preparing the liver, building the filler);
* **per item**: the same per-item functions the command runs (``make_item`` then
  ``write_item``) on a context built once, N items timed one by one: the steady-state rate of
  a long run.

``--workers 1`` everywhere so that fillers compare on equal terms (``gan`` always runs
in-process; the CPU fillers would otherwise spawn worker processes, whose start-up dominates
ten items on a 2-core machine).
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path
from typing import Any

from benchmarks.context import QUICK_PHANTOM_SHAPE, BenchContext
from benchmarks.stats import summarize
from liversynth.fillers.registry import available_fillers
from liversynth.lesions.bank import LesionBank
from model_training.synthesis.command import build_filler
from model_training.synthesis.context import build_context
from model_training.synthesis.item import make_item
from model_training.synthesis.writing import write_item


def _inputs(ctx: BenchContext) -> tuple[list[str], Path, str]:
    """(healthy case arguments, bank .npz, description); phantoms in ``--quick``."""
    healthy, lesions = ctx.case_dir("3Dircadb1.7"), ctx.case_dir("3Dircadb1.1")
    bank_path = ctx.scratch / "lesion_bank.npz"
    if healthy is not None and lesions is not None:
        if not bank_path.exists():
            LesionBank.from_cases([lesions]).save(bank_path)
        return [str(healthy)], bank_path, "healthy 3Dircadb1.7, lesion bank from 3Dircadb1.1"
    from liversynth.io import save_nifti
    from liversynth.phantom import make_phantom

    shape = QUICK_PHANTOM_SHAPE if ctx.quick else (48, 256, 256)
    case = make_phantom(seed=1, shape=shape)
    # A one-case LiTS layout, so that the command line reads it like real data.
    folder = ctx.scratch / "healthy_lits"
    folder.mkdir(exist_ok=True)
    save_nifti(case.volume.hu, case.volume.spacing_mm, folder / "volume-0.nii")
    save_nifti(case.labels, case.volume.spacing_mm, folder / "segmentation-0.nii", labels=True)
    LesionBank.from_case_objects([make_phantom(seed=0, shape=shape)]).save(bank_path)
    if not ctx.quick:
        ctx.notes.append("3Dircadb1.7/1.1 absent: synthesis measured on phantoms")
    return [str(folder)], bank_path, f"phantom {shape} (healthy + bank)"


def _end_to_end(
    ctx: BenchContext, healthy: list[str], bank: Path, filler: str, count: int, k: int
) -> float:
    from model_training.__main__ import main as cli

    out = ctx.scratch / f"synth_{filler}_{k}"
    argv = [
        "synthesize",
        "--healthy",
        *healthy,
        "--lesions",
        str(bank),
        "--count",
        str(count),
        "--filler",
        filler,
        "--device",
        "cpu",
        "--workers",
        "1",
        "--out",
        str(out),
        "--seed",
        str(k),
    ]
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli(argv)
    seconds = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"synthesize {filler} exited with {code}")
    return count / seconds


def _per_item(ctx: BenchContext, synth_ctx: Any, filler_name: str, count: int) -> list[float]:
    filler = build_filler(filler_name, bank_path=synth_ctx.bank_path, model=None, device="cpu")
    out = ctx.scratch / f"items_{filler_name}"
    out.mkdir(exist_ok=True)
    seconds = []
    for index in range(count):
        t0 = time.perf_counter()
        item = make_item(synth_ctx, filler, 0, index, volume=False)
        write_item(item, out, "png", {"benchmark": True, "item": index})
        seconds.append(time.perf_counter() - t0)
    return seconds


def run(ctx: BenchContext) -> dict[str, Any]:
    """Synthesis section (see the module docstring)."""
    from liversynth.io import load_case

    healthy, bank_path, what = _inputs(ctx)
    count = 3 if ctx.quick else 10
    repeats = 1 if ctx.quick else 2
    synth_ctx = build_context(
        [load_case(p) for p in healthy],
        LesionBank.load(bank_path),
        str(bank_path),
        margin_mm=3.0,
        vessel_hu="auto",
    )
    fillers: dict[str, Any] = {}
    for name in available_fillers():
        per_item = _per_item(ctx, synth_ctx, name, count)
        rates = [_end_to_end(ctx, healthy, bank_path, name, count, k) for k in range(repeats)]
        item_s = summarize(per_item, "s")
        fillers[name] = {
            "per_item_seconds": item_s,
            "steady_items_per_s": 1.0 / item_s["median"] if item_s["median"] else None,
            "end_to_end_items_per_s": summarize(rates, "items/s"),
        }
    return {
        "inputs": what,
        "count_per_run": count,
        "end_to_end_runs": repeats,
        "format": "png",
        "workers": 1,
        "device": "cpu",
        "fillers": fillers,
    }
