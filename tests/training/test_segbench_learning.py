"""The segbench pipeline can learn (bright discs on noise) and is deterministic for a seed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

pytest.importorskip("monai", reason="segbench needs MONAI (pip install -e '.[segbench]')")

from model_training.segbench.cases import SlicePool
from model_training.segbench.config import PRESETS
from model_training.segbench.metrics import dice_monai
from model_training.segbench.training import Source, predict, train

TOY = replace(
    PRESETS["smoke"], crop_px=32, jitter_px=2, channels=(8, 16, 32), steps=120, batch=8, lr=5e-3
)


def discs(n: int, seed: int) -> SlicePool:
    """Noise with one bright disc (radius 3-7 px) per slice; the disc is the tumour."""
    rng = np.random.default_rng(seed)
    side = TOY.crop_px + 2 * TOY.jitter_px
    yy, xx = np.mgrid[:side, :side]
    images, masks = [], []
    for _ in range(n):
        cy, cx = rng.integers(9, side - 9, size=2)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= rng.integers(3, 8) ** 2
        images.append(0.3 + 0.1 * rng.standard_normal((side, side)) + 0.4 * disc)
        masks.append(disc)
    shape = (n, side, side)
    return SlicePool(
        "discs",
        np.stack(images).astype(np.float32),
        np.stack(masks),
        np.ones(shape, bool),
        np.zeros(shape, bool),
        np.stack(masks).astype(np.int32),
        np.arange(n),
        (1.0, 1.0, 1.0),
    )


def test_segmenter_learns_discs_on_noise() -> None:
    train_pool, test_pool = discs(64, seed=0), discs(16, seed=1)
    net, curve = train([Source(train_pool, 1.0, 0.5)], TOY, 0, torch.device("cpu"))
    assert curve[-1][1] < curve[0][1]
    pred = predict(net, test_pool, TOY, torch.device("cpu"))
    j, s = TOY.jitter_px, TOY.crop_px
    dice = dice_monai(pred, test_pool.tumour[:, j : j + s, j : j + s])
    assert dice > 0.8, dice


def test_same_seed_same_weights() -> None:
    pool = discs(8, seed=2)
    short = replace(TOY, steps=3)
    runs = [train([Source(pool, 1.0, 0.5)], short, 7, torch.device("cpu"))[0] for _ in range(2)]
    other = train([Source(pool, 1.0, 0.5)], short, 8, torch.device("cpu"))[0]
    a, b, c = (r.state_dict() for r in (*runs, other))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
