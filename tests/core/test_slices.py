"""Paper step 1: per-slice PNG export and exact read-back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from liversynth.errors import LoadError
from liversynth.phantom import make_phantom
from liversynth.slices import export_slices, read_slices
from liversynth.volume import TUMOUR, Case, Volume
from liversynth.windowing import PRESETS


@pytest.fixture(scope="module")
def case() -> Case:
    return make_phantom(seed=2, shape=(16, 64, 64))


def test_round_trip_exact(case: Case, tmp_path) -> None:
    manifest = export_slices(case, tmp_path)
    doc = json.loads(manifest.read_text())
    assert doc["spacing_mm"] == list(case.volume.spacing_mm)
    assert doc["window"] == {"center_hu": 50.0, "width_hu": 500.0}
    lesion_slices = np.flatnonzero((case.labels == TUMOUR).any(axis=(1, 2))).tolist()
    items = read_slices(tmp_path)
    assert [it["index"] for it in items] == lesion_slices
    for it in items:
        z = it["index"]
        mask = case.labels[z] == TUMOUR
        np.testing.assert_array_equal(it["original_hu"], case.volume.hu[z])
        np.testing.assert_array_equal(it["mask"], mask)
        assert np.all(it["whitened_hu"][mask] == PRESETS["network"].high)
        np.testing.assert_array_equal(it["whitened_hu"][~mask], case.volume.hu[z][~mask])
        assert (tmp_path / f"original_{z:03d}.png").is_file()
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporaries


def test_all_slices_and_extreme_hu(tmp_path) -> None:
    hu = np.zeros((3, 8, 8), dtype=np.int16)
    hu[0, 0, 0], hu[1, 1, 1], hu[2, 2, 2] = -32768, 32767, -1024
    labels = np.zeros_like(hu, dtype=np.uint8)
    labels[1, 3:5, 3:5] = TUMOUR
    case = Case("tiny", Volume(hu, (3.0, 0.7, 0.7)), labels)
    export_slices(case, tmp_path, only_lesion_slices=False)
    items = read_slices(tmp_path)
    assert len(items) == 3
    np.testing.assert_array_equal(np.stack([it["original_hu"] for it in items]), hu)
    assert items[0]["spacing_mm"] == (3.0, 0.7, 0.7)


def test_no_labels_and_bad_folder(tmp_path) -> None:
    case = Case("nolab", Volume(np.zeros((2, 8, 8), np.int16), (1.0, 1.0, 1.0)))
    with pytest.raises(ValueError):
        export_slices(case, tmp_path)
    with pytest.raises(LoadError):
        read_slices(tmp_path / "missing")
    (tmp_path / "slices.json").write_text("{}")
    with pytest.raises(LoadError):
        read_slices(tmp_path)
