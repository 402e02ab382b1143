"""EvalUNet: the generator's eval-mode forward, faster, equal up to rounding, never stale."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from liversynth.networks import UNetGenerator, init_weights
from liversynth.networks.eval_unet import EvalUNet, _transposed_by_patches, supported


def _generator(norm: str = "batch", seed: int = 0) -> UNetGenerator:
    torch.manual_seed(seed)
    g = init_weights(UNetGenerator(2, ngf=8, num_downs=5, norm=norm))
    with torch.no_grad():
        for m in g.modules():  # running statistics far from (0, 1), so folding is exercised
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0.0, 0.3)
                m.running_var.uniform_(0.3, 3.0)
    return g.eval()


def _x(n: int = 3, size: int = 64) -> torch.Tensor:
    torch.manual_seed(1)
    return torch.rand(n, 2, size, size) * 2 - 1


@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_equals_the_modules_eval_forward(norm):
    g, x = _generator(norm), _x()
    with torch.inference_mode():
        expected = g(x)
        fast = EvalUNet(g)
        got = fast(x)
        again = fast(x.contiguous(memory_format=torch.channels_last))
    assert got.shape == expected.shape and got.is_contiguous()
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    assert torch.equal(got, again)  # deterministic, whatever the input's memory format


def test_weights_changed_in_place_are_never_served_stale():
    g, x = _generator(), _x()
    fast = EvalUNet(g)
    before = fast(x)
    # An optimiser step, a load_state_dict and a running-statistics update all write in place.
    opt = torch.optim.SGD(g.parameters(), lr=0.5)
    g.train()
    g(x).mean().backward()
    opt.step()
    g.eval()
    after_step = fast(x)
    with torch.inference_mode():
        torch.testing.assert_close(after_step, g(x), atol=1e-5, rtol=0)
    assert not torch.allclose(after_step, before, atol=1e-3)
    g.load_state_dict(_generator(seed=5).state_dict())
    with torch.inference_mode():
        torch.testing.assert_close(fast(x), g(x), atol=1e-5, rtol=0)
    bn = next(m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d))
    with torch.no_grad():
        bn.running_mean.add_(1.0)
    with torch.inference_mode():
        torch.testing.assert_close(fast(x), g(x), atol=1e-5, rtol=0)


@pytest.mark.parametrize("out_ch", [1, 3])
def test_last_layer_by_patches_equals_conv_transpose(out_ch):
    torch.manual_seed(2)
    x = torch.randn(2, 8, 7, 9).contiguous(memory_format=torch.channels_last)
    w, b = torch.randn(8, out_ch, 4, 4), torch.randn(out_ch)
    expected = F.conv_transpose2d(x, w, b, stride=2, padding=1)
    got = _transposed_by_patches(x, w.reshape(8, -1), b)[:, :, 1:-1, 1:-1]
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_only_cpu_float32_unets_are_supported():
    assert supported(_generator())
    assert not supported(_generator().double())
    assert not supported(torch.nn.Conv2d(2, 1, 3))
    with pytest.raises(ValueError, match="UNetGenerator"):
        EvalUNet(torch.nn.Conv2d(2, 1, 3))  # type: ignore[arg-type]
