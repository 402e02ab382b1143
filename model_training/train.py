"""The pix2pix training loop: :func:`train` runs named steps (start-up, an epoch of GAN steps,
the end-of-epoch validation, checkpoints); the networks and the step itself are in
:mod:`model_training.gan_step`.

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

from liversynth.atomic import atomic_write, remove_stale_temps
from liversynth.checkpoint import save_model
from model_training import distributed as ddp
from model_training.augment import AugmentParams
from model_training.cli import progress as progress_bar
from model_training.config import TrainConfig
from model_training.curves import COLUMNS, CsvLog, LossLog, plot_losses
from model_training.dataset import CropDataset, add_phantoms, load_slice_sets, validation_batches
from model_training.gan_step import GanModels, StepLosses, build_models, gan_step, to_device
from model_training.state import (
    TrainingState,
    load_training_state,
    save_training_state,
    state_boundary,
)
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
    run = _Run.start(cfg, resume)
    with stop_on_signals() as signalled:
        while run.st.epoch < cfg.total_epochs and not run.stop_reason:
            run.train_epoch(signalled)
            if run.st.step_in_epoch >= run.steps_per_epoch:
                run.end_of_epoch(signalled)
            run.checkpoint()
            if run.main:
                assert run.csv is not None
                run.csv.flush()
                plot_losses(run.out / "losses.csv", run.out / "losses.png")
    run.finish()
    ddp.teardown(run.ctx)
    st = run.st
    return TrainResult(
        st.global_step, st.epoch, st.epoch >= cfg.total_epochs, st.best_val_mae_hu, run.out
    )


@dataclass
class _Run:
    """One training run's live objects; its methods are the named steps of :func:`train`."""

    cfg: TrainConfig
    ctx: ddp.DistContext
    device: torch.device
    out: Path
    st: TrainingState
    sets: Any
    mcfg: Any
    steps_tumour: int
    steps_healthy: int
    val: list[Any]
    models: GanModels
    loss_log: LossLog
    csv: CsvLog | None
    val_csv: CsvLog | None
    started: float
    elapsed_before: float
    first_step: int
    step_seconds: float = 0.0  # data + steps only (no start-up, validation or checkpoints)
    stop_reason: str = ""

    @property
    def main(self) -> bool:
        return self.ctx.is_main

    @property
    def pretraining(self) -> bool:
        """The epoch in progress trains on healthy-liver pairs."""
        return self.cfg.is_healthy_epoch(self.st.epoch)

    @property
    def steps_per_epoch(self) -> int:
        """Steps of the epoch in progress (healthy and tumour epochs differ)."""
        return self.steps_healthy if self.pretraining else self.steps_tumour

    # ---------------------------------------------------------------- start-up
    @classmethod
    def start(cls, cfg: TrainConfig, resume: bool) -> _Run:
        """Processes and device, data, networks, logs and ``run.json``."""
        started = time.monotonic()
        ctx = ddp.DistContext.from_env()
        device = ddp.device_for(ctx, cfg.device)
        ddp.setup(ctx, device)
        out = Path(cfg.out)
        state_path = out / STATE_FILE
        if state_path.exists() and not resume:
            raise FileExistsError(
                f"{state_path} exists: add --resume, or choose a new --out folder"
            )
        loaded = load_training_state(state_path) if resume and state_path.exists() else None
        st = loaded.state if loaded else TrainingState(config_json=cfg.to_json())
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True

        healthy_splits = ("train",) if cfg.pretrain_healthy_epochs else ()
        sets = load_slice_sets(Path(cfg.data) if cfg.data else None, healthy_splits=healthy_splits)
        sets = add_phantoms(sets, cfg.phantom, seed=cfg.seed, shape=(48, 256, 256))
        if not sets.train:
            raise ValueError("the dataset has no training slices")
        if cfg.pretrain_healthy_epochs and not sets.healthy_train:
            raise ValueError(
                "--pretrain-healthy-epochs needs healthy-liver training pairs: the dataset has "
                "none (prepare it again without --no-healthy, from cases with a liver label)"
            )
        mcfg = cfg.model_config()

        def steps(n_records: int) -> int:
            return cfg.iters_per_epoch or max(
                1, math.ceil(n_records / (cfg.batch_size * ctx.world))
            )

        val = validation_batches(sets.val, mcfg) if ctx.is_main else []

        # Restoring is still reading the file: what does not fit is the file's fault.
        with state_boundary(state_path):
            models = build_models(cfg, ctx, device, loaded)
        loss_log = LossLog(cfg.loss_ema)
        if loaded and st.loss_ema:
            loss_log.load_state(st.loss_ema)

        resume_step = st.global_step if loaded else None
        csv = val_csv = None
        if ctx.is_main:
            out.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(out)  # writes cut short by a kill (checkpoints, models, logs)
            csv = CsvLog(out / "losses.csv", COLUMNS, resume_step)
            val_csv = CsvLog(out / "val.csv", ("step", "epoch", "val_mae_hu", "best"), resume_step)
        run = cls(
            cfg=cfg,
            ctx=ctx,
            device=device,
            out=out,
            st=st,
            sets=sets,
            mcfg=mcfg,
            steps_tumour=steps(len(sets.train)),
            steps_healthy=steps(len(sets.healthy_train)),
            val=val,
            models=models,
            loss_log=loss_log,
            csv=csv,
            val_csv=val_csv,
            started=started,
            elapsed_before=st.elapsed_s,
            first_step=st.global_step,
        )
        if ctx.is_main:
            run._write_summary(resumed=loaded is not None)
        return run

    def _write_summary(self, *, resumed: bool) -> None:
        cfg, st, sets = self.cfg, self.st, self.sets
        summary = {
            "config": json.loads(cfg.to_json()),
            "data": sets.summary,
            "train_slices": len(sets.train),
            "val_slices": len(sets.val),
            "healthy_train_slices": len(sets.healthy_train),
            "steps_per_epoch": self.steps_tumour,
            "steps_per_healthy_epoch": self.steps_healthy if cfg.pretrain_healthy_epochs else 0,
            "world_size": self.ctx.world,
            "device": str(self.device),
            "amp": str(self.models.amp_dtype),
            "model": self.mcfg.to_dict(),
        }
        atomic_write(self.out / "run.json", (json.dumps(summary, indent=2) + "\n").encode("utf-8"))
        print(
            f"training on {self.device} ({self.ctx.world} process(es), "
            f"AMP {self.models.amp_dtype}): {len(sets.train)} train / {len(sets.val)} val "
            f"slices, {self.steps_tumour} steps/epoch, epoch {st.epoch + 1}/{cfg.total_epochs}"
            + (
                f" ({cfg.pretrain_healthy_epochs} on {len(sets.healthy_train)} healthy-liver "
                f"slices first, {self.steps_healthy} steps each)"
                if cfg.pretrain_healthy_epochs
                else ""
            )
            + (f" from step {st.global_step}" if resumed else ""),
            file=sys.stderr,
        )

    # ---------------------------------------------------------------- one epoch
    def train_epoch(self, signalled: Any) -> None:
        """GAN steps until the epoch's last step, a stop request or a periodic checkpoint."""
        cfg, st, ctx, device = self.cfg, self.st, self.ctx, self.device
        noise = cfg.noise_params()
        data = CropDataset(
            self.sets.healthy_train if self.pretraining else self.sets.train,
            self.mcfg,
            seed=cfg.seed,
            epoch=st.epoch,
            steps=self.steps_per_epoch,
            batch_size=cfg.batch_size,
            rank=ctx.rank,
            world=ctx.world,
            start_step=st.step_in_epoch,
            augment=AugmentParams() if cfg.augment else None,
            noise=noise if noise.enabled else None,
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
        bar = progress_bar(
            total=self.steps_per_epoch,
            initial=st.step_in_epoch,
            desc=f"epoch {st.epoch + 1}/{cfg.total_epochs}"
            + (" (healthy liver)" if self.pretraining else ""),
            quiet=not (self.main and cfg.progress),
        )
        tick = time.perf_counter()
        for x, y, m in loader:
            x, y, m = (to_device(t, device, cfg.channels_last) for t in (x, y, m))
            losses = gan_step(self.models, cfg, x, y, m)
            st.global_step += 1
            st.step_in_epoch += 1
            if self.main:
                self._log_step(losses, bar)
            bar.update(1)
            self.step_seconds += time.perf_counter() - tick
            if st.step_in_epoch >= self.steps_per_epoch:
                break
            self.stop_reason = check_stop(cfg, st, self.started, signalled)
            if ddp.any_rank(bool(self.stop_reason), ctx, device):
                self.stop_reason = self.stop_reason or "another rank stopped"
                break
            if st.global_step % cfg.checkpoint_every_steps == 0:
                self.checkpoint()
            tick = time.perf_counter()
        bar.close()

    def _log_step(self, losses: StepLosses, bar: Any) -> None:
        row = self.loss_log.update(losses.as_floats())
        assert self.csv is not None
        self.csv.write({"step": self.st.global_step, "epoch": self.st.epoch + 1, **row})
        bar.set_postfix(
            l1=f"{row['l1_ema']:.3f}",
            g=f"{row['g_adv_ema']:.3f}",
            d=f"{row['d_ema']:.3f}",
            refresh=False,
        )

    def end_of_epoch(self, signalled: Any) -> None:
        """Validate, keep the best generator, move to the next epoch, agree on stopping."""
        cfg, st, ctx = self.cfg, self.st, self.ctx
        improved = False
        if self.main:
            improved = self._validate(pretraining=self.pretraining)
        st.epoch += 1
        st.step_in_epoch = 0
        tumour_phase = not cfg.is_healthy_epoch(st.epoch - 1)
        if self.main and tumour_phase and (improved or not self.val or cfg.keep_model == "last"):
            self.save_generator(MODEL_FILE)
        self.stop_reason = self.stop_reason or check_stop(cfg, st, self.started, signalled)
        if ddp.any_rank(bool(self.stop_reason), ctx, self.device):  # all ranks stop together
            self.stop_reason = self.stop_reason or "another rank stopped"
        ddp.barrier(ctx)

    def _validate(self, *, pretraining: bool = False) -> bool:
        """Validation lesion MAE of this epoch, logged; ``True`` when it is the best so far
        (never during healthy-liver pretraining: the saved model is a tumour model)."""
        st, models = self.st, self.models
        mae = validate(models.g_net, models.ema, self.val, self.mcfg, self.device, models.autocast)
        improved = (
            not pretraining
            and mae is not None
            and (st.best_val_mae_hu is None or mae < st.best_val_mae_hu)
        )
        if improved:
            st.best_val_mae_hu, st.best_step = mae, st.global_step
        assert self.val_csv is not None
        if mae is not None:
            row = {"step": st.global_step, "epoch": st.epoch + 1, "val_mae_hu": mae}
            self.val_csv.write({**row, "best": int(improved)})
            print(
                f"epoch {st.epoch + 1}: validation lesion MAE {mae:.1f} HU"
                + (" (best)" if improved else "")
                + (" (healthy-liver pretraining)" if pretraining else ""),
                file=sys.stderr,
            )
        return improved

    # ---------------------------------------------------------------- files
    def checkpoint(self) -> None:
        """Write the full training state (rank 0)."""
        if not self.main:
            return
        assert self.csv is not None and self.val_csv is not None
        self.csv.flush()
        self.val_csv.flush()
        st, models = self.st, self.models
        st.loss_ema = self.loss_log.state()
        st.elapsed_s = self.elapsed_before + (time.monotonic() - self.started)
        save_training_state(
            self.out / STATE_FILE,
            modules=models.modules(),
            optimizers={"optG": models.opt_g, "optD": models.opt_d},
            scaler_state=models.scaler.state_dict() if models.scaler.is_enabled() else None,
            state=st,
        )

    def save_generator(self, name: str) -> None:
        """Write a loadable model file (EMA weights when kept) with the training summary."""
        sets = self.sets
        info = training_summary(
            self.cfg, self.st, sets.summary, len(sets.train), len(sets.val), self.ctx.world
        )
        save_model(self.out / name, self.models.generator_weights(), with_training(self.mcfg, info))

    def finish(self) -> None:
        """The last model files, closed logs and the one-line report (rank 0)."""
        if not self.main:
            return
        cfg, st, out = self.cfg, self.st, self.out
        self.save_generator(LAST_MODEL_FILE)
        if cfg.keep_model == "last" or not (out / MODEL_FILE).exists():
            self.save_generator(MODEL_FILE)
        assert self.csv is not None and self.val_csv is not None
        self.csv.close()
        self.val_csv.close()
        done = st.global_step - self.first_step
        print(
            (f"stopped ({self.stop_reason}):" if self.stop_reason else "finished:")
            + f" {st.epoch} of {cfg.total_epochs} epochs done, step {st.global_step};"
            + f" {done} steps, {done / max(self.step_seconds, 1e-9):.2f} it/s (data + steps);"
            + f" model: {out / MODEL_FILE}"
            + (f"; continue with --resume --out {out}" if self.stop_reason else ""),
            file=sys.stderr,
        )


def run(args: Any) -> int:
    """``model_training train`` from parsed arguments; returns the exit code."""
    from model_training.state import read_state_config
    from model_training.train_args import config_from_args

    state_path = Path(args.out) / STATE_FILE
    stored = read_state_config(state_path) if args.resume and state_path.exists() else None
    cfg = config_from_args(args, stored)
    result = train(cfg, resume=args.resume)
    return 0 if result.global_step > 0 else 1
