"""Structure-only L1 (``--l1-lowpass-px``): the blur it uses, and a real training step with it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from training_helpers import tiny_train_config

from liversynth.checkpoint import read_config
from model_training.config import TrainConfig
from model_training.losses import gaussian_lowpass, weighted_l1
from model_training.train import train


def test_lowpass_keeps_the_mean_and_removes_fine_detail() -> None:
    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    checker = ((yy + xx) % 2).float().view(1, 1, 64, 64) * 2 - 1  # ±1, 1-px detail
    ramp = (xx.float() / 63).view(1, 1, 64, 64)  # smooth structure
    both = ramp + 0.5 * checker
    out = gaussian_lowpass(both, 1.5)
    assert out.shape == both.shape
    assert abs(float(out.mean() - both.mean())) < 1e-3
    # The checkerboard is gone, the ramp is kept (away from the border).
    assert float((out - ramp)[..., 8:-8, 8:-8].abs().max()) < 0.01
    assert torch.equal(gaussian_lowpass(both, 0.0), both)
    # So an L1 between the structure and "structure + grain" is ~0 after the blur, not 0.5.
    mask = torch.ones_like(both)
    assert float(weighted_l1(ramp, both, mask)) == pytest.approx(0.5, abs=1e-6)
    lowpassed = weighted_l1(gaussian_lowpass(ramp, 1.5), gaussian_lowpass(both, 1.5), mask)
    assert float(lowpassed) < 0.02


def test_lowpass_must_not_be_negative(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="l1_lowpass_px"):
        TrainConfig(data=None, out=str(tmp_path), phantom=1, l1_lowpass_px=-1.0)


@pytest.mark.slow
def test_a_training_step_with_structure_only_l1(phantom_dataset: Path, tmp_path: Path) -> None:
    result = train(tiny_train_config(phantom_dataset, tmp_path / "run", l1_lowpass_px=1.5))
    assert result.finished and result.global_step == 2
    info = read_config(tmp_path / "run" / "model.safetensors").to_dict()["training"]
    assert info["l1_lowpass_px"] == 1.5
