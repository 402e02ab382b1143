"""Fill requests: generation numbers, stale results dropped, metrics against the ground truth."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pytest
from authoring_cases import TUMOUR_Z, small_case

from liversynth.authoring import Document, FillRequest, run_fill


class ConstantFiller:
    """Paints the mask with one HU value; the rest is returned unchanged (SliceFiller)."""

    name = "constant"
    device = "cpu"

    def __init__(self, value_hu: float = 60.0) -> None:
        self.value_hu = value_hu
        self.calls: list[int | None] = []

    def fill(
        self,
        slice_hu: np.ndarray,
        mask: np.ndarray,
        *,
        liver_mask: np.ndarray | None = None,
        seed: int | None = None,
    ) -> np.ndarray:
        self.calls.append(seed)
        out = np.array(slice_hu, dtype=np.float32)
        out[mask] = self.value_hu
        return out


def _doc_with_mask(z: int = 1) -> Document:
    doc = Document(small_case())
    doc.set_slice(z)
    doc.begin_stroke("paint", radius_px=4)
    doc.stroke_to(20, 20)
    doc.end_stroke()
    return doc


def test_request_is_a_snapshot_with_increasing_generation() -> None:
    doc = _doc_with_mask()
    first = doc.request_fill()
    second = doc.request_fill()
    assert isinstance(first, FillRequest) and isinstance(second, FillRequest)
    assert second.generation > first.generation
    assert first.z == 1 and first.filler_name == "gan"
    np.testing.assert_array_equal(first.mask, doc.mask)
    np.testing.assert_array_equal(first.slice_hu, doc.case.volume.hu[1].astype(np.float32))
    assert first.liver_mask is not None and first.liver_mask[20, 20]
    doc.clear_mask()
    np.testing.assert_array_equal(first.mask.sum() > 0, True)  # not a view of the live mask


def test_empty_mask_gives_no_request() -> None:
    doc = Document(small_case())
    assert doc.request_fill() is None
    assert Document().request_fill() is None


def test_result_of_latest_request_is_applied_with_metrics() -> None:
    doc = _doc_with_mask()
    seen: list[object] = []
    doc.events.fill_changed.connect(lambda: seen.append("fill"))
    doc.events.metrics_changed.connect(seen.append)
    request = doc.request_fill()
    result = run_fill(ConstantFiller(200.0), request)
    assert result.generation == request.generation and result.z == request.z
    assert doc.apply_fill_result(result)
    np.testing.assert_array_equal(doc.last_fill, result.filled_hu)
    assert doc.last_fill_ms == result.elapsed_ms and doc.last_fill_device == "cpu"
    m = doc.last_metrics
    assert set(m) >= {"psnr_slice", "ssim_slice", "psnr_lesion", "ssim_lesion", "mae_lesion_hu"}
    original = doc.slice_hu()[request.mask]
    assert m["mae_lesion_hu"] == pytest.approx(float(np.mean(np.abs(original - 200.0))))
    assert doc.ground_truth_is_healthy is True  # slice 1 has no tumour under the mask
    assert seen[0] == "fill" and seen[1] is m
    assert doc.fill_up_to_date
    doc.begin_stroke("paint", radius_px=2)
    doc.stroke_to(30, 30)
    doc.end_stroke()
    assert not doc.fill_up_to_date


def test_stale_result_is_dropped() -> None:
    doc = _doc_with_mask()
    old = doc.request_fill()
    new = doc.request_fill()
    filler = ConstantFiller()
    assert not doc.apply_fill_result(run_fill(filler, old))
    assert doc.last_fill is None and doc.last_metrics is None
    assert doc.apply_fill_result(run_fill(filler, new))
    assert not doc.apply_fill_result(run_fill(filler, old))  # late arrival after the new one


def test_changing_slice_or_filler_makes_in_flight_results_stale() -> None:
    doc = _doc_with_mask()
    request = doc.request_fill()
    doc.set_slice(2)
    assert not doc.apply_fill_result(run_fill(ConstantFiller(), request))
    doc.set_slice(1)
    request = doc.request_fill()
    doc.set_filler("mean")
    assert not doc.apply_fill_result(run_fill(ConstantFiller(), request))


def test_regenerating_a_real_tumour_measures_fidelity() -> None:
    doc = Document(small_case())
    doc.set_slice(TUMOUR_Z)
    doc.whiten_real_tumour()
    request = doc.request_fill()
    # the tumour is 120 HU in the test case: a perfect filler gives MAE 0 and infinite PSNR
    assert doc.apply_fill_result(run_fill(ConstantFiller(120.0), request))
    assert doc.ground_truth_is_healthy is False
    assert doc.last_metrics["mae_lesion_hu"] == 0.0
    assert math.isinf(doc.last_metrics["psnr_lesion"])


def test_without_labels_health_of_ground_truth_is_unknown() -> None:
    doc = Document(small_case(with_labels=False))
    doc.begin_stroke("paint", radius_px=3)
    doc.stroke_to(20, 20)
    doc.end_stroke()
    request = doc.request_fill()
    assert request.liver_mask is None
    assert doc.apply_fill_result(run_fill(ConstantFiller(), request))
    assert doc.ground_truth_is_healthy is None


def test_run_fill_rejects_a_wrong_shape() -> None:
    class Broken(ConstantFiller):
        def fill(
            self,
            slice_hu: np.ndarray,
            mask: np.ndarray,
            *,
            liver_mask: np.ndarray | None = None,
            seed: int | None = None,
        ) -> np.ndarray:
            return np.zeros((3, 3), np.float32)

    doc = _doc_with_mask()
    with pytest.raises(ValueError, match="shape"):
        run_fill(Broken(), doc.request_fill())


def test_the_fill_is_timed() -> None:
    class Sleepy(ConstantFiller):
        def fill(self, slice_hu: np.ndarray, mask: np.ndarray, **kw: Any) -> np.ndarray:
            time.sleep(0.05)
            return super().fill(slice_hu, mask, **kw)

    doc = _doc_with_mask()
    request = doc.request_fill()
    before = time.perf_counter()
    result = run_fill(Sleepy(200.0), request)
    wall_ms = (time.perf_counter() - before) * 1000.0
    assert 50.0 <= result.elapsed_ms <= wall_ms


def test_metrics_use_the_requests_mask_even_if_the_user_edited_meanwhile() -> None:
    doc = _doc_with_mask()
    request = doc.request_fill()
    doc.begin_stroke("paint", radius_px=3)
    doc.stroke_to(35, 35)  # edited while the fill ran, before the debounced next request
    doc.end_stroke()
    assert doc.apply_fill_result(run_fill(ConstantFiller(200.0), request))
    np.testing.assert_array_equal(doc.last_fill_mask, request.mask)
    original = doc.slice_hu()[request.mask]
    assert doc.last_metrics["mae_lesion_hu"] == pytest.approx(
        float(np.mean(np.abs(original - 200)))
    )
    assert not doc.fill_up_to_date


def test_a_floating_stamp_is_filled_live_and_leaves_the_mask_alone() -> None:
    doc = Document(small_case())
    doc.set_slice(1)
    doc.stamp_procedural(size_mm=10.0, seed=1, centre_rc=(30.0, 30.0))
    stamp_px = doc.stamp.render(doc.slice_shape)
    assert stamp_px.any() and not doc.mask.any()
    request = doc.request_fill()
    assert request is not None
    np.testing.assert_array_equal(request.mask, stamp_px)  # previewed before the commit
    assert not doc.mask.any()  # the mask itself is unchanged until commit
    doc.update_stamp_pose(centre_rc=(34.0, 30.0))
    moved = doc.request_fill()
    assert moved is not None and not np.array_equal(moved.mask, request.mask)
    doc.cancel_stamp()
    assert doc.request_fill() is None  # nothing left to fill
