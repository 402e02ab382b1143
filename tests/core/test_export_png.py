"""PNG writers: 8-bit display and 16-bit lossless HU."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from liversynth.errors import LoadError
from liversynth.export.png import read_mask_png, read_png16, save_mask_png, save_png, save_png16
from liversynth.windowing import PRESETS


def test_save_png_windowed(tmp_path) -> None:
    hu = np.array([[-1000, -160, 40], [240, 1000, 0]], dtype=np.float32)
    path = save_png(hu, tmp_path / "a.png", PRESETS["abdomen"])
    with Image.open(path) as im:
        assert im.mode == "L"
        assert np.asarray(im).tolist() == [[0, 0, 128], [255, 255, 102]]


def test_png16_round_trip_exact(tmp_path) -> None:
    rng = np.random.default_rng(0)
    hu = rng.integers(-1024, 3072, (17, 23)).astype(np.int16)
    hu[0, 0], hu[0, 1] = -32768, 32767
    path = save_png16(hu, tmp_path / "b.png")
    with Image.open(path) as im:
        assert im.mode.startswith("I;16")
    back = read_png16(path)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, hu)


def test_png16_rounds_fractional_hu(tmp_path) -> None:
    back = read_png16(save_png16(np.array([[1.4, -2.6]]), tmp_path / "c.png"))
    assert back.tolist() == [[1.0, -3.0]]


def test_mask_png(tmp_path) -> None:
    mask = np.zeros((5, 6), dtype=bool)
    mask[1:3, 2:5] = True
    path = save_mask_png(mask, tmp_path / "m.png")
    with Image.open(path) as im:
        assert set(np.unique(np.asarray(im)).tolist()) == {0, 255}
    np.testing.assert_array_equal(read_mask_png(path), mask)


def test_errors(tmp_path) -> None:
    with pytest.raises(ValueError):
        save_png16(np.zeros((2, 2, 2)), tmp_path / "x.png")
    with pytest.raises(LoadError):
        read_png16(tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(LoadError):
        read_png16(bad)
    save_png(np.zeros((4, 4)), tmp_path / "eight.png")
    with pytest.raises(LoadError):
        read_png16(tmp_path / "eight.png")  # 8-bit is not a HU PNG
