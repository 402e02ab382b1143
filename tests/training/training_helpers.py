"""Constants shared by the trainer tests (a plain module: the tests folders are not packages)."""

from __future__ import annotations

#: A model small enough to train a few steps in about a second on a shared CPU.
TINY_MODEL = {"ngf": 8, "crop_px": 64, "num_downs": 6, "ndf": 8, "n_layers": 2}
TINY_MODEL_ARGS = ["--model-set", *(f"{k}={v}" for k, v in TINY_MODEL.items())]
#: Phantom cases written to disk for ``prepare`` (z, y, x voxels).
PHANTOM_SHAPE = (16, 96, 96)
