"""The ``gan`` filler: crop placement, generator output inside the lesion, untouched elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage

from liversynth.checkpoint import save_model
from liversynth.errors import ModelFileError
from liversynth.fillers.base import SliceFiller
from liversynth.fillers.gan import Filler, default_model_path, resolve_device
from liversynth.fillers.registry import make_filler
from liversynth.networks import ModelConfig, build_generator
from liversynth.whitening import generator_input
from liversynth.windowing import unit_to_hu

torch.set_num_threads(1)


@pytest.fixture
def cfg() -> ModelConfig:
    return ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2)


@pytest.fixture
def filler(cfg: ModelConfig) -> Filler:
    torch.manual_seed(0)
    # The plain generator (no mirror ensemble, no grain: render=None), so tests can recompute
    # its output directly; the grain has its own tests (test_fillers_gan_texture.py).
    return Filler(build_generator(cfg).eval(), cfg, flips=1, render=None)


def _slice(shape=(96, 80), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(60.0, 25.0, shape).astype(np.float32)


def _disc(shape, centre, radius) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


def _distance_to(mask: np.ndarray) -> np.ndarray:
    return ndimage.distance_transform_edt(~mask)


def _generator_on_crop(
    filler: Filler, hu: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, object]:
    """What the generator alone produces for the crop the filler picks (independent path)."""
    box = filler.crop_for(mask)
    part, crop = box.parts(hu.shape)
    assert crop == (slice(0, box.size), slice(0, box.size))  # these tests keep the box inside
    x = generator_input(hu[part], mask[part], filler.config.window, mask_channel=True)
    with torch.inference_mode():
        y = filler._generator(torch.from_numpy(x)[None])[0, 0].numpy()
    return unit_to_hu(y, filler.config.window), part


@pytest.mark.parametrize(("centre", "radius"), [((48, 40), 4), ((20, 60), 6), ((50, 30), 1)])
def test_fill_changes_only_the_lesion_and_its_band(filler, centre, radius):
    hu = _slice()
    mask = _disc(hu.shape, centre, radius)
    out = filler.fill(hu, mask)
    assert out.dtype == np.float32 and out.shape == hu.shape
    far = _distance_to(mask) >= filler.band_px + 1
    # bit-identical, not just close
    assert np.array_equal(out[far].view(np.uint32), hu[far].view(np.uint32))
    expected, part = _generator_on_crop(filler, hu, mask)
    # The filler runs the generator through EvalUNet (channels-last, BatchNorm folded): the
    # same network, equal to the module's forward up to float rounding (~1e-6 of the range).
    np.testing.assert_allclose(out[part][mask[part]], expected[mask[part]], atol=1e-3)
    band = ~mask & ~far
    gen_full = hu.copy()
    gen_full[part] = expected
    assert np.all(
        (out[band] >= np.minimum(hu, gen_full)[band] - 1e-3)
        & (out[band] <= np.maximum(hu, gen_full)[band] + 1e-3)
    )
    assert np.any(out[band] != hu[band])  # the band really is blended


def test_lesion_at_the_border_and_image_smaller_than_the_crop(filler):
    for shape, centre in (((96, 80), (1, 78)), ((20, 24), (10, 12)), ((200, 16), (100, 8))):
        hu = _slice(shape)
        mask = _disc(shape, centre, 3)
        out = filler.fill(hu, mask)
        far = _distance_to(mask) >= filler.band_px + 1
        assert np.array_equal(out[far], hu[far])
        assert not np.array_equal(out[mask], hu[mask])


def test_large_lesion_gets_a_larger_crop(filler):
    hu = _slice((160, 160))
    mask = _disc(hu.shape, (80, 80), 30)  # 61 px wide: more than the 32 px crop
    box = filler.crop_for(mask)
    assert box.size % 32 == 0 and box.size >= 61 + 2 * (filler.band_px + 1)
    out = filler.fill(hu, mask)
    far = _distance_to(mask) >= filler.band_px + 1
    assert np.array_equal(out[far], hu[far])
    expected, part = _generator_on_crop(filler, hu, mask)
    # The filler runs the generator through EvalUNet (channels-last, BatchNorm folded): the
    # same network, equal to the module's forward up to float rounding (~1e-6 of the range).
    np.testing.assert_allclose(out[part][mask[part]], expected[mask[part]], atol=1e-3)


def test_empty_mask_returns_a_float32_copy(filler):
    hu = np.arange(64 * 64, dtype=np.int16).reshape(64, 64)
    out = filler.fill(hu, np.zeros(hu.shape, bool))
    assert out.dtype == np.float32 and np.array_equal(out, hu)
    out[0, 0] = -1  # a copy, not a view


def test_deterministic_and_seed_independent(filler):
    hu, mask = _slice(), _disc((96, 80), (48, 40), 5)
    a = filler.fill(hu, mask, seed=1)
    b = filler.fill(hu, mask, seed=2)
    assert np.array_equal(a, b)
    assert np.array_equal(hu, _slice())  # input untouched


def test_protocol_and_bad_inputs(filler):
    assert isinstance(filler, SliceFiller)
    assert filler.name == "gan" and filler.device == "cpu"
    with pytest.raises(ValueError, match="mask shape"):
        filler.fill(np.zeros((32, 32)), np.zeros((32, 31), bool))
    with pytest.raises(ValueError, match="2-D"):
        filler.fill(np.zeros((2, 32, 32)), np.zeros((2, 32, 32), bool))
    hu = _slice()
    hu[48, 41] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        filler.fill(hu, _disc(hu.shape, (48, 40), 3))


def test_from_checkpoint_matches_the_in_memory_filler(tmp_path, cfg, filler):
    path = save_model(tmp_path / "tiny.safetensors", filler._generator, cfg)
    loaded = Filler.from_checkpoint(path, device="auto", flips=1, render=None)
    assert loaded.device == resolve_device("auto").type
    assert loaded.config == cfg and loaded.model_path == path
    hu, mask = _slice(), _disc((96, 80), (40, 30), 5)
    # On CUDA (device "auto") convolutions differ from the CPU in the last bits (~1e-3 HU).
    assert np.allclose(loaded.fill(hu, mask), filler.fill(hu, mask), atol=0.05)
    via_registry = make_filler("gan", model_path=path, device="cpu")
    assert via_registry.flips == 2  # the registry gives the default (ensemble) filler
    assert np.array_equal(
        via_registry.fill(hu, mask), Filler(filler._generator, cfg).fill(hu, mask)
    )


def test_missing_model_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        make_filler("gan", model_path=tmp_path / "absent.safetensors")


def test_mask_channel_off_uses_one_input_channel():
    cfg = ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2, mask_channel=False)
    f = Filler(build_generator(cfg), cfg)
    hu, mask = _slice(), _disc((96, 80), (48, 40), 4)
    out = f.fill(hu, mask)
    far = _distance_to(mask) >= 3
    assert np.array_equal(out[far], hu[far])
    with pytest.raises(ValueError, match="channels"):
        Filler(build_generator(cfg), ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2))


def test_default_model_path_is_in_the_resources_package():
    path = default_model_path()
    assert path.name == "default.safetensors"
    assert path.parent == Path(__file__).resolve().parents[2] / "resources" / "models"
    assert (path.parent / "__init__.py").is_file()


class _Recorder(torch.nn.Module):
    """Stands in for the generator: records its input, returns mid-grey."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.clone())
        return torch.zeros(x.shape[0], 1, *x.shape[-2:])


def test_lesion_pixels_never_leak_into_the_padded_input(cfg):
    hu = np.full((20, 24), 40.0, np.float32)
    mask = np.zeros(hu.shape, bool)
    mask[0:5, 0:6] = True  # touches the corner of an image smaller than the 32 px crop
    hu[mask] = 290.0  # the real tumour: must not reach the generator, not even via padding
    recorder = _Recorder(cfg.in_channels)
    out = Filler(recorder, cfg, flips=1, render=None).fill(hu, mask)
    (x,) = recorder.seen
    assert x.shape == (1, 2, 32, 32)
    tumour_unit = (290.0 - 50.0) / 250.0
    assert not torch.isclose(x[0, 0], torch.tensor(tumour_unit)).any()
    assert torch.equal(x[0, 1] > 0, x[0, 0] == 1.0)  # whitened exactly where the mask channel is on
    assert np.allclose(out[mask], 50.0)  # generator 0 → window centre


def test_a_generator_in_training_is_left_in_train_mode(cfg):
    torch.manual_seed(0)
    g = build_generator(cfg).train()
    f = Filler(g, cfg)
    hu, mask = _slice(), _disc((96, 80), (48, 40), 4)
    a = f.fill(hu, mask)
    assert g.training and all(p.requires_grad for p in g.parameters())
    assert np.array_equal(a, f.fill(hu, mask))  # eval mode inside: no dropout noise


def test_flip_ensemble_is_the_mean_of_the_mirrored_generator_outputs(cfg, filler):
    ensemble = Filler(filler._generator, cfg, flips=4, render=None)
    hu, mask = _slice(), _disc((96, 80), (48, 40), 5)
    box = ensemble.crop_for(mask)
    part, _ = box.parts(hu.shape)
    x = torch.from_numpy(generator_input(hu[part], mask[part], cfg.window, mask_channel=True))
    outs = []
    with torch.inference_mode():
        for dims in ([], [-1], [-2], [-2, -1]):
            xi = torch.flip(x, dims) if dims else x
            yi = filler._generator(xi[None])[0, 0]
            outs.append(torch.flip(yi, dims) if dims else yi)
    expected = unit_to_hu(torch.stack(outs).mean(0).numpy(), cfg.window)
    got = ensemble.fill(hu, mask)
    np.testing.assert_allclose(got[part][mask[part]], expected[mask[part]], atol=1e-3)
    # and it differs from the single pass, so the ensemble really ran
    assert not np.allclose(filler.fill(hu, mask)[mask], got[mask], atol=1e-3)


@pytest.mark.parametrize("flips", [0, 3, 8])
def test_flip_count_is_validated(cfg, filler, flips):
    with pytest.raises(ValueError, match="flips"):
        Filler(filler._generator, cfg, flips=flips)


def test_bundled_default_model_loads_and_fills_only_the_lesion():
    from liversynth.metrics import compare
    from liversynth.phantom import make_phantom

    path = default_model_path()
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    case = make_phantom(seed=3)
    labels = case.labels
    z = int(np.argmax((labels == 2).sum(axis=(1, 2))))
    hu, mask = case.volume.slice_hu(z), labels[z] == 2
    gan = Filler.from_checkpoint(path, device="cpu")
    assert gan.config.mask_channel and gan.flips == 2
    out = gan.fill(hu, mask)
    assert np.array_equal(out[_distance_to(mask) >= 3], hu[_distance_to(mask) >= 3])
    assert np.array_equal(out, gan.fill(hu, mask))  # deterministic
    lesion = out[mask]
    # A tumour-like fill: within the network window and darker than the bright vessels/bone,
    # not a copy of the surrounding liver mean to the last HU. (Fidelity against real tumours
    # is tested on held-out 3D-IRCADb lesions in tests/training/test_default_model.py.)
    assert -200.0 <= lesion.min() and lesion.max() <= 300.0
    assert lesion.std() > 1.0
    assert 0.0 < compare(hu, out, mask)["mae_lesion_hu"] < 150.0  # changed, but plausibly


def test_distant_lesions_are_filled_from_their_own_crops(filler):
    hu = _slice(shape=(160, 160), seed=3)
    a, b = _disc(hu.shape, (20, 20), 3), _disc(hu.shape, (140, 140), 3)
    groups = filler.lesion_groups(a | b)
    assert len(groups) == 2 and all(filler.crop_for(g).size == 32 for g in groups)
    # far apart, the crops do not overlap: filling both at once equals filling one after the other
    one_by_one = filler.fill(filler.fill(hu, a), b)
    np.testing.assert_array_equal(filler.fill(hu, a | b), one_by_one)
    # and each lesion gets the plain generator's output on its own crop
    expected, part = _generator_on_crop(filler, hu, a)
    got = filler.fill(hu, a | b)
    np.testing.assert_allclose(got[part][a[part]], expected[a[part]], atol=1e-3)


def test_nearby_lesions_share_one_crop(filler):
    hu = _slice(shape=(96, 96))
    a, b = _disc(hu.shape, (40, 40), 2), _disc(hu.shape, (48, 50), 2)
    groups = filler.lesion_groups(a | b)
    assert len(groups) == 1 and np.array_equal(groups[0], a | b)
    assert filler.lesion_groups(np.zeros_like(a)) == []


def test_groups_partition_the_mask_and_never_cost_more_than_one_crop(filler):
    rng = np.random.default_rng(5)
    mask = rng.random((128, 128)) > 0.995  # scattered specks
    groups = filler.lesion_groups(mask)
    assert np.array_equal(np.logical_or.reduce(groups), mask)
    assert sum(g.sum() for g in groups) == mask.sum()
    cost = sum(filler.crop_for(g).size ** 2 for g in groups)
    assert cost <= filler.crop_for(mask).size ** 2
