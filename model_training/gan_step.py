"""The networks of a pix2pix run and one optimisation step of both (pix2pix, Isola et al. 2017).

:func:`build_models` makes the generator, the discriminator, their Adam optimisers, the loss
scaler and the optional EMA copy of the generator (restored from a saved state on resume);
:func:`gan_step` runs one discriminator step then one generator step on a batch. The order of
operations, and so every random draw (dropout), is the one ``train`` has always used: the same
seed gives bit-identical weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from liversynth.checkpoint import load_model
from liversynth.errors import ModelFileError
from liversynth.networks import ModelConfig, build_discriminator, build_generator
from liversynth.networks.patchgan import PatchDiscriminator
from model_training import distributed as ddp
from model_training.config import TrainConfig
from model_training.losses import (
    adversarial_loss,
    discriminator_loss,
    feature_matching_loss,
    gaussian_lowpass,
    weighted_l1,
)


@dataclass
class GanModels:
    """Everything that learns, and how it computes.

    Attributes:
        g_net, d_net: the plain modules (their ``state_dict`` is what is saved).
        g_model, d_model: the same, wrapped for DDP when several processes train.
        opt_g, opt_d: Adam optimisers.
        scaler: fp16 loss scaler (disabled otherwise).
        ema: exponential moving average of the generator's weights, or ``None``.
        autocast: the mixed-precision context (disabled in full precision).
        amp_dtype: ``torch.bfloat16`` / ``torch.float16`` or ``None`` (full precision).
    """

    g_net: torch.nn.Module
    d_net: PatchDiscriminator
    g_model: torch.nn.Module
    d_model: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    ema: dict[str, torch.Tensor] | None
    autocast: torch.autocast
    amp_dtype: torch.dtype | None

    def generator_weights(self) -> dict[str, torch.Tensor]:
        """The weights a model file gets: the EMA copy when there is one."""
        return self.ema if self.ema is not None else self.g_net.state_dict()

    def modules(self) -> dict[str, dict[str, torch.Tensor]]:
        """``{"G", "D"[, "EMA"]}`` state dicts for the training state file."""
        modules = {"G": self.g_net.state_dict(), "D": self.d_net.state_dict()}
        if self.ema is not None:
            modules["EMA"] = self.ema
        return modules


@dataclass(frozen=True)
class StepLosses:
    """The losses of one :func:`gan_step` (0-d tensors, still on the device)."""

    l1: torch.Tensor
    g_adv: torch.Tensor
    d: torch.Tensor
    total: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        """``{"l1", "g_adv", "d", "total"}`` as Python floats (synchronises with the device)."""
        return {
            "l1": self.l1.item(),
            "g_adv": self.g_adv.item(),
            "d": self.d.item(),
            "total": self.total.item(),
        }


def build_models(
    cfg: TrainConfig, ctx: ddp.DistContext, device: torch.device, loaded: Any | None
) -> GanModels:
    """Networks, optimisers, scaler and EMA, fresh (seeded) or restored from ``loaded``.

    Args:
        loaded: a :func:`~model_training.state.load_training_state` result, or ``None``.
    """
    mcfg = cfg.model_config()
    torch.manual_seed(cfg.seed)
    g_net = build_generator(mcfg).to(device)
    d_net = build_discriminator(mcfg).to(device)
    if cfg.channels_last:
        g_net = g_net.to(memory_format=torch.channels_last)
        d_net = d_net.to(memory_format=torch.channels_last)
    opt_g = torch.optim.Adam(g_net.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(d_net.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    amp_dtype = amp_dtype_for(cfg.amp, cfg.amp_dtype, device)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    if cfg.init_from and not loaded:  # fine-tuning; a resumed run has its own weights
        g_net.load_state_dict(init_weights(cfg.init_from, mcfg))
    ema = ema_init(g_net) if cfg.ema_weights > 0 else None
    if loaded:
        g_net.load_state_dict(loaded.module("G"))
        d_net.load_state_dict(loaded.module("D"))
        _load_optimizers(loaded, {"optG": opt_g, "optD": opt_d})
        if loaded.scaler and scaler.is_enabled():
            scaler.load_state_dict(loaded.scaler)
        if ema is not None:
            ema = {k: v.to(device) for k, v in loaded.module("EMA").items()} or ema_init(g_net)
        _restore_rng(loaded.tensors, ctx)
    else:
        torch.manual_seed(cfg.seed + ctx.rank)  # dropout noise differs between ranks
    autocast = torch.autocast(
        device.type, dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None
    )
    return GanModels(
        g_net=g_net,
        d_net=d_net,
        g_model=ddp.wrap(g_net, ctx, device),
        d_model=ddp.wrap(d_net, ctx, device),
        opt_g=opt_g,
        opt_d=opt_d,
        scaler=scaler,
        ema=ema,
        autocast=autocast,
        amp_dtype=amp_dtype,
    )


def gan_step(
    models: GanModels, cfg: TrainConfig, x: torch.Tensor, y: torch.Tensor, m: torch.Tensor
) -> StepLosses:
    """One discriminator step, then one generator step, then the EMA update.

    Args:
        x: whitened input batch; y: the real slices; m: lesion weight masks (all on the device).
    """
    g, d = models.g_net, models.d_net
    g.train()
    d.train()
    with models.autocast:
        fake = models.g_model(x)

    # 1. discriminator step: real pairs -> 1, generated pairs -> 0
    d.requires_grad_(True)
    models.opt_d.zero_grad(set_to_none=True)
    with models.autocast:
        d_real = models.d_model(torch.cat([x, y], 1))
        d_fake = models.d_model(torch.cat([x, fake.detach()], 1))
    loss_d = discriminator_loss(d_real, d_fake)
    models.scaler.scale(loss_d).backward()
    models.scaler.step(models.opt_d)

    # 2. generator step: fool the (frozen) discriminator, stay close to the real slice (L1).
    # The plain module, not the DDP wrapper: D's weights are frozen here, so no gradient of D
    # must be synchronised.
    d.requires_grad_(False)
    models.opt_g.zero_grad(set_to_none=True)
    # forward_features runs the same layers as forward (bit-identical logits); the activations
    # serve feature matching when it is on.
    with models.autocast:
        fake_features, g_logits = d.forward_features(torch.cat([x, fake], 1))
    loss_adv = adversarial_loss(g_logits, True)
    # With l1_lowpass_px > 0 the L1 sees structure only; finer texture is left to the
    # discriminator (see TrainConfig). At 0 both sides pass through unchanged (the paper's L1).
    sigma = cfg.l1_lowpass_px
    loss_l1 = weighted_l1(
        gaussian_lowpass(fake, sigma),
        gaussian_lowpass(y, sigma),
        m,
        lesion_weight=cfg.lesion_l1_weight,
    )
    loss_g = cfg.lambda_adv * loss_adv + cfg.lambda_l1 * loss_l1
    if cfg.lambda_fm > 0:
        with models.autocast, torch.no_grad():
            real_features, _ = d.forward_features(torch.cat([x, y], 1))
        loss_g = loss_g + cfg.lambda_fm * feature_matching_loss(fake_features, real_features)
    models.scaler.scale(loss_g).backward()
    models.scaler.step(models.opt_g)
    models.scaler.update()
    if models.ema is not None:
        ema_update(models.ema, g, cfg.ema_weights)
    return StepLosses(l1=loss_l1, g_adv=loss_adv, d=loss_d, total=loss_g)


def init_weights(path: str | Path, mcfg: ModelConfig) -> dict[str, torch.Tensor]:
    """The generator weights of a model file, checked against this run's architecture.

    Raises:
        ModelFileError: unreadable or not a model file, or another architecture (naming the
            file and the differing settings).
    """
    path = Path(path)
    generator, file_cfg = load_model(path, "cpu")
    mine, theirs = mcfg.to_dict(), file_cfg.to_dict()
    differ = sorted(
        k for k in set(mine) | set(theirs) if k != "training" and mine.get(k) != theirs.get(k)
    )
    if differ:
        detail = ", ".join(f"{k}: file {theirs.get(k)!r} vs run {mine.get(k)!r}" for k in differ)
        raise ModelFileError(
            path,
            f"its architecture differs from this run's ({detail}); pass the model's JSON "
            "with --config (or matching --model-set) to fine-tune it",
        )
    return generator.state_dict()


def amp_dtype_for(amp: bool | None, kind: str, device: torch.device) -> torch.dtype | None:
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


def to_device(t: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    """Move a batch to ``device`` (channels-last when the networks are)."""
    t = t.to(device, non_blocking=True)
    return t.contiguous(memory_format=torch.channels_last) if channels_last else t


def ema_init(g_net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the generator's weights."""
    return {k: v.detach().clone() for k, v in g_net.state_dict().items()}


@torch.no_grad()
def ema_update(ema: dict[str, torch.Tensor], g_net: torch.nn.Module, decay: float) -> None:
    """``ema ← decay·ema + (1 − decay)·weights`` (integer buffers are copied)."""
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
