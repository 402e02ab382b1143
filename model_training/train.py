"""The pix2pix training loop, top to bottom: config, data, model, optimisers, loop, checkpoint.

Files in the run folder (rank 0 writes them all):

* ``state.safetensors``: the full training state (:mod:`model_training.state`), every
  ``checkpoint_every_steps`` steps, at each epoch end and when stopping; ``--resume`` continues
  from it exactly (same weights, optimiser moments, RNG states and data order);
* ``model.safetensors``: the generator (EMA weights when ``ema_weights`` > 0) with the lowest
  validation lesion MAE so far (the last weights when there is no validation split), loadable
  by ``liversynth.fillers.gan.Filler.from_checkpoint``; ``model-last.safetensors``: the latest;
* ``losses.csv`` / ``losses.png``: the four loss curves of Fig. 5, raw and EMA-smoothed;
  ``val.csv``: validation lesion MAE (HU) per epoch; ``run.json``: config and data summary.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from liversynth.atomic import atomic_write
from liversynth.checkpoint import save_model
from liversynth.networks import build_discriminator, build_generator
from model_training import distributed as ddp
from model_training.augment import AugmentParams
from model_training.config import TrainConfig
from model_training.curves import COLUMNS, CsvLog, LossLog, plot_losses
from model_training.dataset import CropDataset, add_phantoms, load_slice_sets, validation_batches
from model_training.losses import adversarial_loss, discriminator_loss, weighted_l1
from model_training.state import TrainingState, load_training_state, save_training_state
from model_training.stopping import check_stop, stop_on_signals
from model_training.validation import training_summary, validate, with_training

STATE_FILE = "state.safetensors"
MODEL_FILE = "model.safetensors"
LAST_MODEL_FILE = "model-last.safetensors"


@dataclass
class TrainResult:
    """How a training call ended."""

    global_step: int
    epoch: int
    finished: bool
    best_val_mae_hu: float | None
    run_dir: Path


def train(cfg: TrainConfig, *, resume: bool = False) -> TrainResult:
    """Train (or resume) a generator as configured; see the module docstring for the files.

    Raises:
        FileExistsError: the run folder already has a state and ``resume`` is false.
        ValueError: no training slices, CUDA requested but absent, bad config.
    """
    started = time.monotonic()
    # ------------------------------------------------------------------ processes and device
    ctx = ddp.DistContext.from_env()
    device = ddp.device_for(ctx, cfg.device)
    ddp.setup(ctx, device)
    out = Path(cfg.out)
    state_path = out / STATE_FILE
    if state_path.exists() and not resume:
        raise FileExistsError(f"{state_path} exists: add --resume, or choose a new --out folder")
    loaded = load_training_state(state_path) if resume and state_path.exists() else None
    st = loaded.state if loaded else TrainingState(config_json=cfg.to_json())
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    # ------------------------------------------------------------------ data
    sets = load_slice_sets(Path(cfg.data) if cfg.data else None)
    sets = add_phantoms(sets, cfg.phantom, seed=cfg.seed, shape=(48, 256, 256))
    if not sets.train:
        raise ValueError("the dataset has no training slices")
    mcfg = cfg.model_config()
    steps_per_epoch = cfg.iters_per_epoch or math.ceil(
        len(sets.train) / (cfg.batch_size * ctx.world)
    )
    val = validation_batches(sets.val, mcfg) if ctx.is_main else []

    # ------------------------------------------------------------------ model and optimisers
    torch.manual_seed(cfg.seed)
    g_net = build_generator(mcfg).to(device)
    d_net = build_discriminator(mcfg).to(device)
    if cfg.channels_last:
        g_net = g_net.to(memory_format=torch.channels_last)
        d_net = d_net.to(memory_format=torch.channels_last)
    opt_g = torch.optim.Adam(g_net.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(d_net.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    amp_dtype = _amp_dtype(cfg.amp, cfg.amp_dtype, device)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    ema = _ema_init(g_net) if cfg.ema_weights > 0 else None
    loss_log = LossLog(cfg.loss_ema)
    if loaded:
        g_net.load_state_dict(loaded.module("G"))
        d_net.load_state_dict(loaded.module("D"))
        _load_optimizers(loaded, {"optG": opt_g, "optD": opt_d})
        if loaded.scaler and scaler.is_enabled():
            scaler.load_state_dict(loaded.scaler)
        if ema is not None:
            ema = {k: v.to(device) for k, v in loaded.module("EMA").items()} or _ema_init(g_net)
        if st.loss_ema:
            loss_log.load_state(st.loss_ema)
        _restore_rng(loaded.tensors, ctx)
    else:
        torch.manual_seed(cfg.seed + ctx.rank)  # dropout noise differs between ranks
    g_model, d_model = ddp.wrap(g_net, ctx, device), ddp.wrap(d_net, ctx, device)

    # ------------------------------------------------------------------ logging
    main = ctx.is_main
    if main:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob(f".{STATE_FILE}.*.tmp"):  # a checkpoint write cut short by a kill
            stale.unlink(missing_ok=True)
    csv = CsvLog(out / "losses.csv", COLUMNS, st.global_step if loaded else None) if main else None
    val_csv = (
        CsvLog(
            out / "val.csv",
            ("step", "epoch", "val_mae_hu", "best"),
            st.global_step if loaded else None,
        )
        if main
        else None
    )
    if main:
        summary = {
            "config": json.loads(cfg.to_json()),
            "data": sets.summary,
            "train_slices": len(sets.train),
            "val_slices": len(sets.val),
            "steps_per_epoch": steps_per_epoch,
            "world_size": ctx.world,
            "device": str(device),
            "amp": str(amp_dtype),
            "model": mcfg.to_dict(),
        }
        atomic_write(out / "run.json", (json.dumps(summary, indent=2) + "\n").encode("utf-8"))
        print(
            f"training on {device} ({ctx.world} process(es), AMP {amp_dtype}): "
            f"{len(sets.train)} train / {len(sets.val)} val slices, {steps_per_epoch} steps/epoch, "
            f"epoch {st.epoch + 1}/{cfg.epochs}"
            + (f" from step {st.global_step}" if loaded else ""),
            file=sys.stderr,
        )

    elapsed_before = st.elapsed_s
    first_step = st.global_step
    step_seconds = 0.0  # data + steps only (no start-up, validation or checkpoints): throughput

    def checkpoint() -> None:
        if not main:
            return
        assert csv is not None and val_csv is not None
        csv.flush()
        val_csv.flush()
        st.loss_ema = loss_log.state()
        st.elapsed_s = elapsed_before + (time.monotonic() - started)
        modules = {"G": g_net.state_dict(), "D": d_net.state_dict()}
        if ema is not None:
            modules["EMA"] = ema
        save_training_state(
            state_path,
            modules=modules,
            optimizers={"optG": opt_g, "optD": opt_d},
            scaler_state=scaler.state_dict() if scaler.is_enabled() else None,
            state=st,
        )

    def save_generator(name: str) -> None:
        weights = ema if ema is not None else g_net.state_dict()
        info = training_summary(cfg, st, sets.summary, len(sets.train), len(sets.val), ctx.world)
        save_model(out / name, weights, with_training(mcfg, info))

    # ------------------------------------------------------------------ loop
    augment = AugmentParams() if cfg.augment else None
    stop_reason = ""
    autocast = torch.autocast(
        device.type, dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None
    )
    with stop_on_signals() as signalled:
        while st.epoch < cfg.epochs and not stop_reason:
            data = CropDataset(
                sets.train,
                mcfg,
                seed=cfg.seed,
                epoch=st.epoch,
                steps=steps_per_epoch,
                batch_size=cfg.batch_size,
                rank=ctx.rank,
                world=ctx.world,
                start_step=st.step_in_epoch,
                augment=augment,
            )
            loader = DataLoader(
                data,
                batch_size=cfg.batch_size,
                shuffle=False,
                num_workers=cfg.num_workers,
                pin_memory=device.type == "cuda",
                # Its own generator: creating the iterator must not consume the global RNG,
                # or a resumed run would draw different dropout masks.
                generator=torch.Generator().manual_seed(cfg.seed),
            )
            bar = tqdm(
                total=steps_per_epoch,
                initial=st.step_in_epoch,
                desc=f"epoch {st.epoch + 1}/{cfg.epochs}",
                disable=not (main and cfg.progress),
                file=sys.stderr,
                dynamic_ncols=True,
            )
            tick = time.perf_counter()
            for x, y, m in loader:
                x, y, m = (_to(t, device, cfg.channels_last) for t in (x, y, m))
                g_net.train()
                d_net.train()
                with autocast:
                    fake = g_model(x)

                # ---------------- 1. discriminator step: real pairs -> 1, generated pairs -> 0
                d_net.requires_grad_(True)
                opt_d.zero_grad(set_to_none=True)
                with autocast:
                    d_real = d_model(torch.cat([x, y], 1))
                    d_fake = d_model(torch.cat([x, fake.detach()], 1))
                loss_d = discriminator_loss(d_real, d_fake)
                scaler.scale(loss_d).backward()
                scaler.step(opt_d)

                # ---------------- 2. generator step: fool the (frozen) discriminator, stay close (L1)
                # The plain module, not the DDP wrapper: D's weights are frozen here, so no
                # gradient of D must be synchronised.
                d_net.requires_grad_(False)
                opt_g.zero_grad(set_to_none=True)
                with autocast:
                    g_logits = d_net(torch.cat([x, fake], 1))
                loss_adv = adversarial_loss(g_logits, True)
                loss_l1 = weighted_l1(fake, y, m, lesion_weight=cfg.lesion_l1_weight)
                loss_g = cfg.lambda_adv * loss_adv + cfg.lambda_l1 * loss_l1
                scaler.scale(loss_g).backward()
                scaler.step(opt_g)
                scaler.update()
                if ema is not None:
                    _ema_update(ema, g_net, cfg.ema_weights)

                # ---------------- bookkeeping
                st.global_step += 1
                st.step_in_epoch += 1
                if main:
                    raw = {
                        "l1": loss_l1.item(),
                        "g_adv": loss_adv.item(),
                        "d": loss_d.item(),
                        "total": loss_g.item(),
                    }
                    row = loss_log.update(raw)
                    assert csv is not None
                    csv.write({"step": st.global_step, "epoch": st.epoch + 1, **row})
                    bar.set_postfix(
                        l1=f"{row['l1_ema']:.3f}",
                        g=f"{row['g_adv_ema']:.3f}",
                        d=f"{row['d_ema']:.3f}",
                        refresh=False,
                    )
                bar.update(1)
                step_seconds += time.perf_counter() - tick
                if st.step_in_epoch >= steps_per_epoch:
                    break
                stop_reason = check_stop(cfg, st, started, signalled)
                if ddp.any_rank(bool(stop_reason), ctx, device):
                    stop_reason = stop_reason or "another rank stopped"
                    break
                if st.global_step % cfg.checkpoint_every_steps == 0:
                    checkpoint()
                tick = time.perf_counter()
            bar.close()

            if st.step_in_epoch >= steps_per_epoch:  # epoch done: validate, then move on
                improved = False
                if main:
                    mae = validate(g_net, ema, val, mcfg, device, autocast)
                    improved = mae is not None and (
                        st.best_val_mae_hu is None or mae < st.best_val_mae_hu
                    )
                    if improved:
                        st.best_val_mae_hu, st.best_step = mae, st.global_step
                    assert val_csv is not None
                    if mae is not None:
                        val_csv.write(
                            {
                                "step": st.global_step,
                                "epoch": st.epoch + 1,
                                "val_mae_hu": mae,
                                "best": int(improved),
                            }
                        )
                        print(
                            f"epoch {st.epoch + 1}: validation lesion MAE {mae:.1f} HU"
                            + (" (best)" if improved else ""),
                            file=sys.stderr,
                        )
                st.epoch += 1
                st.step_in_epoch = 0
                if main and (improved or not val or cfg.keep_model == "last"):
                    save_generator(MODEL_FILE)
                stop_reason = stop_reason or check_stop(cfg, st, started, signalled)
                if ddp.any_rank(bool(stop_reason), ctx, device):  # all ranks stop together
                    stop_reason = stop_reason or "another rank stopped"
                ddp.barrier(ctx)
            checkpoint()
            if main:
                assert csv is not None
                csv.flush()
                plot_losses(out / "losses.csv", out / "losses.png")
    if main:
        save_generator(LAST_MODEL_FILE)
        if cfg.keep_model == "last" or not (out / MODEL_FILE).exists():
            save_generator(MODEL_FILE)
        assert csv is not None and val_csv is not None
        csv.close()
        val_csv.close()
        done = st.global_step - first_step
        print(
            (f"stopped ({stop_reason}):" if stop_reason else "finished:")
            + f" {st.epoch} of {cfg.epochs} epochs done, step {st.global_step};"
            + f" {done} steps, {done / max(step_seconds, 1e-9):.2f} it/s (data + steps);"
            + f" model: {out / MODEL_FILE}"
            + (f"; continue with --resume --out {out}" if stop_reason else ""),
            file=sys.stderr,
        )
    ddp.teardown(ctx)
    return TrainResult(st.global_step, st.epoch, st.epoch >= cfg.epochs, st.best_val_mae_hu, out)


# ---------------------------------------------------------------------------------- helpers
def _amp_dtype(amp: bool | None, kind: str, device: torch.device) -> torch.dtype | None:
    """bf16 where supported (no loss scaling needed), else fp16; None = full precision."""
    if amp is None:
        amp = device.type == "cuda"
    if not amp:
        return None
    if kind == "fp16":
        return torch.float16
    if kind == "bf16" or device.type != "cuda":
        return torch.bfloat16
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _to(t: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    t = t.to(device, non_blocking=True)
    return t.contiguous(memory_format=torch.channels_last) if channels_last else t


def _ema_init(g_net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in g_net.state_dict().items()}


@torch.no_grad()
def _ema_update(ema: dict[str, torch.Tensor], g_net: torch.nn.Module, decay: float) -> None:
    for k, v in g_net.state_dict().items():
        if v.is_floating_point():
            ema[k].mul_(decay).add_(v.detach(), alpha=1.0 - decay)
        else:
            ema[k].copy_(v)


def _load_optimizers(loaded: Any, optimizers: dict[str, torch.optim.Optimizer]) -> None:
    from model_training.state import unflatten_optimizer

    for prefix, opt in optimizers.items():
        unflatten_optimizer(prefix, opt, loaded.tensors, loaded.optimizers[prefix])


def _restore_rng(tensors: dict[str, torch.Tensor], ctx: ddp.DistContext) -> None:
    from model_training.state import restore_rng

    restore_rng(tensors)
    if ctx.rank:  # only rank 0's generator state is saved: other ranks get a fresh stream
        torch.manual_seed(int(torch.randint(0, 2**31, (1,)).item()) + ctx.rank)


def run(args: Any) -> int:
    """``model_training train`` from parsed arguments; returns the exit code."""
    from model_training.config import config_from_args
    from model_training.state import read_state_config

    state_path = Path(args.out) / STATE_FILE
    stored = read_state_config(state_path) if args.resume and state_path.exists() else None
    cfg = config_from_args(args, stored)
    result = train(cfg, resume=args.resume)
    return 0 if result.global_step > 0 else 1
