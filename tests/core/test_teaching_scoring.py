"""Scoring of each quiz item kind on hand-made cases with known answers, and RECIST axes."""

from __future__ import annotations

import numpy as np
import pytest

from liversynth.measurements import recist_axes_mm
from liversynth.teaching.quiz import KeyItem
from liversynth.teaching.scoring import line_length_mm, score_find, score_item

SP = (2.0, 0.5, 0.5)  # z, y, x mm


def _two_lesions() -> np.ndarray:
    m = np.zeros((3, 60, 60), bool)
    m[1, 10:20, 10:20] = True  # lesion A: rows/cols 10..19
    m[0:3, 40:46, 40:46] = True  # lesion B, three slices
    return m


def test_find_hits_misses_and_false_positives() -> None:
    m = _two_lesions()
    r = score_find([(1, 15, 15)], m, SP, tolerance_mm=0.0)
    assert (r.hits, r.misses, r.false_positives) == (1, 1, 0)
    # A second click on lesion A is no false positive; a click far away is one.
    r = score_find([(1, 15, 15), (1, 12, 12), (1, 30, 55)], m, SP, tolerance_mm=2.0)
    assert (r.hits, r.misses, r.false_positives) == (1, 1, 1)
    assert r.score == pytest.approx(1 / 3)
    r = score_find([(1, 15, 15), (2, 43, 43)], m, SP, tolerance_mm=0.0)
    assert (r.hits, r.misses, r.false_positives) == (2, 0, 0) and r.score == 1.0


def test_find_tolerance_is_in_mm() -> None:
    m = _two_lesions()
    # 4 pixels right of lesion A's last column (19) = 2.0 mm at 0.5 mm/px.
    click = [(1, 15, 23)]
    assert score_find(click, m, SP, tolerance_mm=1.9).hits == 0
    assert score_find(click, m, SP, tolerance_mm=2.0).hits == 1
    # One slice above lesion A (z spacing 2 mm): within 2 mm, not within 1.5 mm.
    above = [(2, 15, 15)]
    assert score_find(above, m, SP, tolerance_mm=2.0).hits == 1
    assert score_find(above, m, SP, tolerance_mm=1.5).false_positives == 1


def test_find_without_lesion() -> None:
    empty = np.zeros((3, 20, 20), bool)
    assert score_find([], empty, SP, 5.0).score == 1.0
    r = score_find([(1, 5, 5)], empty, SP, 5.0)
    assert (r.hits, r.misses, r.false_positives, r.score) == (0, 0, 1, 0.0)


def test_measure_error_in_mm() -> None:
    key = KeyItem("measure", True, synthetic=False, long_axis_mm=20.0)
    # 44 px along x at 0.5 mm = 22 mm: error +2 mm, inside a 3 mm tolerance.
    answer = {"line": {"z": 1, "yx": [[10.0, 10.0], [10.0, 54.0]]}}
    s = score_item(
        "i", key, answer, lesions_zyx=None, spacing_mm=SP, tolerance_mm=5, measure_tolerance_mm=3
    )
    assert s.detail["error_mm"] == pytest.approx(2.0) and s.correct and s.score == 1.0
    s = score_item(
        "i", key, answer, lesions_zyx=None, spacing_mm=SP, tolerance_mm=5, measure_tolerance_mm=1.5
    )
    assert not s.correct and s.score == 0.0
    assert line_length_mm([[0, 0], [3, 4]], (1.0, 1.0)) == pytest.approx(5.0)
    unanswered = score_item(
        "i", key, None, lesions_zyx=None, spacing_mm=SP, tolerance_mm=5, measure_tolerance_mm=3
    )
    assert not unanswered.answered and unanswered.score == 0.0


@pytest.mark.parametrize(
    ("kind", "key", "answer", "correct"),
    [
        (
            "real_or_synthetic",
            KeyItem("real_or_synthetic", True, synthetic=True),
            {"verdict": "synthetic", "confidence": 4},
            True,
        ),
        (
            "real_or_synthetic",
            KeyItem("real_or_synthetic", True, synthetic=True),
            {"verdict": "real", "confidence": 2},
            False,
        ),
        (
            "real_or_synthetic",
            KeyItem("real_or_synthetic", True, synthetic=False),
            {"verdict": "real", "confidence": 5},
            True,
        ),
        ("normal", KeyItem("normal", False), {"verdict": "normal"}, True),
        ("normal", KeyItem("normal", True, synthetic=True), {"verdict": "normal"}, False),
        ("normal", KeyItem("normal", True, synthetic=False), {"verdict": "abnormal"}, True),
    ],
)
def test_verdict_items(kind: str, key: KeyItem, answer: dict, correct: bool) -> None:
    s = score_item(
        "i", key, answer, lesions_zyx=None, spacing_mm=SP, tolerance_mm=5, measure_tolerance_mm=3
    )
    assert s.kind == kind and s.correct is correct and s.score == float(correct)


def test_find_item_scored_through_score_item() -> None:
    key = KeyItem("find", True, synthetic=True)
    answer = {"clicks_zyx": [[1, 15, 15], [1, 55, 5]]}
    s = score_item(
        "i",
        key,
        answer,
        lesions_zyx=_two_lesions().astype(np.uint8),
        spacing_mm=SP,
        tolerance_mm=1,
        measure_tolerance_mm=3,
    )
    assert s.detail == {"hits": 1, "misses": 1, "false_positives": 1}
    assert s.score == pytest.approx(1 / 3)


def test_recist_axes_and_true_long_axis_of_known_shapes() -> None:
    from liversynth.teaching.long_axis import true_long_axis

    assert recist_axes_mm(np.zeros((5, 5), bool), (1.0, 1.0)) == (0.0, 0.0)
    # A bar of 1 x 11 pixels at 0.5 mm columns: edge to edge 11 x 0.5 = 5.5 mm long, one
    # 0.7 mm row wide.
    bar = np.zeros((9, 20), bool)
    bar[4, 3:14] = True
    assert recist_axes_mm(bar, (0.7, 0.5)) == (pytest.approx(5.5), pytest.approx(0.7))
    # An axis-aligned ellipse, semi-axes 12 (rows) and 30 (cols) px, anisotropic pixels.
    yy, xx = np.mgrid[:41, :81]
    ell = ((yy - 20) / 12.0) ** 2 + ((xx - 40) / 30.0) ** 2 <= 1
    long_mm, short_mm = recist_axes_mm(ell, (1.0, 0.5))
    assert long_mm == pytest.approx(30.5, abs=0.6) and short_mm == pytest.approx(25.0, abs=1.0)
    # In a slab the true long axis is the longest over the slices; its drawn end points have
    # that length (so a trainee who draws exactly along it scores 0 mm error).
    slab = np.zeros((3, 41, 81), bool)
    slab[0, 18:23, 30:50] = True
    slab[2] = ell
    length, where = true_long_axis(slab, (2.0, 1.0, 0.5))
    assert where["z"] == 2 and length == pytest.approx(long_mm)
    assert line_length_mm(where["yx"], (1.0, 0.5)) == pytest.approx(length, abs=1e-6)
    (y0, x0), (y1, x1) = where["yx"]
    assert abs(y1 - y0) <= 2 and abs(x1 - x0) >= 59
