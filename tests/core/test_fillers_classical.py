"""Classical fillers (mean, biharmonic), the shared compositing helpers and the registry."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from liversynth.fillers.base import SliceFiller
from liversynth.fillers.classical import BiharmonicFiller, MeanFiller
from liversynth.fillers.compositing import blend_weight, composite, crop_box, extract, lesion_bbox
from liversynth.fillers.registry import available_fillers, make_filler


def _disc(shape, centre, radius) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


def _smooth(shape=(64, 64)) -> np.ndarray:
    """A smooth 'liver' ramp, well inside the network window (−200..300 HU)."""
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    return (60.0 + 0.8 * xx - 0.5 * yy + 0.01 * (xx - 32) ** 2).astype(np.float32)


def _noisy(shape=(64, 64), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).normal(40.0, 30.0, shape).astype(np.float32)


FILLERS = [MeanFiller, BiharmonicFiller]


@pytest.mark.parametrize("cls", FILLERS)
def test_protocol(cls):
    filler = cls()
    assert isinstance(filler, SliceFiller)
    assert filler.device == "cpu"
    assert filler.name in ("mean", "biharmonic")


@pytest.mark.parametrize("cls", FILLERS)
@pytest.mark.parametrize(
    ("centre", "radius"), [((32, 32), 5), ((0, 0), 4), ((63, 40), 3), ((32, 32), 0)]
)
def test_outside_the_mask_is_bit_identical(cls, centre, radius):
    hu = _noisy()
    mask = _disc(hu.shape, centre, radius)
    lesion = hu.copy()
    lesion[mask] = 250.0  # a bright tumour that must disappear
    out = cls().fill(lesion, mask)
    assert out.dtype == np.float32
    assert np.array_equal(out[~mask].view(np.uint32), lesion[~mask].view(np.uint32))
    assert np.all(out[mask] < 200.0)


@pytest.mark.parametrize("cls", FILLERS)
def test_empty_mask_returns_a_copy(cls):
    hu = _noisy()
    out = cls().fill(hu, np.zeros(hu.shape, np.uint8))
    assert np.array_equal(out, hu) and out is not hu


def test_biharmonic_recovers_a_smooth_image():
    truth = _smooth()
    mask = _disc(truth.shape, (30, 34), 6)
    lesion = truth.copy()
    lesion[mask] = 280.0
    out = BiharmonicFiller().fill(lesion, mask)
    mae = float(np.abs(out[mask] - truth[mask]).mean())
    assert mae < 0.5, mae
    assert float(np.abs(MeanFiller().fill(lesion, mask)[mask] - truth[mask]).mean()) > mae


def test_mean_fills_with_the_ring_mean():
    truth = _smooth()
    mask = _disc(truth.shape, (30, 34), 6)
    out = MeanFiller().fill(np.where(mask, 280.0, truth).astype(np.float32), mask)
    d = ndimage.distance_transform_edt(~mask)
    ring = (d >= 3) & (d <= 8)
    assert np.allclose(out[mask], truth[ring].mean(), atol=1e-3)
    assert float(np.abs(out[mask] - truth[mask]).mean()) < 3.0  # a ramp's ring mean ≈ centre


def test_mean_uses_the_liver_mask_when_given():
    hu = np.full((64, 64), -100.0, np.float32)  # fat around the liver
    liver = np.zeros(hu.shape, bool)
    liver[10:50, 10:50] = True
    hu[liver] = 80.0
    mask = _disc(hu.shape, (30, 30), 4)
    hu[mask] = 200.0
    assert np.allclose(MeanFiller().fill(hu, mask, liver_mask=liver)[mask], 80.0)
    # Without the liver mask the ring (3–8 px) here is all liver too.
    assert np.allclose(MeanFiller().fill(hu, mask)[mask], 80.0)
    with pytest.raises(ValueError, match="liver_mask shape"):
        MeanFiller().fill(hu, mask, liver_mask=liver[:10])


def test_mask_covering_everything_does_not_crash():
    hu = _noisy((8, 8))
    full = np.ones(hu.shape, bool)
    assert np.allclose(MeanFiller().fill(hu, full), 50.0)
    assert np.array_equal(BiharmonicFiller().fill(hu, full), hu)


@pytest.mark.parametrize("cls", FILLERS)
def test_soft_band_when_asked(cls):
    hu = _noisy()
    mask = _disc(hu.shape, (32, 32), 5)
    out = cls(band_px=2).fill(hu, mask)
    d = ndimage.distance_transform_edt(~mask)
    assert np.array_equal(out[d >= 3], hu[d >= 3])
    assert np.any(out[(d > 0) & (d < 3)] != hu[(d > 0) & (d < 3)])


@pytest.mark.parametrize("kwargs", [{"ring_px": (5, 2)}, {"band_px": -1}])
def test_mean_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        MeanFiller(**kwargs)


def test_bad_shapes_are_value_errors():
    with pytest.raises(ValueError, match="mask shape"):
        MeanFiller().fill(np.zeros((4, 4)), np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match="2-D"):
        BiharmonicFiller().fill(np.zeros(4), np.zeros(4, bool))


# ----------------------------------------------------------------------------- compositing
def test_crop_box_holds_lesion_plus_margin_and_stays_inside():
    rng = np.random.default_rng(0)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(8, 200, 2))
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        y1, x1 = y0 + int(rng.integers(1, h - y0 + 1)), x0 + int(rng.integers(1, w - x0 + 1))
        margin, multiple = int(rng.integers(0, 10)), int(rng.choice([1, 16, 32]))
        box = crop_box((y0, y1, x0, x1), (h, w), 32, margin_px=margin, multiple=multiple)
        assert box.size % multiple == 0 and box.size >= 32
        assert box.size >= max(y1 - y0, x1 - x0) + 2 * margin
        for lo, hi, start, length in ((y0, y1, box.y0, h), (x0, x1, box.x0, w)):
            if length >= box.size:
                assert 0 <= start and start + box.size <= length  # inside the image
            assert start <= max(lo - margin, 0) and start + box.size >= min(hi + margin, length)


def test_extract_pads_outside_the_image():
    a = np.arange(16, dtype=np.float32).reshape(4, 4)
    box = crop_box((1, 3, 1, 3), a.shape, 8)
    edge, zero = extract(a, box), extract(a, box, pad=0.0)
    assert edge.shape == zero.shape == (8, 8)
    assert np.array_equal(edge[2:6, 2:6], a) and edge[0, 0] == a[0, 0]
    assert zero[0, 0] == 0 and zero.sum() == a.sum()


def test_blend_weight_profile_and_composite():
    mask = np.zeros((1, 12), bool)
    mask[0, :4] = True
    w = blend_weight(mask, 2)
    assert np.allclose(w[0], [1, 1, 1, 1, 2 / 3, 1 / 3, 0, 0, 0, 0, 0, 0])
    assert np.array_equal(blend_weight(mask, 0), mask.astype(np.float32))
    image = np.zeros((1, 12), np.float32)
    box = crop_box(lesion_bbox(mask), image.shape, 1, margin_px=3)
    out = composite(image, np.full((box.size, box.size), 90.0, np.float32), mask, box, 2)
    assert np.allclose(out[0, :7], [90, 90, 90, 90, 60, 30, 0])
    assert np.all(out[0, 6:] == 0)
    assert lesion_bbox(np.zeros((3, 3), bool)) is None


def test_composite_keeps_non_finite_originals_out_of_the_lesion():
    image = np.zeros((16, 16), np.float32)
    mask = _disc(image.shape, (8, 8), 2)
    image[mask] = np.inf
    box = crop_box(lesion_bbox(mask), image.shape, 8, margin_px=3)
    out = composite(image, np.ones((box.size, box.size), np.float32), mask, box, 2)
    assert np.all(out[mask] == 1.0)


# ----------------------------------------------------------------------------- registry
def test_registry_lists_and_builds():
    names = available_fillers()
    assert names[:3] == ["gan", "mean", "biharmonic"]
    mean = make_filler("mean", ring_px=(2, 4), device="cuda")  # CPU fillers ignore device
    assert isinstance(mean, MeanFiller) and mean.ring_px == (2.0, 4.0)
    assert isinstance(make_filler("biharmonic"), BiharmonicFiller)
    with pytest.raises(ValueError, match="unknown filler 'nope'; available: gan, mean"):
        make_filler("nope")


def test_every_registry_entry_builds_its_engine_and_says_what_it_is(tmp_path):
    from liversynth.fillers.copy_paste import CopyPasteFiller
    from liversynth.fillers.procedural import ProceduralFiller
    from liversynth.fillers.registry import filler_info
    from liversynth.lesions.bank import LesionBank
    from liversynth.phantom import make_phantom

    assert available_fillers() == ["gan", "mean", "biharmonic", "procedural", "copy_paste"]
    assert isinstance(make_filler("procedural"), ProceduralFiller)
    bank = LesionBank.from_case_objects([make_phantom(seed=0, shape=(12, 64, 64))])
    assert isinstance(make_filler("copy_paste", bank=bank), CopyPasteFiller)
    flags = {
        n: (filler_info(n).stochastic, filler_info(n).uses_model, filler_info(n).needs_bank)
        for n in available_fillers()
    }
    assert flags == {
        "gan": (True, True, False),  # seeded grain (issue 17): seeds give different lesions
        "mean": (False, False, False),
        "biharmonic": (False, False, False),
        "procedural": (True, False, False),
        "copy_paste": (True, False, True),
    }
    assert all(filler_info(n).description for n in available_fillers())


def test_a_name_is_registered_once(toy_engine):
    from liversynth.fillers.registry import FillerInfo, filler_info, register

    with pytest.raises(ValueError, match="already registered"):
        register(FillerInfo(toy_engine.name, filler_info("mean").build, "a second toy"))
    assert filler_info(toy_engine.name).description == "a flat toy fill"
