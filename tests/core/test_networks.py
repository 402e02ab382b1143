"""Generator / discriminator shapes, argument validation and the model config (tiny tensors)."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from liversynth.networks import (
    FORMAT_VERSION,
    ModelConfig,
    PatchDiscriminator,
    UNetGenerator,
    build_discriminator,
    build_generator,
    output_size_px,
    receptive_field_px,
)

torch.set_num_threads(1)

# (in_channels, out_channels, ngf, num_downs, max_mult, batch, size_px)
GENERATOR_CASES = [
    (1, 1, 4, 2, 8, 1, 4),
    (2, 1, 4, 5, 8, 2, 32),
    (1, 1, 2, 6, 2, 1, 64),
    (3, 2, 4, 4, 8, 1, 48),  # 48 = 3 * 16: any multiple of 2**num_downs
]


@pytest.mark.parametrize(
    ("in_ch", "out_ch", "ngf", "downs", "mult", "batch", "size"), GENERATOR_CASES
)
def test_generator_shape_and_range(in_ch, out_ch, ngf, downs, mult, batch, size):
    torch.manual_seed(0)
    g = UNetGenerator(in_ch, out_ch, ngf=ngf, num_downs=downs, max_mult=mult).eval()
    x = torch.randn(batch, in_ch, size, 2 * size)  # non-square on purpose
    with torch.inference_mode():
        y = g(x)
    assert y.shape == (batch, out_ch, *x.shape[-2:])
    assert float(y.abs().max()) <= 1.0  # tanh output


def test_generator_trains_with_batch_one_at_1x1_bottleneck():
    # BatchNorm in train mode fails on one value per channel; the innermost level has no norm.
    g = UNetGenerator(2, ngf=4, num_downs=5).train()
    y = g(torch.randn(1, 2, 32, 32))
    y.mean().backward()
    assert g.model.down[0].weight.grad is not None


@pytest.mark.parametrize(("downs", "expected"), [(2, 0), (4, 2), (5, 3), (8, 3), (9, 3)])
def test_dropout_in_the_inner_decoder_levels_only(downs, expected):
    g = UNetGenerator(1, ngf=2, num_downs=downs, dropout=0.5)
    drops = [m for m in g.modules() if isinstance(m, nn.Dropout)]
    assert len(drops) == expected
    assert all(d.p == 0.5 for d in drops)
    assert not any(
        isinstance(m, nn.Dropout)
        for m in UNetGenerator(1, ngf=2, num_downs=downs, dropout=0.0).modules()
    )


def test_dropout_sits_next_to_the_innermost_level_as_in_pix2pix():
    g = UNetGenerator(1, ngf=2, num_downs=8)
    block, depth, dropped = g.model, 0, []
    while not isinstance(block, nn.Identity):
        dropped.append(any(isinstance(m, nn.Dropout) for m in block.up))
        block, depth = block.inner, depth + 1
    # levels 0..7 outer→inner: pix2pix drops out in levels 4, 5, 6, not the innermost (7).
    assert dropped == [False, False, False, False, True, True, True, False]


def test_innermost_level_has_no_norm_and_outermost_down_has_none():
    g = UNetGenerator(1, ngf=2, num_downs=4)
    block = g.model
    assert not any(isinstance(m, nn.BatchNorm2d) for m in block.down)
    while not isinstance(block.inner, nn.Identity):
        block = block.inner
    assert not any(isinstance(m, nn.BatchNorm2d) for m in block.down)
    assert any(isinstance(m, nn.BatchNorm2d) for m in block.up)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"in_channels": 0},
        {"in_channels": True},
        {"in_channels": 1, "out_channels": 0},
        {"in_channels": 1, "ngf": -1},
        {"in_channels": 1, "num_downs": 1},
        {"in_channels": 1, "num_downs": 2.0},
        {"in_channels": 1, "dropout": 1.0},
        {"in_channels": 1, "dropout": -0.1},
        {"in_channels": 1, "dropout": "0.5"},
        {"in_channels": 1, "max_mult": 0},
        {"in_channels": 1, "norm": "group"},
    ],
)
def test_generator_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        UNetGenerator(**kwargs)


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((1, 2, 33, 32), "multiples of 2\\*\\*num_downs = 32"),
        ((1, 2, 16, 16), "multiples"),
        ((1, 1, 32, 32), "input channels"),
        ((2, 32, 32), "4-D"),
    ],
)
def test_generator_rejects_bad_inputs(shape, match):
    g = UNetGenerator(2, ngf=2, num_downs=5)
    with pytest.raises(ValueError, match=match):
        g(torch.zeros(shape))


def test_bottleneck_channels_follow_ngf_and_max_mult():
    assert UNetGenerator(1, ngf=64, num_downs=8, max_mult=8).bottleneck_channels == 512
    assert UNetGenerator(1, ngf=4, num_downs=9, max_mult=16).bottleneck_channels == 64


# ----------------------------------------------------------------------------- discriminator
@pytest.mark.parametrize(
    ("size", "n_layers", "expected"),
    [(512, 4, 30), (512, 3, 62), (256, 3, 30), (128, 3, 14), (64, 2, 14)],
)
def test_discriminator_output_size_matches_analytic(size, n_layers, expected):
    assert output_size_px(size, n_layers) == expected
    with torch.device("meta"):  # shape inference only: no memory, no compute
        d = PatchDiscriminator(2, ndf=64, n_layers=n_layers)
        y = d(torch.zeros(1, 2, size, size))
    assert tuple(y.shape) == (1, 1, expected, expected)


@pytest.mark.parametrize(("n_layers", "field"), [(1, 16), (2, 34), (3, 70), (4, 142)])
def test_receptive_field_analytic(n_layers, field):
    # pix2pix: 16, 34, 70 px (its default) for 1-3 layers; the paper's four layers give 142 px.
    assert receptive_field_px(n_layers) == field


@pytest.mark.parametrize("n_layers", [3, 4])
def test_receptive_field_measured_by_gradient(n_layers):
    field = receptive_field_px(n_layers)
    size = 2 ** (n_layers + 4)  # large enough that the centre patch does not touch the border
    d = PatchDiscriminator(1, ndf=1, n_layers=n_layers, norm="none")
    for m in d.modules():  # positive weights: no accidental cancellation in the gradient
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 0.05)
    x = torch.ones(1, 1, size, size, requires_grad=True)
    y = d(x)
    c = y.shape[-1] // 2
    y[0, 0, c, c].backward()
    support = (x.grad[0, 0] != 0).nonzero()
    extent = (support.max(0).values - support.min(0).values + 1).tolist()
    assert extent == [field, field]


def test_discriminator_rejects_bad_arguments_and_inputs():
    for kwargs in (
        {"in_channels": 0},
        {"in_channels": 2, "n_layers": 0},
        {"in_channels": 2, "ndf": 0},
        {"in_channels": 2, "norm": "x"},
    ):
        with pytest.raises(ValueError):
            PatchDiscriminator(**kwargs)
    d = PatchDiscriminator(3, ndf=2, n_layers=3)
    with pytest.raises(ValueError, match="too small"):
        d(torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="\\(N, 3, H, W\\)"):
        d(torch.zeros(1, 2, 64, 64))


# ----------------------------------------------------------------------------- config
def test_presets():
    crop, paper = ModelConfig.preset("crop"), ModelConfig.preset()
    assert paper == crop  # the default preset is "crop"
    paper = ModelConfig.preset("paper")
    assert (
        paper.crop_px,
        paper.in_channels,
        paper.d_in_channels,
        paper.num_downs,
        paper.n_layers,
    ) == (512, 1, 2, 9, 4)
    assert (
        crop.crop_px,
        crop.in_channels,
        crop.d_in_channels,
        crop.ngf,
        crop.num_downs,
        crop.n_layers,
    ) == (128, 2, 3, 32, 7, 3)
    assert (crop.window.low, crop.window.high) == (-200.0, 300.0)
    with pytest.raises(ValueError, match="unknown model preset"):
        ModelConfig.preset("huge")


def test_paper_preset_reaches_1x1x1024_and_30x30():
    cfg = ModelConfig.preset("paper")
    with torch.device("meta"):
        g, d = build_generator(cfg, init=False), build_discriminator(cfg)
        y = g(torch.zeros(1, 1, 512, 512))
        logits = d(torch.zeros(1, 2, 512, 512))
        bottleneck = g.model
        while not isinstance(bottleneck.inner, nn.Identity):
            bottleneck = bottleneck.inner
        z = bottleneck.down(torch.zeros(1, bottleneck.down[1].in_channels, 2, 2))
    assert tuple(y.shape) == (1, 1, 512, 512)
    assert tuple(z.shape) == (1, 1024, 1, 1)
    assert tuple(logits.shape) == (1, 1, 30, 30)


def test_crop_preset_builds_and_runs():
    torch.manual_seed(0)
    cfg = ModelConfig.preset("crop")
    g, d = build_generator(cfg).eval(), build_discriminator(cfg).eval()
    with torch.inference_mode():
        x = torch.randn(1, cfg.in_channels, cfg.crop_px, cfg.crop_px)
        y = g(x)
        logits = d(torch.cat([x, y], dim=1))
    assert y.shape == (1, 1, 128, 128)
    assert logits.shape == (1, 1, 14, 14)


def test_config_json_round_trip_and_is_plain_json():
    cfg = ModelConfig(crop_px=64, ngf=8, num_downs=6, training={"epochs": 3, "cases": ["a", "b"]})
    text = cfg.to_json()
    data = json.loads(text)
    assert data["format_version"] == FORMAT_VERSION == 1
    assert data["in_channels"] == 2
    assert ModelConfig.from_json(text) == cfg


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"format_version": 99}, "newer"),
        ({"format_version": 0}, "format_version"),
        ({"bogus": 1}, "unknown model config keys: bogus"),
        ({"architecture": "resnet"}, "unknown architecture"),
        ({"crop_px": 100}, "multiple of 2\\*\\*num_downs"),
        ({"ngf": True}, "ngf"),
        ({"ngf": 8.0}, "ngf"),
        ({"mask_channel": 1}, "mask_channel"),
        ({"dropout": 1.5}, "dropout"),
        ({"window_width_hu": 0}, "window_width_hu"),
        ({"norm": "layer"}, "norm"),
        ({"in_channels": 1}, "in_channels"),
        ({"training": [1]}, "training"),
    ],
)
def test_config_from_json_refuses(change, match):
    data = json.loads(ModelConfig().to_json())
    data.update(change)
    with pytest.raises(ValueError, match=match):
        ModelConfig.from_json(json.dumps(data))


def test_config_from_json_refuses_non_objects():
    for text in ("[]", "not json", '{"crop_px": 128}', '{"format_version": 1, "crop_px": 128}'):
        with pytest.raises(ValueError):
            ModelConfig.from_json(text)


def test_config_from_json_requires_every_field_but_training():
    data = json.loads(ModelConfig().to_json())
    del data["training"]
    assert ModelConfig.from_json(json.dumps(data)).training == {}
    del data["window_width_hu"]
    with pytest.raises(ValueError, match="lacks keys: window_width_hu"):
        ModelConfig.from_json(json.dumps(data))
