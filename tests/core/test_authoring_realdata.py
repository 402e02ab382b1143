"""The authoring document on a real case (3D-IRCADb 1.1): lesions, regeneration, session reload."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from liversynth.authoring import CaseSource, Document, run_fill
from liversynth.authoring.session import load_session, save_session

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_real_tumour_regeneration_and_session_reload(ircad11: Path, tmp_path: Path) -> None:
    from liversynth.fillers.registry import make_filler

    source = CaseSource(volume_path=str(ircad11))
    doc = Document(source.load(), source=source)
    lesions = doc.real_lesions()
    assert len(lesions) == 7  # the README: a liver with 7 tumours
    biggest = lesions[0]
    doc.set_slice(biggest.z)
    assert doc.whiten_real_tumour() and int(doc.mask.sum()) == biggest.area_px
    assert doc.mask_outside_liver_fraction() == 0.0  # every tumour voxel lies in the liver

    result = run_fill(make_filler("mean"), doc.request_fill())
    assert doc.apply_fill_result(result)
    assert doc.ground_truth_is_healthy is False
    m = doc.last_metrics
    assert all(math.isfinite(m[k]) for k in ("psnr_slice", "psnr_lesion", "mae_lesion_hu"))
    # a filler changes nothing outside the lesion and its narrow blending band
    far = ~ndimage.binary_dilation(doc.mask, iterations=10)
    np.testing.assert_array_equal(result.filled_hu[far], doc.slice_hu()[far])
    assert not np.array_equal(result.filled_hu[doc.mask], doc.slice_hu()[doc.mask])

    doc.stamp_real_lesion(lesions[1], centre_rc=(250.0, 150.0))
    doc.update_stamp_pose(angle_deg=40.0, scale_x=1.2)
    assert doc.commit_stamp()
    path = save_session(doc, tmp_path / "ircad.lsession")
    back = load_session(path)  # reloads the DICOM folder through liversynth.io
    assert back.slice_index == biggest.z
    np.testing.assert_array_equal(back.mask, doc.mask)
