"""Feature matching (``--lambda-fm``, pix2pixHD): the discriminator's features, the loss, a real
training step, and that 0 leaves the paper's step bit-identical."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from training_helpers import tiny_train_config

from liversynth.checkpoint import read_config
from liversynth.networks.patchgan import PatchDiscriminator
from model_training.config import TrainConfig
from model_training.losses import feature_matching_loss
from model_training.train import train


def test_features_end_in_the_same_logits_as_forward() -> None:
    torch.manual_seed(0)
    d = PatchDiscriminator(3, ndf=8, n_layers=3).eval()
    x = torch.randn(2, 3, 64, 64)
    features, logits = d.forward_features(x)
    assert torch.equal(logits, d(x))
    assert len(features) == 4  # one per LeakyReLU: the first conv and the 3 normed layers
    assert [f.shape[1] for f in features] == [8, 16, 32, 64]
    with pytest.raises(ValueError, match="expected"):
        d.forward_features(torch.zeros(2, 2, 64, 64))


def test_feature_matching_is_zero_for_equal_features_and_grows_with_difference() -> None:
    a = [torch.randn(2, 4, 8, 8), torch.randn(2, 8, 4, 4)]
    assert float(feature_matching_loss(a, [t.clone() for t in a])) == 0.0
    near = feature_matching_loss(a, [t + 0.1 for t in a])
    far = feature_matching_loss(a, [t + 1.0 for t in a])
    assert float(near) == pytest.approx(0.1, abs=1e-6) and float(far) == pytest.approx(1.0)
    # Gradients reach the generated side only.
    fake = [t.clone().requires_grad_(True) for t in a]
    real = [(t + 1).requires_grad_(True) for t in a]
    feature_matching_loss(fake, real).backward()
    assert fake[0].grad is not None and real[0].grad is None
    with pytest.raises(ValueError, match="same"):
        feature_matching_loss(a, a[:1])


def test_lambda_fm_must_not_be_negative(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lambda_fm"):
        TrainConfig(data=None, out=str(tmp_path), phantom=1, lambda_fm=-1.0)


def _run(dataset: Path, out: Path, **kwargs: float) -> dict[str, torch.Tensor]:
    result = train(tiny_train_config(dataset, out, **kwargs))
    assert result.finished and result.global_step == 2
    # The tensors, not the file: its header records the run's own folder.
    return load_file(str(out / "model-last.safetensors"))


@pytest.mark.slow
def test_a_training_step_with_feature_matching(phantom_dataset: Path, tmp_path: Path) -> None:
    plain = _run(phantom_dataset, tmp_path / "plain")
    zero = _run(phantom_dataset, tmp_path / "zero", lambda_fm=0.0)
    matched = _run(phantom_dataset, tmp_path / "fm", lambda_fm=10.0)
    assert plain.keys() == zero.keys() == matched.keys()
    assert all(torch.equal(plain[k], zero[k]) for k in plain)  # 0: the paper's step, bit for bit
    assert not all(torch.equal(plain[k], matched[k]) for k in plain)  # the term reaches G
    info = read_config(tmp_path / "fm" / "model.safetensors").to_dict()["training"]
    assert info["lambda_fm"] == 10.0
