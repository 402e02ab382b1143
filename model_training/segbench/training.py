"""The segmenter and its training loop: MONAI's 2-D U-Net, Dice + cross-entropy, fixed steps.

Batches are drawn in the main process from a seeded NumPy generator (no loader workers, so a
seed fixes every draw); under ``torchrun`` each rank draws its own stream (seed, rank) and the
network is wrapped in DistributedDataParallel (:mod:`model_training.distributed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from model_training import distributed
from model_training.segbench.cases import SlicePool
from model_training.segbench.config import Preset


def build_net(preset: Preset) -> torch.nn.Module:
    """MONAI's residual U-Net for 1-channel slices and 2 classes (background, tumour)."""
    from monai.networks.nets import UNet

    return UNet(
        spatial_dims=2,
        in_channels=1,
        out_channels=2,
        channels=preset.channels,
        strides=(2,) * (len(preset.channels) - 1),
        num_res_units=1,
    )


@dataclass
class Source:
    """A pool and its share of every batch."""

    pool: SlicePool
    weight: float
    tumour_fraction: float


class Sampler:
    """Draws augmented batches: crop shift, intensity scale/offset (the same for every arm)."""

    def __init__(self, sources: list[Source], preset: Preset, rng: np.random.Generator) -> None:
        self.sources = [s for s in sources if s.weight > 0 and len(s.pool)]
        if not self.sources:
            raise ValueError("an arm has no training data")
        w = np.array([s.weight for s in self.sources], float)
        self.p = w / w.sum()
        self.preset = preset
        self.rng = rng
        self.with_tumour = [np.nonzero(s.pool.tumour.any(axis=(1, 2)))[0] for s in self.sources]

    def _index(self, k: int) -> int:
        src, pos = self.sources[k], self.with_tumour[k]
        if len(pos) and self.rng.random() < src.tumour_fraction:
            return int(pos[self.rng.integers(len(pos))])
        return int(self.rng.integers(len(src.pool)))

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images (B, 1, S, S), labels (B, 1, S, S))``."""
        side, j = self.preset.crop_px, self.preset.jitter_px
        xs, ys = [], []
        for _ in range(self.preset.batch):
            k = int(self.rng.choice(len(self.sources), p=self.p))
            i = self._index(k)
            pool = self.sources[k].pool
            dy, dx = (int(v) for v in self.rng.integers(0, 2 * j + 1, size=2))
            img = pool.image[i, dy : dy + side, dx : dx + side]
            img = img * self.rng.uniform(0.9, 1.1) + self.rng.uniform(-0.05, 0.05)
            xs.append(img)
            ys.append(pool.tumour[i, dy : dy + side, dx : dx + side])
        x = torch.from_numpy(np.stack(xs)[:, None].astype(np.float32))
        y = torch.from_numpy(np.stack(ys)[:, None].astype(np.int64))
        return x, y


@contextmanager
def deterministic(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch and use deterministic kernels where torch has them (restored afterwards)."""
    before = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


def train(
    sources: list[Source],
    preset: Preset,
    seed: int,
    device: torch.device,
    ctx: distributed.DistContext | None = None,
) -> tuple[torch.nn.Module, list[tuple[int, float]]]:
    """Train a fresh network for ``preset.steps`` steps.

    Returns:
        The trained network (unwrapped, eval mode) and ``(step, mean loss)`` points.
    """
    from monai.losses import DiceCELoss

    ctx = ctx or distributed.DistContext()
    curve: list[tuple[int, float]] = []
    with deterministic(seed, device):
        net = build_net(preset).to(device)
        model = distributed.wrap(net, ctx, device)
        sampler = Sampler(sources, preset, np.random.default_rng([seed, ctx.rank]))
        # Dice over the whole batch and on the tumour channel only: most slices show no tumour,
        # and a per-slice Dice of an empty slice teaches the network to predict nothing.
        loss_fn = DiceCELoss(to_onehot_y=True, softmax=True, include_background=False, batch=True)
        opt = torch.optim.Adam(model.parameters(), lr=preset.lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=preset.steps)
        model.train()
        running: list[float] = []
        for step in range(1, preset.steps + 1):
            x, y = sampler.batch()
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x.to(device)), y.to(device))
            loss.backward()
            opt.step()
            sched.step()
            running.append(float(loss.detach()))
            if step % preset.eval_every == 0 or step == preset.steps:
                curve.append((step, float(np.mean(running))))
                running = []
    net = model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model
    net.eval()
    return net, curve


@torch.no_grad()
def predict(
    net: torch.nn.Module, pool: SlicePool, preset: Preset, device: torch.device
) -> np.ndarray:
    """Tumour mask (bool ``(n, crop, crop)``) of every slice of ``pool`` (its centre crop)."""
    j, side = preset.jitter_px, preset.crop_px
    out = []
    for start in range(0, len(pool), 32):
        x = torch.from_numpy(
            pool.image[
                start : start + 32,
                j : j + side,
                j : j + side,
            ]
        )
        logits = net(x[:, None].to(device))
        out.append((logits.argmax(dim=1) == 1).cpu().numpy())
    if not out:
        return np.zeros((0, side, side), bool)
    return np.concatenate(out)
