"""The gan engine's speed-ups change nothing that is used.

* the decoder runs only over the lesion's box + ``STRUCTURE_MARGIN_PX``: the renderer never
  reads the structure further out (with and without appearance requests, 2-D and 3-D), and a
  fill computed that way equals the fill from the whole structure;
* same seed → bit-identical fills, another seed → another fill, on the faster path.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from liversynth.fillers.base import Appearance
from liversynth.fillers.compositing import lesion_bbox
from liversynth.fillers.gan import Filler
from liversynth.fillers.lesion_render import render_lesion, structure_margin_px
from liversynth.networks import ModelConfig, build_generator


def _scene(z: int = 1, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = (100 + 15 * rng.standard_normal((z, size, size))).astype(np.float32)
    yy, xx = np.mgrid[:size, :size]
    mask = np.stack(
        [(yy - 30) ** 2 / 81 + (xx - 34) ** 2 / 49 <= 1 - 0.1 * abs(k - z // 2) for k in range(z)]
    )
    return image, mask


@pytest.mark.parametrize(("z", "band_px"), [(1, 2.0), (4, 2.0), (1, 9.0)])
@pytest.mark.parametrize(
    "appearance",
    [None, Appearance(heterogeneity=0.7), Appearance(contrast_hu=-60.0, heterogeneity=0.7)],
    ids=["auto", "mottled", "contrast"],
)
def test_the_renderer_never_reads_the_structure_beyond_the_margin(z, band_px, appearance):
    image, mask = _scene(z)
    rng = np.random.default_rng(3)
    structure = 60 + 5 * rng.standard_normal(mask.shape)
    y0, y1, x0, x1 = lesion_bbox(mask.any(axis=0))
    margin = structure_margin_px(appearance, band_px)
    far = np.ones(mask.shape[1:], bool)
    far[y0 - margin : y1 + margin, x0 - margin : x1 + margin] = False
    garbage = structure.copy()
    garbage[:, far] = 1e4 * rng.standard_normal((z, int(far.sum())))

    def render(s: np.ndarray) -> np.ndarray:
        gen = np.random.default_rng(7)
        return render_lesion(s, image, mask, None, appearance, gen, band_px, spacing_mm=(2, 1, 1))

    a, b = render(structure), render(garbage)
    # What the composite reads: the lesion and its band (< band_px + 1 px from it).
    dist = np.stack([ndimage.distance_transform_edt(~m) for m in mask])
    used = dist < band_px + 1
    assert np.array_equal(a[used], b[used])


def _filler(render_on: bool = True) -> Filler:
    cfg = ModelConfig(crop_px=64, ngf=8, num_downs=6, n_layers=2)
    torch.manual_seed(0)
    generator = build_generator(cfg).eval()
    with torch.no_grad():  # non-trivial running statistics, so folding them matters
        for m in generator.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0.0, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    return Filler(generator, cfg) if render_on else Filler(generator, cfg, render=None)


@pytest.mark.parametrize("render_on", [True, False])
def test_a_fill_from_the_needed_region_equals_one_from_the_whole_structure(render_on, monkeypatch):
    filler = _filler(render_on)
    image, mask = _scene(z=5, size=96, seed=1)
    fast_2d = filler.fill(image[2], mask[2], seed=4)
    fast_3d = filler.fill_volume(image, mask, seed=4)
    monkeypatch.setattr(Filler, "_needed", lambda self, masks, appearance: None)
    whole_2d = filler.fill(image[2], mask[2], seed=4)
    whole_3d = filler.fill_volume(image, mask, seed=4)
    # Float rounding of a differently blocked convolution, nothing more (1e-3 HU).
    np.testing.assert_allclose(fast_2d, whole_2d, atol=1e-3, rtol=0)
    np.testing.assert_allclose(fast_3d, whole_3d, atol=1e-3, rtol=0)
    assert not np.array_equal(fast_2d, image[2])


def test_same_seed_bit_identical_other_seed_differs_on_the_fast_path():
    filler = _filler()
    assert filler.structure.fast  # a CPU float32 U-Net runs through EvalUNet
    image, mask = _scene(z=3, size=96, seed=2)
    a = filler.fill(image[1], mask[1], seed=11)
    assert np.array_equal(a, filler.fill(image[1].copy(), mask[1].copy(), seed=11))
    assert not np.array_equal(a, filler.fill(image[1], mask[1], seed=12))
    v = filler.fill_volume(image, mask, seed=11)
    assert np.array_equal(v, filler.fill_volume(image, mask, seed=11))


def test_the_structure_cache_is_bit_identical_and_never_stale():
    image, mask = _scene(z=1, size=96, seed=3)
    hu, m = image[0], mask[0]
    cached, uncached = _filler(), _filler()
    uncached.structure.cache_entries = 0
    a = cached.fill(hu, m, seed=5)
    # Only the seed or the appearance changes (the GUI's live controls): the network is
    # skipped and the fill is bit-identical to one computed from scratch. (A first contrast
    # request widens the structure's region, so it is computed once.)
    cached.fill(hu, m, seed=5, appearance=Appearance(contrast_hu=-30.0))
    for seed, app in (
        (5, None),
        (6, None),
        (5, Appearance(heterogeneity=0.5)),
        (7, Appearance(contrast_hu=-30.0)),
        (5, Appearance(contrast_hu=20.0, heterogeneity=0.2)),
    ):
        misses = cached.structure.misses
        got = cached.fill(hu, m, seed=seed, appearance=app)
        assert cached.structure.misses == misses  # served from the cache
        assert np.array_equal(got, uncached.fill(hu, m, seed=seed, appearance=app))
    assert np.array_equal(a, cached.fill(hu, m, seed=5))
    # Different ring content (the liver around the lesion) → a different input: recomputed.
    ring = hu.copy()
    ring[20:26, 20:50] += 40.0
    misses = cached.structure.misses
    b = cached.fill(ring, m, seed=5)
    assert cached.structure.misses == misses + 1
    assert np.array_equal(b, uncached.fill(ring, m, seed=5))
    assert not np.array_equal(b[m], a[m])
    # Weights changed in place (a trainer's step): recomputed with the new weights.
    with torch.no_grad():
        for g in (cached._generator, uncached._generator):
            next(g.parameters()).mul_(1.5)
    c = cached.fill(hu, m, seed=5)
    assert np.array_equal(c, uncached.fill(hu, m, seed=5))
    assert not np.array_equal(c[m], a[m])
