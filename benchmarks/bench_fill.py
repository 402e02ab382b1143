"""Live fill latency: a mask edit → the composited HU slice returned by ``Filler.fill``.

Cases, all on the same real slices in the same run:

* the default model (``resources/models/default.safetensors``, crop model) with ``flips=4``
  (the default mirror ensemble) and ``flips=1``, with torch's default threads;
* the same with ``torch.set_num_threads(1)`` (a laptop busy with other work);
* the paper's full-slice 512×512 generator (``ModelConfig.preset("paper")``, random weights:
  only timing matters), a few fills.

Each fill is timed in wall-clock seconds and in process CPU seconds (all threads): on a shared
machine the CPU time says what the fill costs, the wall time what a user waits.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from benchmarks.context import BenchContext, tumour_slices
from benchmarks.stats import ratio, scaled, summarize, time_calls
from liversynth.inference import Filler, default_model_path
from liversynth.networks import ModelConfig, build_generator

#: The interactive goal for the default model on a CPU.
GOAL_P50_MS = 50.0


def _quick_config(cfg: ModelConfig) -> ModelConfig:
    # --quick only checks the harness: a tiny generator with the preset's layout.
    return dataclasses.replace(cfg, ngf=4, max_mult=2, num_downs=5, crop_px=32)


def _default_filler(ctx: BenchContext, flips: int) -> tuple[Filler, str]:
    path = default_model_path()
    if path.is_file() and not ctx.quick:
        return Filler.from_checkpoint(path, device="cpu", flips=flips), str(path.name)
    cfg = _quick_config(ModelConfig.preset("crop"))
    torch.manual_seed(0)
    return Filler(build_generator(cfg).eval(), cfg, flips=flips), "tiny random crop model"


def _paper_filler(ctx: BenchContext) -> tuple[Filler, dict[str, Any]]:
    cfg = ModelConfig.preset("paper")
    if ctx.quick:
        cfg = dataclasses.replace(cfg, ngf=4, max_mult=2, num_downs=5, crop_px=128)
    torch.manual_seed(0)
    generator = build_generator(cfg).eval()
    params = sum(p.numel() for p in generator.parameters())
    return Filler(generator, cfg, flips=1), {"crop_px": cfg.crop_px, "parameters": params}


def _time_fills(
    filler: Filler, slices: list[tuple[np.ndarray, np.ndarray]], n: int
) -> dict[str, Any]:
    """Time ``n`` fills cycling over ``slices`` (one warm-up fill first)."""
    order = [slices[i % len(slices)] for i in range(n)]
    it = iter(order)

    def one() -> None:
        hu, mask = next(it)
        filler.fill(hu, mask)

    filler.fill(*slices[0])  # warm-up: first-call allocations, oneDNN primitive caches
    wall, cpu = time_calls(one, repeats=n, warmup=0)
    return {
        "wall_ms": scaled(summarize(wall), 1e3, "ms"),
        "cpu_ms": scaled(summarize(cpu), 1e3, "ms"),
        "torch_threads": torch.get_num_threads(),
    }


def run(ctx: BenchContext) -> dict[str, Any]:
    """Fill latency section (see the module docstring)."""
    case, source = ctx.tumour_case
    slices = tumour_slices(case)
    if not slices:
        return {"skipped": "no slice with tumour in the case"}
    n = 4 if ctx.quick else 60
    n_paper = 2 if ctx.quick else 5
    default_threads = torch.get_num_threads()
    fills: dict[str, Any] = {}
    try:
        for threads in (default_threads, 1):
            torch.set_num_threads(threads)
            suffix = "" if threads == default_threads else ", 1 thread"
            for flips in (4, 1):
                filler, model = _default_filler(ctx, flips)
                fills[f"default flips={flips}{suffix}"] = {
                    "model": model,
                    "flips": flips,
                    **_time_fills(filler, slices, n),
                }
        torch.set_num_threads(default_threads)
        paper, info = _paper_filler(ctx)
        fills["paper 512x512 flips=1"] = {
            "model": "ModelConfig.preset('paper'), random weights",
            "flips": 1,
            **info,
            **_time_fills(paper, slices, n_paper),
        }
        del paper
    finally:
        torch.set_num_threads(default_threads)

    crop_filler, _ = _default_filler(ctx, 1)
    crops = [crop_filler.crop_for(m) for _, m in slices]
    crop_sizes = [b.size for b in crops if b is not None]

    def wall(key: str) -> dict[str, Any]:
        return fills[key]["wall_ms"]

    ratios = {
        "paper / default flips=4": ratio(wall("paper 512x512 flips=1"), wall("default flips=4")),
        "paper / default flips=1": ratio(wall("paper 512x512 flips=1"), wall("default flips=1")),
        "flips=4 / flips=1": ratio(wall("default flips=4"), wall("default flips=1")),
        "1 thread / default threads (flips=4)": ratio(
            wall("default flips=4, 1 thread"), wall("default flips=4")
        ),
        "1 thread / default threads (flips=1)": ratio(
            wall("default flips=1, 1 thread"), wall("default flips=1")
        ),
    }
    p50 = wall("default flips=4")["median"]
    return {
        "source": source,
        "tumour_slices": len(slices),
        "slice_shape": list(slices[0][0].shape),
        "crop_px_of_default_model": summarize(crop_sizes, "px"),
        "fills": fills,
        "ratios_of_medians": ratios,
        "goal": {
            "p50_ms_max": GOAL_P50_MS,
            "default_flips4_p50_ms": p50,
            "met": bool(p50 is not None and p50 <= GOAL_P50_MS),
        },
    }
