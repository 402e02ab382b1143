"""The training loop: one epoch runs and writes its files; resuming is bit-exact."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from training_helpers import TINY_MODEL

from liversynth.fillers.gan import Filler
from model_training.__main__ import main
from model_training.config import TrainConfig
from model_training.curves import read_csv
from model_training.train import train


def _cfg(data: Path | None, out: Path, **kw) -> TrainConfig:
    base = dict(
        data=str(data) if data else None,
        out=str(out),
        model_overrides=dict(TINY_MODEL),
        epochs=1,
        iters_per_epoch=4,
        progress=False,
        checkpoint_every_steps=2,
    )
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.slow
def test_one_epoch_on_the_phantom_writes_a_usable_model(
    phantom_dataset: Path, tmp_path: Path
) -> None:
    result = train(_cfg(phantom_dataset, tmp_path / "run"))
    run = tmp_path / "run"
    assert result.finished and result.global_step == 4
    for name in (
        "state.safetensors",
        "model.safetensors",
        "model-last.safetensors",
        "losses.csv",
        "losses.png",
        "val.csv",
        "run.json",
    ):
        assert (run / name).is_file(), name
    curves = read_csv(run / "losses.csv")
    assert curves["step"].tolist() == [1, 2, 3, 4]
    for name in ("l1", "g_adv", "d", "total", "total_ema"):
        assert np.isfinite(curves[name]).all()
    np.testing.assert_allclose(curves["total"], curves["g_adv"] + 100 * curves["l1"], rtol=1e-4)
    assert math.isfinite(result.best_val_mae_hu)
    filler = Filler.from_checkpoint(run / "model.safetensors", device="cpu")
    hu = np.full((96, 96), 100.0, np.float32)
    mask = np.zeros((96, 96), bool)
    mask[40:50, 40:52] = True
    out = filler.fill(hu, mask)
    assert out.shape == hu.shape and np.isfinite(out).all()
    assert (out[:20] == hu[:20]).all()


def test_existing_run_needs_resume(phantom_dataset: Path, tmp_path: Path) -> None:
    cfg = _cfg(phantom_dataset, tmp_path / "run", iters_per_epoch=1)
    train(cfg)
    with pytest.raises(FileExistsError, match="--resume"):
        train(cfg)


@pytest.mark.slow
def test_resume_mid_epoch_is_bit_exact(tmp_path: Path) -> None:
    # Phantom-only data (exercises --phantom), EMA weights on, 2 epochs x 3 steps.
    common = dict(phantom=1, epochs=2, iters_per_epoch=3, ema_weights=0.9)
    train(_cfg(None, tmp_path / "a", **common))
    train(_cfg(None, tmp_path / "b", max_steps=4, **common))  # stops inside epoch 2
    b_state = load_file(tmp_path / "b" / "state.safetensors")
    a_state = load_file(tmp_path / "a" / "state.safetensors")
    assert not torch.equal(a_state["G.model.down.0.weight"], b_state["G.model.down.0.weight"])
    assert main(["train", "--out", str(tmp_path / "b"), "--resume"]) == 0  # stored config
    b_state = load_file(tmp_path / "b" / "state.safetensors")
    for key in a_state:
        if key.startswith(("G.", "D.", "EMA.", "optG.", "optD.")):
            assert torch.equal(a_state[key], b_state[key]), key
    assert (tmp_path / "a" / "losses.csv").read_text() == (
        tmp_path / "b" / "losses.csv"
    ).read_text()
