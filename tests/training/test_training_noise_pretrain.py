"""Noise-level augmentation (measured σ, seeded, same field in input and target), healthy-liver
pretraining and fine-tuning from a model file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from training_helpers import TINY_MODEL, tiny_train_config

from liversynth.checkpoint import read_config
from liversynth.errors import ModelFileError
from liversynth.networks import ModelConfig
from model_training import distributed as ddp
from model_training.curves import read_csv
from model_training.dataset import CropDataset, load_slice_sets
from model_training.gan_step import build_models, init_weights
from model_training.noise_augment import NoiseParams, add_noise, correlated_noise
from model_training.train import train


@pytest.mark.parametrize("corr_px", [0.0, 0.7, 1.5])
def test_noise_has_the_requested_sigma_and_is_seeded(corr_px: float) -> None:
    field = correlated_noise((384, 384), 12.0, corr_px, np.random.default_rng(1))
    assert abs(float(field.std()) - 12.0) < 0.04 * 12.0  # measured, not assumed
    again = correlated_noise((384, 384), 12.0, corr_px, np.random.default_rng(1))
    assert np.array_equal(field, again)
    assert not np.array_equal(
        field, correlated_noise((384, 384), 12.0, corr_px, np.random.default_rng(2))
    )
    # Correlated: neighbouring pixels agree more the longer the correlation length.
    lag1 = float(np.corrcoef(field[:, :-1].ravel(), field[:, 1:].ravel())[0, 1])
    assert (lag1 < 0.05) if corr_px == 0 else (lag1 > 0.5)


def test_noise_off_draws_nothing_and_sigma_stays_in_range() -> None:
    crop = np.full((64, 64), 100.0, np.float32)
    rng = np.random.default_rng(0)
    assert add_noise(crop, rng, NoiseParams(sigma_hu=(0.0, 0.0))) is crop
    assert rng.random() == np.random.default_rng(0).random()  # no draw was made
    sigmas = [
        float(
            (
                add_noise(crop, np.random.default_rng(s), NoiseParams(sigma_hu=(5, 10), p=1.0))
                - 100
            ).std()
        )
        for s in range(20)
    ]
    assert 4.0 < min(sigmas) and max(sigmas) < 11.0 and np.ptp(sigmas) > 1.0
    with pytest.raises(ValueError, match="sigma_hu"):
        NoiseParams(sigma_hu=(5.0, 1.0))


def test_the_same_noise_reaches_input_and_target(healthy_dataset: Path) -> None:
    sets = load_slice_sets(healthy_dataset, healthy_splits=("train",))
    cfg = ModelConfig.from_dict({**ModelConfig.preset("crop").to_dict(), **TINY_MODEL})

    def items(noise: NoiseParams | None) -> list:
        data = CropDataset(
            sets.healthy_train, cfg, seed=3, epoch=0, steps=4, batch_size=1, noise=noise
        )
        return [data[i] for i in range(len(data))]

    ten = NoiseParams(sigma_hu=(10.0, 10.0), corr_px=(1.0, 1.0), p=1.0)
    plain, noisy = items(None), items(ten)
    assert all(torch.equal(a, b) for a, b in zip(noisy[0], items(ten)[0], strict=True))  # seeded
    for (_x0, y0, m0), (x1, y1, m1) in zip(plain, noisy, strict=True):
        assert torch.equal(m0, m1)  # same crop, same regions
        outside = m1[0] == 0
        assert torch.equal(x1[0][outside], y1[0][outside])  # input = target outside the region
        # The target changed inside the region too (the generator must paint the noise).
        diff_hu = (y1 - y0)[0] * cfg.window_width_hu / 2.0
        inside = ~outside & (y0[0].abs() < 0.9)  # away from the window's clipping
        assert 5.0 < float(diff_hu[inside].std()) < 15.0


@pytest.mark.slow
def test_healthy_pretraining_then_tumour_epoch(healthy_dataset: Path, tmp_path: Path) -> None:
    # fp16 autocast + GradScaler on the CPU here; bf16 is in the torchrun test.
    cfg = tiny_train_config(
        healthy_dataset,
        tmp_path / "run",
        pretrain_healthy_epochs=1,
        noise_sigma_hu=[0.0, 10.0],
        amp=True,
        amp_dtype="fp16",
    )
    result = train(cfg)
    assert result.finished and result.global_step == 4 and result.epoch == 2
    val = read_csv(tmp_path / "run" / "val.csv")
    assert val["best"].tolist() == [0, 1]  # the pretraining epoch is never the "best" model
    summary = json.loads((tmp_path / "run" / "run.json").read_text())
    assert summary["healthy_train_slices"] > 0 and summary["steps_per_healthy_epoch"] == 2
    assert summary["amp"] == "torch.float16"
    info = read_config(tmp_path / "run" / "model.safetensors").to_dict()["training"]
    assert info["pretrain_healthy_epochs"] == 1 and info["noise"]["sigma_hu"] == [0.0, 10.0]

    # Fine-tuning starts from the saved generator; another architecture is refused by name.
    tuned = tiny_train_config(
        healthy_dataset, tmp_path / "tuned", init_from=str(tmp_path / "run" / "model.safetensors")
    )
    models = build_models(tuned, ddp.DistContext(), torch.device("cpu"), None)
    saved = init_weights(tmp_path / "run" / "model.safetensors", tuned.model_config())
    assert all(torch.equal(v, models.g_net.state_dict()[k]) for k, v in saved.items())
    other = tiny_train_config(
        healthy_dataset, tmp_path / "x", model_overrides={**TINY_MODEL, "ngf": 4}
    )
    with pytest.raises(ModelFileError, match="model.safetensors.*ngf"):
        init_weights(tmp_path / "run" / "model.safetensors", other.model_config())


def test_pretraining_needs_healthy_pairs(phantom_dataset: Path, tmp_path: Path) -> None:
    cfg = tiny_train_config(
        phantom_dataset, tmp_path / "r", pretrain_healthy_epochs=1
    )  # no healthy pairs
    with pytest.raises(ValueError, match="healthy-liver"):
        train(cfg)
