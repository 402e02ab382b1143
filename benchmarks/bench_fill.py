"""Live fill latency: a mask edit → the composited HU slice returned by ``Filler.fill``.

Cases, all on the same real slices in the same run:

* the default model (``resources/models/default.safetensors``, crop model) with its default
  mirror ensemble (``DEFAULT_FLIPS``), with ``flips=1`` and with ``flips=4``, with torch's
  default threads;
* the default and ``flips=1`` with ``torch.set_num_threads(1)`` (a laptop busy with other work);
* the paper's full-slice 512×512 generator (``ModelConfig.preset("paper")``, random weights:
  only timing matters), a few fills;
* the default model's plain structure (``render=None``, no grain): the renderer's cost;
* ``fill_volume`` of a 20-slice lesion (the case's largest tumour, its slices around the centre,
  the mask repeated where the tumour is shorter), goal :data:`GOAL_VOLUME_S`.

The configurations run interleaved (fill ``i``: every configuration fills the same slice in
turn), so load drifting on the shared machine hits them alike and every fill gives a paired
ratio. Each fill is timed in wall-clock seconds and in process CPU seconds (all threads; a
waiting OpenMP thread spins, so with 2 threads under contention CPU time exceeds wall time).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import torch

from benchmarks.context import BenchContext, tumour_slices
from benchmarks.stats import scaled, summarize
from liversynth.fillers.gan import DEFAULT_FLIPS, Filler, default_model_path
from liversynth.networks import ModelConfig, build_generator

#: Result key of the default configuration (the filler as users get it).
DEFAULT_KEY = f"flips={DEFAULT_FLIPS}"

#: Fills per block between changes of torch's thread count.
BLOCK = 10
#: The interactive goal for the default model on a CPU.
GOAL_P50_MS = 50.0
#: Goal for ``fill_volume`` of a 20-slice lesion on a CPU (seconds).
GOAL_VOLUME_S = 1.5
VOLUME_SLICES = 20


def _volume_case(case: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A 20-slice stack around the case's largest tumour and its mask (see module docstring)."""
    from scipy import ndimage

    tumour = case.labels == 2
    comp, n = ndimage.label(tumour)
    biggest = comp == (np.argmax(np.bincount(comp.ravel())[1:]) + 1) if n else tumour
    zs = np.flatnonzero(biggest.any(axis=(1, 2)))
    centre = int(zs[len(zs) // 2])
    z0 = int(
        np.clip(centre - VOLUME_SLICES // 2, 0, max(case.volume.hu.shape[0] - VOLUME_SLICES, 0))
    )
    picks = np.clip(np.arange(z0, z0 + VOLUME_SLICES), zs[0], zs[-1])
    hu = np.asarray(case.volume.hu[z0 : z0 + VOLUME_SLICES], np.float32)
    mask = biggest[picks][: hu.shape[0]]
    liver = (case.labels[z0 : z0 + VOLUME_SLICES] >= 1) if case.labels is not None else None
    return hu, mask, liver


def volume_timing(filler: Filler, case: Any, repeats: int) -> dict[str, Any]:
    """Wall and CPU seconds of ``fill_volume`` on the 20-slice stack of :func:`_volume_case`.

    The filler's structure cache is off (every repeat runs the network, as a new lesion does).
    """
    filler.structure.cache_entries = 0
    hu, mask, liver = _volume_case(case)
    spacing = tuple(float(v) for v in case.volume.spacing_mm)
    filler.fill_volume(hu, mask, liver_zyx=liver, seed=0, spacing_mm=spacing)  # warm-up
    wall, cpu = [], []
    for k in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        filler.fill_volume(hu, mask, liver_zyx=liver, seed=k, spacing_mm=spacing)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    p50 = float(np.median(wall))
    return {
        "slices": int(mask.any(axis=(1, 2)).sum()),
        "wall_s": summarize(wall, "s"),
        "cpu_s": summarize(cpu, "s"),
        "goal": {"p50_s_max": GOAL_VOLUME_S, "met": bool(p50 <= GOAL_VOLUME_S)},
    }


def _quick_config(cfg: ModelConfig) -> ModelConfig:
    # --quick only checks the harness: a tiny generator with the preset's layout.
    return dataclasses.replace(cfg, ngf=4, max_mult=2, num_downs=5, crop_px=32)


def _default_filler(ctx: BenchContext, flips: int) -> tuple[Filler, str]:
    path = default_model_path()
    if path.is_file() and not ctx.quick:
        filler = Filler.from_checkpoint(path, device="cpu", flips=flips)
        name = str(path.name)
    else:
        cfg = _quick_config(ModelConfig.preset("crop"))
        torch.manual_seed(0)
        filler, name = (
            Filler(build_generator(cfg).eval(), cfg, flips=flips),
            "tiny random crop model",
        )
    # Cold fills only: a live edit changes the mask, so the structure cache never hits there
    # (the warm-up fill before each block would otherwise serve the block's first fill).
    filler.structure.cache_entries = 0
    return filler, name


def _paper_filler(ctx: BenchContext) -> tuple[Filler, dict[str, Any]]:
    cfg = ModelConfig.preset("paper")
    if ctx.quick:
        cfg = dataclasses.replace(cfg, ngf=4, max_mult=2, num_downs=5, crop_px=128)
    torch.manual_seed(0)
    generator = build_generator(cfg).eval()
    params = sum(p.numel() for p in generator.parameters())
    filler = Filler(generator, cfg, flips=1)
    filler.structure.cache_entries = 0
    return filler, {"crop_px": cfg.crop_px, "parameters": params}


def _round_robin(
    configs: list[tuple[str, Filler, int]], slices: list[tuple[np.ndarray, np.ndarray]], n: int
) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """Time ``n`` fills per configuration ``(name, filler, torch threads)``, interleaved.

    Fill ``i`` uses slice ``i mod len(slices)`` for every configuration, one after the other
    (configurations with other thread counts in alternating blocks of :data:`BLOCK` fills),
    so that load drifting on the shared machine hits all configurations alike and each ``i``
    gives one paired ratio.

    Returns:
        (per-configuration summaries, per-configuration raw wall seconds in fill order).
    """
    wall: dict[str, list[float]] = {name: [] for name, _, _ in configs}
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in configs}
    thread_counts = sorted({threads for _, _, threads in configs}, reverse=True)
    for start in range(0, n, BLOCK):
        # Changing torch's thread count rebuilds its OpenMP pool (the next op pays for it):
        # alternate thread counts by blocks, each after an untimed fill per configuration.
        for count in thread_counts:
            torch.set_num_threads(count)
            group = [c for c in configs if c[2] == count]
            for _, filler, _ in group:
                filler.fill(*slices[start % len(slices)])
            for i in range(start, min(start + BLOCK, n)):
                hu, mask = slices[i % len(slices)]
                for name, filler, _ in group:
                    c0, t0 = time.process_time(), time.perf_counter()
                    filler.fill(hu, mask)
                    wall[name].append(time.perf_counter() - t0)
                    cpu[name].append(time.process_time() - c0)
    out = {}
    for name, filler, threads in configs:
        # The crop grows with the lesion's extent (128, 256, 384 px): latency by crop size.
        sizes = [_crop_px(filler, slices[i % len(slices)][1]) for i in range(n)]
        by_crop = {
            f"{size} px": scaled(
                summarize([w for w, s in zip(wall[name], sizes, strict=True) if s == size]),
                1e3,
                "ms",
            )
            for size in sorted(set(sizes))
        }
        out[name] = {
            "flips": filler.flips,
            "torch_threads": threads,
            "wall_ms": scaled(summarize(wall[name]), 1e3, "ms"),
            "cpu_ms": scaled(summarize(cpu[name]), 1e3, "ms"),
            "wall_ms_by_crop": by_crop,
        }
    return out, wall


def _paired(wall: dict[str, list[float]], a: str, b: str) -> dict[str, Any]:
    """Per-fill ratio ``a / b`` (same slice, adjacent in time) with its spread."""
    return summarize([x / y for x, y in zip(wall[a], wall[b], strict=True)], "x")


def _crop_px(filler: Filler, mask: np.ndarray) -> int:
    """Side of the largest crop the filler runs for ``mask`` (distant lesions get their own)."""
    sizes = [filler.crop_for(group).size for group in filler.lesion_groups(mask)]
    return int(max(sizes, default=0))


def run(ctx: BenchContext) -> dict[str, Any]:
    """Fill latency section (see the module docstring)."""
    case, source = ctx.tumour_case
    slices = tumour_slices(case)
    if not slices:
        return {"skipped": "no slice with tumour in the case"}
    n = 4 if ctx.quick else 60
    n_paper = 2 if ctx.quick else 5
    default_threads = torch.get_num_threads()
    try:
        variants = list(dict.fromkeys((DEFAULT_FLIPS, 1, 4)))
        configs = [
            (f"flips={flips}{suffix}", _default_filler(ctx, flips)[0], threads)
            for threads, suffix in ((default_threads, ""), (1, ", 1 thread"))
            for flips in variants
            if threads == default_threads or flips in (DEFAULT_FLIPS, 1)
        ]
        plain = _default_filler(ctx, DEFAULT_FLIPS)[0]
        plain.render = None
        configs.append((f"{DEFAULT_KEY} plain structure (no grain)", plain, default_threads))
        fills, wall_s = _round_robin(configs, slices, n)
        # The round robin ends on its 1-thread block: time the volume with the default
        # threads, as users get it (before this was fixed the 20-slice figure ran on 1).
        torch.set_num_threads(default_threads)
        volume = volume_timing(configs[0][1], case, 1 if ctx.quick else 5)
        volume["torch_threads"] = default_threads
        model_name = _default_filler(ctx, 1)[1]
        for entry in fills.values():
            entry["model"] = model_name
        paper, info = _paper_filler(ctx)
        by_name = {name: (name, f, t) for name, f, t in configs}
        paper_configs = [
            ("paper 512x512 flips=1", paper, default_threads),
            by_name[DEFAULT_KEY],
            by_name["flips=1"],
        ]
        paper_fills, paper_wall = _round_robin(paper_configs, slices, n_paper)
        fills["paper 512x512 flips=1"] = {
            "model": "ModelConfig.preset('paper'), random weights",
            **info,
            **paper_fills["paper 512x512 flips=1"],
        }
        del paper, paper_configs, by_name
    finally:
        torch.set_num_threads(default_threads)

    crop_sizes = [_crop_px(configs[0][1], m) for _, m in slices]

    def wall(key: str) -> dict[str, Any]:
        return fills[key]["wall_ms"]

    paired = {
        f"{DEFAULT_KEY} / flips=1": _paired(wall_s, DEFAULT_KEY, "flips=1"),
        "flips=4 / flips=1": _paired(wall_s, "flips=4", "flips=1"),
        f"1 thread / default threads ({DEFAULT_KEY})": _paired(
            wall_s, f"{DEFAULT_KEY}, 1 thread", DEFAULT_KEY
        ),
        "1 thread / default threads (flips=1)": _paired(wall_s, "flips=1, 1 thread", "flips=1"),
        "with grain / plain structure": _paired(
            wall_s, DEFAULT_KEY, f"{DEFAULT_KEY} plain structure (no grain)"
        ),
        f"paper / default ({DEFAULT_KEY})": _paired(
            paper_wall, "paper 512x512 flips=1", DEFAULT_KEY
        ),
        "paper / flips=1": _paired(paper_wall, "paper 512x512 flips=1", "flips=1"),
    }
    p50 = wall(DEFAULT_KEY)["median"]
    return {
        "source": source,
        "tumour_slices": len(slices),
        "slice_shape": list(slices[0][0].shape),
        "crop_px_of_default_model": summarize(crop_sizes, "px"),
        "fills": fills,
        "fill_volume_20_slices": volume,
        "paired_ratios": paired,
        "goal": {
            "p50_ms_max": GOAL_P50_MS,
            "default_flips": DEFAULT_FLIPS,
            "default_p50_ms": p50,
            "met": bool(p50 is not None and p50 <= GOAL_P50_MS),
        },
    }
