"""Validation during training and the training summary stored with the model.

Validation: mean absolute error inside the lesion, in HU, of the generator (or its EMA weights)
in eval mode, on centred crops of the validation slices. Eval mode is what
``liversynth.fillers.gan.Filler`` uses, so the number tracks what a user will get. HU are those
of the network window (the target is clipped to it), so this is a tracking number; the
evaluation command gives the full metrics on whole slices.
"""

from __future__ import annotations

import json
from typing import Any

import torch

from liversynth.networks import ModelConfig, build_generator
from model_training.config import TrainConfig
from model_training.losses import lesion_mae_hu
from model_training.state import TrainingState


@torch.no_grad()
def validate(
    g_net: torch.nn.Module,
    ema: dict[str, torch.Tensor] | None,
    batches: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
    mcfg: ModelConfig,
    device: torch.device,
    autocast: Any,
) -> float | None:
    """Mean lesion MAE (HU) over the validation crops, generator (or EMA) in eval mode."""
    if not batches:
        return None
    # Validation must not move the RNG, so that resumed runs stay identical: building the EMA
    # copy draws initial weights too, so it happens inside the fork.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        model = g_net
        if ema is not None:
            model = build_generator(mcfg).to(device)
            model.load_state_dict(ema)
        model.eval()
        maes = []
        for x, y, m in batches:
            with autocast:
                fake = model(x.to(device))
            maes.append(lesion_mae_hu(fake, y.to(device), m.to(device), mcfg.window_width_hu))
    g_net.train()
    return float(torch.cat(maes).nanmean().item())


def training_summary(
    cfg: TrainConfig, st: TrainingState, data: dict[str, Any], n_train: int, n_val: int, world: int
) -> dict[str, Any]:
    """The ``training`` entry of the saved model's config: data, schedule, time, best score."""
    return {
        "data": data,
        "train_slices": n_train,
        "val_slices": n_val,
        "epochs_done": st.epoch,
        "steps": st.global_step,
        "time_s": round(st.elapsed_s, 1),
        "best_val_lesion_mae_hu": st.best_val_mae_hu,
        "best_step": st.best_step,
        "weights": f"ema {cfg.ema_weights}" if cfg.ema_weights > 0 else "raw",
        "processes": world,
        "hyper": {
            k: getattr(cfg, k)
            for k in (
                "lr",
                "beta1",
                "batch_size",
                "lambda_l1",
                "lambda_adv",
                "lesion_l1_weight",
                "seed",
                "augment",
                "epochs",
            )
        },
        **_healthy_and_noise(cfg),
    }


def _healthy_and_noise(cfg: TrainConfig) -> dict[str, Any]:
    """Pretraining, noise augmentation and initial weights, when used (older summaries keep
    their keys)."""
    out: dict[str, Any] = {}
    if cfg.pretrain_healthy_epochs:
        out["pretrain_healthy_epochs"] = cfg.pretrain_healthy_epochs
    if cfg.noise_params().enabled:
        out["noise"] = {
            "sigma_hu": cfg.noise_sigma_hu,
            "corr_px": cfg.noise_corr_px,
            "p": cfg.noise_p,
        }
    if cfg.init_from:
        out["init_from"] = cfg.init_from
    if cfg.l1_lowpass_px:
        out["l1_lowpass_px"] = cfg.l1_lowpass_px
    if cfg.lambda_fm:
        out["lambda_fm"] = cfg.lambda_fm
    return out


def with_training(mcfg: ModelConfig, info: dict[str, Any]) -> ModelConfig:
    """A copy of ``mcfg`` whose ``training`` summary is ``info`` (made plain JSON)."""
    data = mcfg.to_dict()
    for key in ("in_channels", "d_in_channels"):
        data.pop(key)
    data["training"] = json.loads(json.dumps(info, default=str))
    return ModelConfig.from_dict(data)
