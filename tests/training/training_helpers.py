"""Constants shared by the trainer tests (a plain module: the tests folders are not packages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model_training.config import TrainConfig

#: A model small enough to train a few steps in about a second on a shared CPU.
TINY_MODEL = {"ngf": 8, "crop_px": 64, "num_downs": 6, "ndf": 8, "n_layers": 2}
TINY_MODEL_ARGS = ["--model-set", *(f"{k}={v}" for k, v in TINY_MODEL.items())]
#: Phantom cases written to disk for ``prepare`` (z, y, x voxels).
PHANTOM_SHAPE = (16, 96, 96)


def tiny_train_config(data: Path, out: Path, **overrides: Any) -> TrainConfig:
    """Two CPU steps of :data:`TINY_MODEL` on ``data`` (a prepared dataset), plus ``overrides``."""
    base: dict[str, Any] = dict(
        data=str(data),
        out=str(out),
        model_overrides=dict(TINY_MODEL),
        epochs=1,
        iters_per_epoch=2,
        progress=False,
        device="cpu",
    )
    return TrainConfig(**{**base, **overrides})
