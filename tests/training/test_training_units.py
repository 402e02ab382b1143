"""Small parts of the trainer: augmentation, losses, loss curves, the checkpoint format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from model_training.augment import AugmentParams, center_crop, random_crop
from model_training.config import TrainConfig, parse_model_overrides
from model_training.curves import COLUMNS, CsvLog, LossLog, read_csv
from model_training.dataset import epoch_draws
from model_training.losses import discriminator_loss, lesion_mae_hu, weighted_l1
from model_training.state import (
    TrainingState,
    flatten_optimizer,
    load_training_state,
    restore_rng,
    rng_tensors,
    save_training_state,
    unflatten_optimizer,
)


def _slice() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    hu = rng.integers(-100, 200, size=(90, 110)).astype(np.int16)
    mask = np.zeros(hu.shape, bool)
    mask[30:42, 50:61] = True
    return hu, mask


def test_exact_crop_keeps_pixel_values_and_lesion() -> None:
    hu, mask = _slice()
    params = AugmentParams(p_affine=0.0, hu_shift_hu=0.0, hu_scale=0.0)
    for seed in range(10):
        crop, cmask = random_crop(hu, mask, 32, np.random.default_rng(seed), params)
        assert crop.shape == (32, 32) and cmask.any()
        assert set(np.unique(crop).astype(int)) <= set(np.unique(hu).tolist())  # no resampling


def test_intensity_jitter_is_consistent_over_the_crop() -> None:
    hu, mask = _slice()
    plain = AugmentParams(p_affine=0.0, hu_shift_hu=0.0, hu_scale=0.0)
    shifted = AugmentParams(p_affine=0.0, hu_shift_hu=30.0, hu_scale=0.1)
    a, am = random_crop(hu, mask, 32, np.random.default_rng(5), plain)
    b, bm = random_crop(hu, mask, 32, np.random.default_rng(5), shifted)
    assert (am == bm).all()
    # One affine map for the whole crop: b = s * a + t exactly.
    s, t = np.polyfit(a.ravel(), b.ravel(), 1)
    assert 0.9 <= s <= 1.1 and abs(b - (s * a + t)).max() < 1e-2


def test_affine_crop_and_small_or_large_slices() -> None:
    hu, mask = _slice()
    params = AugmentParams(p_affine=1.0)
    crop, cmask = random_crop(hu, mask, 64, np.random.default_rng(1), params)
    assert crop.dtype == np.float32 and cmask.any()
    big, bigm = center_crop(hu, mask, 128)  # larger than the slice: edge-padded
    assert big.shape == (128, 128) and bigm.sum() == mask.sum()


def test_data_order_depends_only_on_seed_and_epoch() -> None:
    assert (epoch_draws(7, 1, 3, 20) == epoch_draws(7, 1, 3, 20)).all()
    assert not (epoch_draws(7, 1, 3, 20) == epoch_draws(7, 1, 4, 20)).all()
    assert sorted(epoch_draws(7, 0, 0, 7).tolist()) == list(range(7))  # a permutation


def test_lesion_weighted_l1_and_mae() -> None:
    real = torch.zeros(1, 1, 4, 4)
    fake = torch.zeros(1, 1, 4, 4)
    fake[..., 0, 0] = 1.0  # error inside the lesion only
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., 0, 0] = 1.0
    plain = weighted_l1(fake, real, mask)
    assert float(plain) == pytest.approx(1 / 16)
    assert float(weighted_l1(fake, real, mask, lesion_weight=10)) == pytest.approx(10 / 25)
    assert float(lesion_mae_hu(fake, real, mask, 500.0)[0]) == pytest.approx(250.0)
    assert (
        float(discriminator_loss(torch.full((1, 1, 2, 2), 9.0), torch.full((1, 1, 2, 2), -9.0)))
        < 1e-3
    )


def test_loss_ema_is_debiased_and_resumable(tmp_path: Path) -> None:
    log = LossLog(0.99)
    first = log.update(dict.fromkeys(("l1", "g_adv", "d", "total"), 2.0))
    assert first["l1_ema"] == pytest.approx(2.0)  # no pull towards zero
    copy = LossLog(0.99)
    copy.load_state(log.state())
    x = dict.fromkeys(("l1", "g_adv", "d", "total"), 1.0)
    assert copy.update(x) == log.update(x)
    csv = CsvLog(tmp_path / "l.csv", COLUMNS, None)
    for step in (1, 2, 3):
        csv.write({"step": step, "epoch": 1, **first})
    csv.close()
    CsvLog(tmp_path / "l.csv", COLUMNS, resume_step=2).close()  # resume drops later rows
    assert read_csv(tmp_path / "l.csv")["step"].tolist() == [1, 2]


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.999))
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    tensors, meta = flatten_optimizer("optG", opt)
    other = torch.optim.Adam(torch.nn.Linear(3, 2).parameters(), lr=5.0)
    unflatten_optimizer("optG", other, tensors, meta)
    for a, b in zip(
        opt.state_dict()["state"].values(), other.state_dict()["state"].values(), strict=True
    ):
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert other.param_groups[0]["lr"] == 1e-3
    state = TrainingState(epoch=1, step_in_epoch=2, global_step=7, config_json="{}")
    path = tmp_path / "state.safetensors"
    save_training_state(
        path,
        modules={"G": net.state_dict()},
        optimizers={"optG": opt},
        scaler_state=None,
        state=state,
    )
    loaded = load_training_state(path)
    assert loaded.state == state and torch.equal(loaded.module("G")["weight"], net.weight)
    saved = rng_tensors()
    expected = torch.rand(3)
    restore_rng(saved)
    assert torch.equal(torch.rand(3), expected)


def test_truncated_checkpoint_is_refused(tmp_path: Path) -> None:
    from liversynth.errors import ModelFileError

    path = tmp_path / "state.safetensors"
    save_training_state(
        path,
        modules={"G": torch.nn.Linear(2, 2).state_dict()},
        optimizers={},
        scaler_state=None,
        state=TrainingState(),
    )
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ModelFileError, match="state.safetensors"):
        load_training_state(path)


def test_config_validation_and_resume_overrides() -> None:
    assert parse_model_overrides(["ngf=8", "norm=instance"]) == {"ngf": 8, "norm": "instance"}
    with pytest.raises(ValueError, match="--data"):
        TrainConfig(data=None, out="x")
    with pytest.raises(ValueError, match="unknown model setting"):
        TrainConfig(data="d", out="x", model_overrides={"nope": 1})
    cfg = TrainConfig(data="d", out="x")
    assert cfg.with_overrides({"epochs": 20}).epochs == 20
    with pytest.raises(ValueError, match="lr"):
        cfg.with_overrides({"lr": 1.0})
    assert TrainConfig.from_json(cfg.to_json()) == cfg


def test_validation_with_ema_weights_does_not_move_the_rng() -> None:
    import contextlib

    from liversynth.networks import ModelConfig, build_generator
    from model_training.validation import validate

    mcfg = ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2)
    torch.manual_seed(0)
    g = build_generator(mcfg)
    ema = {k: v.clone() for k, v in g.state_dict().items()}
    x = torch.zeros(1, mcfg.in_channels, 32, 32)
    y = torch.zeros(1, 1, 32, 32)
    m = torch.zeros(1, 1, 32, 32)
    m[..., 10:20, 10:20] = 1
    before = torch.random.get_rng_state()
    mae = validate(g, ema, [(x, y, m)], mcfg, torch.device("cpu"), contextlib.nullcontext())
    assert mae is not None and np.isfinite(mae)
    assert torch.equal(torch.random.get_rng_state(), before)
