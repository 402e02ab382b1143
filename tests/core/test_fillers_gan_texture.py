"""The ``gan`` engine renders the scan's grain: seeded, matched to the liver, coherent in 3-D."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from liversynth.fillers.appearance import apply_appearance, liver_level_hu
from liversynth.fillers.base import Appearance, fill_volume_slicewise
from liversynth.fillers.gan import Filler, default_model_path
from liversynth.fillers.texture import estimate_noise, noise_region, residual, synthesize_noise
from liversynth.realism import adjacent_slice_correlation


def _scan(noise_hu: float, seed: int = 0, z: int = 7, n: int = 160) -> tuple[np.ndarray, ...]:
    """A liver volume with CT-like grain (z-correlated) and a hypodense sphere-ish lesion."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((z, n, n))
    for k in range(1, z):
        white[k] = 0.6 * white[k - 1] + 0.8 * white[k]
    grain = ndimage.gaussian_filter(white, (0, 1.0, 1.0))
    grain *= noise_hu / grain.std()
    zz, yy, xx = np.mgrid[:z, :n, :n]
    r = np.sqrt(((zz - z // 2) * 3.0) ** 2 + (yy - n // 2) ** 2 + (xx - n // 2) ** 2)
    lesion = r <= 16
    liver = np.ones((z, n, n), bool)
    hu = (110.0 + grain - 40.0 * lesion).astype(np.float32)
    return hu, lesion, liver


@pytest.fixture(scope="module")
def gan() -> Filler:
    path = default_model_path()
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return Filler.from_checkpoint(path, device="cpu")


def test_same_seed_same_fill_other_seed_other_fill(gan: Filler) -> None:
    hu, lesion, liver = _scan(20.0)
    z = 3
    a = gan.fill(hu[z], lesion[z], liver_mask=liver[z], seed=5)
    b = gan.fill(hu[z], lesion[z], liver_mask=liver[z], seed=5)
    c = gan.fill(hu[z], lesion[z], liver_mask=liver[z], seed=6)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c)[lesion[z]].mean() > 3.0
    va = gan.fill_volume(hu, lesion, liver_zyx=liver, seed=1, spacing_mm=(3.0, 1.0, 1.0))
    vb = gan.fill_volume(hu, lesion, liver_zyx=liver, seed=1, spacing_mm=(3.0, 1.0, 1.0))
    vc = gan.fill_volume(hu, lesion, liver_zyx=liver, seed=2, spacing_mm=(3.0, 1.0, 1.0))
    np.testing.assert_array_equal(va, vb)
    assert not np.array_equal(va, vc)


@pytest.mark.parametrize("noise_hu", [8.0, 30.0])
def test_the_fill_carries_the_noise_of_the_scan_it_is_given(gan: Filler, noise_hu: float) -> None:
    hu, lesion, liver = _scan(noise_hu, seed=2)
    z = 3
    given = hu[z].copy()
    given[lesion[z]] = 110.0  # whitened-then-blanked lesion, as evaluate does
    out = gan.fill(given, lesion[z], liver_mask=liver[z], seed=0)
    core = ndimage.binary_erosion(lesion[z], iterations=3)
    ratio = residual(out)[core].std() / residual(hu[z])[core].std()
    assert 0.75 < ratio < 1.3, ratio
    plain = Filler.from_checkpoint(default_model_path(), device="cpu", render=None)
    smooth = residual(plain.fill(given, lesion[z], liver_mask=liver[z]))[core].std()
    assert smooth < residual(out)[core].std()


def test_fill_volume_is_bit_identical_outside_the_band_and_coherent_inside(gan: Filler) -> None:
    hu, lesion, liver = _scan(20.0, seed=3, z=9)
    lesion[0] = False  # a slice without lesion stays untouched
    out = gan.fill_volume(hu, lesion, liver_zyx=liver, seed=0, spacing_mm=(3.0, 1.0, 1.0))
    far = np.stack(
        [ndimage.distance_transform_edt(~m) >= gan.band_px + 1 if m.any() else ~m for m in lesion]
    )
    np.testing.assert_array_equal(out[far], hu[far])
    np.testing.assert_array_equal(out[0], hu[0])
    # Coherence: the grain is correlated along z like the scan's, unlike independent slices.
    real = adjacent_slice_correlation(hu, lesion)
    coherent = adjacent_slice_correlation(out, lesion)
    independent = adjacent_slice_correlation(
        fill_volume_slicewise(gan, hu, lesion, liver_zyx=liver, seed=0), lesion
    )
    assert abs(coherent - real) < 0.2, (coherent, real)
    assert coherent > independent + 0.05, (coherent, independent)


def test_noise_model_reproduces_the_scans_grain_and_z_correlation() -> None:
    hu, lesion, liver = _scan(25.0, seed=4)
    region = noise_region(hu, lesion, liver)
    model = estimate_noise(hu, region)
    assert 0.4 < model.z_correlation < 0.8
    fake = synthesize_noise(model, hu.shape, np.random.default_rng(0))
    ratio = residual(fake).std() / residual(hu)[region].std()
    assert 0.8 < ratio < 1.2, ratio


@pytest.mark.parametrize("contrast", [-100.0, -40.0, 0.0, 60.0])
def test_gan_honours_contrast_and_heterogeneity_on_the_phantom(
    gan: Filler, contrast: float
) -> None:
    hu, lesion, liver = _scan(15.0, seed=5)
    z = 3
    level = liver_level_hu(hu[z], lesion[z], liver[z])
    spreads = []
    for h in (0.0, 0.3, 0.7):
        out = gan.fill(
            hu[z],
            lesion[z],
            liver_mask=liver[z],
            seed=0,
            appearance=Appearance(contrast_hu=contrast, heterogeneity=h),
        )
        assert out[lesion[z]].mean() - level == pytest.approx(contrast, abs=0.5)
        spreads.append(float(out[lesion[z]].std()))
    assert spreads[0] < spreads[1] < spreads[2]


def test_apply_appearance_changes_only_the_lesion() -> None:
    hu, lesion, liver = _scan(15.0, seed=6)
    out = apply_appearance(
        hu, lesion, liver, Appearance(contrast_hu=30.0, heterogeneity=0.5), seed=1
    )
    np.testing.assert_array_equal(out[~lesion], hu[~lesion])
    assert out[lesion].mean() - liver_level_hu(hu, lesion, liver) == pytest.approx(30.0, abs=0.5)
    same = apply_appearance(hu, lesion, liver, Appearance(), seed=1)
    np.testing.assert_array_equal(same, hu)


def test_grain_envelope_is_seeded_keeps_the_grain_level_and_makes_it_uneven() -> None:
    from liversynth.fillers.lesion_render import RenderOptions, render_lesion

    rng = np.random.default_rng(0)
    image = (100 + 15 * rng.standard_normal((1, 96, 96))).astype(np.float32)
    mask = np.zeros((1, 96, 96), bool)
    mask[0, 16:80, 16:80] = True
    smooth = np.where(mask, 60.0, 100.0)

    def render(envelope: float, seed: int) -> np.ndarray:
        opts = RenderOptions(envelope=envelope)
        gen = np.random.default_rng(seed)
        return render_lesion(smooth, image, mask, None, None, gen, 2.0, options=opts)[0]

    flat, uneven = render(0.0, 1), render(0.8, 1)
    assert np.array_equal(uneven, render(0.8, 1))  # same seed, same grain
    assert not np.array_equal(uneven, render(0.8, 2))
    m = mask[0]
    assert 0.8 < uneven[m].std() / flat[m].std() < 1.25  # overall grain level kept

    # Local std over 8-px windows varies more when the amplitude is modulated.
    def local_spread(img: np.ndarray) -> float:
        res = (img - 60.0)[16:80, 16:80].reshape(8, 8, 8, 8).std(axis=(1, 3))
        return float(res.std() / res.mean())

    assert local_spread(uneven) > 1.5 * local_spread(flat)


def test_clipped_bright_tail_keeps_vessel_specks_out_of_the_grain() -> None:
    """A liver ring crossed by bright vessels: unclipped, the renderer rank-matches their bright
    tail into the lesion (specks); ``bright_tail`` cuts that tail (1: symmetric, 2: the default,
    between the two) and keeps the grain's level and seed."""
    from liversynth.fillers.lesion_render import RenderOptions, render_lesion

    rng = np.random.default_rng(0)
    grain = ndimage.gaussian_filter(rng.standard_normal((1, 128, 128)), (0, 0.8, 0.8))
    image = 100 + 15 * grain / grain.std()
    for row in range(6, 122, 9):  # thin enhancing vessels (+60 HU) across the whole crop
        image[0, row : row + 2, :] += 60.0
    mask = np.zeros((1, 128, 128), bool)
    mask[0, 40:88, 40:88] = True
    image[mask] = 100.0  # the lesion is blanked, as the engine sees it
    smooth = np.where(mask, 60.0, 100.0)

    def render(ratio: float, seed: int = 3) -> np.ndarray:
        opts = RenderOptions(bright_tail=ratio)
        gen = np.random.default_rng(seed)
        return render_lesion(smooth, image, mask, None, None, gen, 2.0, options=opts)[0][mask[0]]

    unclipped, clipped, default = render(0), render(1), render(RenderOptions().bright_tail)
    assert RenderOptions().bright_tail == 2.0
    assert np.array_equal(clipped, render(1))  # seeded
    skew = lambda v: float(np.percentile(v, 99.9) - np.median(v))  # noqa: E731
    deep = lambda v: float(np.median(v) - np.percentile(v, 0.1))  # noqa: E731
    assert skew(unclipped) > 1.5 * deep(unclipped)  # the vessel tail reaches the lesion
    assert skew(clipped) < 1.15 * deep(clipped)  # no longer
    assert skew(clipped) < skew(default) < skew(unclipped)  # the default cuts the brightest
    assert 0.9 < clipped.std() / unclipped.std() < 1.1  # the grain's level is kept
