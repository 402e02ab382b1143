"""Training throughput on this CPU: the real pix2pix step of ``model_training.train``.

The step is not a separate function in ``model_training/train.py`` (it is the body of the loop
in :func:`model_training.train.train`), so each measurement is a real, short ``train()`` run
(``max_steps`` steps, batch 1, CPU, no AMP, data loading in the main process) and the figure is
the trainer's own throughput: steps divided by the seconds spent in data loading + steps (no
start-up, checkpoints or validation), which ``train()`` reports on stderr as ``it/s (data +
steps)``. Configurations: the default model's (``resources/models/default.json``: the crop
preset with its overrides and training hyper-parameters) and the ``paper`` preset (512×512
whole slices). The CUDA figure is quoted from ``docs/model/gpu_training_log.txt``, not
re-measured.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import time
from typing import Any

import torch

from benchmarks.context import ROOT, BenchContext
from benchmarks.stats import ratio, summarize
from liversynth.networks import ModelConfig
from model_training.config import TrainConfig
from model_training.train import train

GPU_LOG = ROOT / "docs" / "model" / "gpu_training_log.txt"
#: What the GPU log says (quoted, not measured here).
GPU_FIGURE = {
    "it_per_s": 45.6,
    "batch_size": 16,
    "precision": "bf16 AMP",
    "device": "NVIDIA H200",
    "data_loading": "6 DataLoader workers",
    "model": "default (crop) configuration",
    "source": "docs/model/gpu_training_log.txt",
    "status": "measured elsewhere, not re-measured",
}
_THROUGHPUT = re.compile(r"(\d+) steps, ([0-9.]+) it/s")


def _default_setup() -> tuple[dict[str, Any], dict[str, Any]]:
    """Model overrides (vs the crop preset) and training hyper-parameters of the default model."""
    path = ROOT / "resources" / "models" / "default.json"
    if not path.is_file():
        return {}, {}
    data = json.loads(path.read_text(encoding="utf-8"))
    cfg = ModelConfig.from_json(json.dumps(data)).to_dict()
    preset = ModelConfig.preset("crop").to_dict()
    skip = {"training", "in_channels", "d_in_channels", "format_version"}
    overrides = {k: v for k, v in cfg.items() if k not in skip and preset.get(k) != v}
    hyper = data.get("training", {}).get("hyper", {})
    keep = ("lesion_l1_weight", "augment", "lambda_l1", "lambda_adv", "lr", "beta1")
    train_kw = {k: hyper[k] for k in keep if k in hyper}
    if "ema" in str(data.get("training", {}).get("weights", "")):
        train_kw["ema_weights"] = float(str(data["training"]["weights"]).split()[-1])
    return overrides, train_kw


def _prepare(ctx: BenchContext) -> str | None:
    """A whole-slice training set from 3Dircadb1.1 in the scratch folder (None: phantom)."""
    folder = ctx.case_dir("3Dircadb1.1")
    if folder is None:
        return None
    from model_training.__main__ import main as cli

    out = ctx.scratch / "train_data"
    if not out.exists():
        with contextlib.redirect_stderr(io.StringIO()):
            code = cli(
                [
                    "prepare",
                    "--data",
                    str(folder),
                    "--out",
                    str(out),
                    "--full-slice",
                    "--no-progress",
                ]
            )
        if code != 0:
            return None
    return str(out)


def _one_run(
    ctx: BenchContext, name: str, k: int, steps: int, base: dict[str, Any]
) -> dict[str, Any]:
    out = ctx.scratch / f"train_{name}_{k}"
    cfg = TrainConfig(
        out=str(out),
        max_steps=steps,
        iters_per_epoch=steps + 1,  # no epoch end: no validation inside the timed run
        epochs=1,
        batch_size=1,
        device="cpu",
        amp=False,
        num_workers=0,
        checkpoint_every_steps=10_000,
        progress=False,
        seed=k,
        **base,
    )
    log = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stderr(log):
        result = train(cfg)
    wall = time.perf_counter() - t0
    shutil.rmtree(out, ignore_errors=True)
    seconds = getattr(result, "step_seconds", None)  # if the trainer ever returns it
    match = _THROUGHPUT.search(log.getvalue())
    if seconds:
        it_s = result.global_step / seconds
    elif match:
        it_s = float(match.group(2))
    else:
        raise RuntimeError(f"train() did not report its throughput:\n{log.getvalue()[-2000:]}")
    return {"it_per_s": it_s, "steps": result.global_step, "wall_s_incl_startup": wall}


def _measure(
    ctx: BenchContext, name: str, runs: int, steps: int, base: dict[str, Any]
) -> dict[str, Any]:
    per_run = [_one_run(ctx, name, k, steps, base) for k in range(runs)]
    return {
        "it_per_s": summarize([r["it_per_s"] for r in per_run], "it/s"),
        "steps_per_run": steps,
        "runs": runs,
        "wall_s_per_run_incl_startup_and_checkpoint": summarize(
            [r["wall_s_incl_startup"] for r in per_run], "s"
        ),
        "note": "median over runs of the trainer's own it/s (data + steps; 2-decimal rounding)",
    }


def run(ctx: BenchContext) -> dict[str, Any]:
    """Training-throughput section (see the module docstring)."""
    data = _prepare(ctx)
    overrides, hyper = _default_setup()
    source = "3Dircadb1.1 whole-slice prepared set (train split)" if data else "1 phantom case"
    common: dict[str, Any] = {"data": data, "phantom": 0 if data else 1}
    if ctx.quick:
        tiny = {"ngf": 4, "ndf": 4, "num_downs": 5, "crop_px": 32, "n_layers": 2, "max_mult": 2}
        default = {**common, "model": "crop", "model_overrides": tiny, **hyper}
        paper = {**common, "model": "paper", "model_overrides": {**tiny, "mask_channel": False}}
        runs_default, steps_default, runs_paper, steps_paper = 1, 2, 1, 2
    else:
        default = {**common, "model": "crop", "model_overrides": overrides, **hyper}
        paper = {**common, "model": "paper"}
        runs_default, steps_default, runs_paper, steps_paper = 3, 12, 2, 2
    crop = _measure(ctx, "default", runs_default, steps_default, default)
    crop["config"] = {"model": "crop", "model_overrides": overrides, **hyper}
    # The same with one torch thread: on a loaded 2-core machine the second thread often
    # waits for a core, and every parallel op then waits for it.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        crop_1 = _measure(ctx, "default1", runs_default, steps_default, default)
    finally:
        torch.set_num_threads(threads)
    big = _measure(ctx, "paper", runs_paper, steps_paper, paper)
    big["config"] = {"model": "paper"}
    return {
        "data": source,
        "device": "cpu",
        "batch_size": 1,
        "torch_threads": threads,
        "default (crop) cpu": crop,
        "default (crop) cpu, 1 thread": crop_1,
        "paper cpu": big,
        "ratios_of_medians": {
            "default / paper (it/s)": ratio(crop["it_per_s"], big["it_per_s"]),
            "default 1 thread / default (it/s)": ratio(crop_1["it_per_s"], crop["it_per_s"]),
        },
        "cuda measured elsewhere": GPU_FIGURE,
        "gpu_log_present": GPU_LOG.is_file(),
    }
