"""Reader-study statistics on synthetic answer sets whose results are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from liversynth.teaching.reader_study import Rating, proportion, reader_study


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _answer_set() -> list[Rating]:
    """20 synthetic lesions (12 called synthetic), 20 real (15 called real)."""
    r = []
    r += [Rating(True, True, c) for c in (5, 5, 4, 4, 4, 3, 3, 3, 2, 2, 1, 1)]
    r += [Rating(True, False, c) for c in (1, 2, 2, 3, 3, 4, 4, 5)]
    r += [Rating(False, False, c) for c in (5, 5, 5, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1)]
    r += [Rating(False, True, c) for c in (1, 1, 2, 2, 3)]
    return r


def test_counts_and_wilson_intervals() -> None:
    s = reader_study(_answer_set())
    assert (s.n_ratings, s.n_synthetic, s.n_real) == (40, 20, 20)
    assert (s.sensitivity.k, s.sensitivity.n) == (12, 20)
    assert (s.specificity.k, s.specificity.n) == (15, 20)
    assert (s.accuracy.k, s.accuracy.n) == (27, 40)
    assert (s.synthetic_judged_real.k, s.synthetic_judged_real.n) == (8, 20)
    assert s.synthetic_judged_real.value == pytest.approx(0.4)
    for p in (s.sensitivity, s.specificity, s.accuracy, s.synthetic_judged_real):
        lo, hi = _wilson(p.k, p.n)
        assert (p.low, p.high) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))
    assert s.accuracy.text().startswith("0.68 (95% CI 0.52-0.80, 27/40)")


def test_clopper_pearson_interval() -> None:
    p = proportion(12, 20, "clopper-pearson")
    assert p.low == pytest.approx(stats.beta.ppf(0.025, 12, 9))
    assert p.high == pytest.approx(stats.beta.ppf(0.975, 13, 8))
    edge = proportion(0, 10, "clopper-pearson")
    assert edge.low == 0.0 and edge.high == pytest.approx(1 - 0.025 ** (1 / 10))
    assert math.isnan(proportion(0, 0).value)


def test_auc_equals_mann_whitney_by_hand() -> None:
    ratings = _answer_set()
    s = reader_study(ratings)
    pos = [r.suspicion for r in ratings if r.synthetic]
    neg = [r.suspicion for r in ratings if not r.synthetic]
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0) for a in pos for b in neg]
    assert s.auc == pytest.approx(float(np.mean(pairs)))
    assert s.fpr[0] == 0.0 and s.tpr[-1] == 1.0


def test_perfect_and_indistinguishable_readers() -> None:
    perfect = [Rating(True, True, 5)] * 5 + [Rating(False, False, 4)] * 5
    s = reader_study(perfect)
    assert s.auc == 1.0 and s.accuracy.value == 1.0 and s.synthetic_judged_real.k == 0
    # Same answers for real and synthetic lesions: chance level.
    coin = [Rating(t, said, c) for t in (True, False) for said in (True, False) for c in (1, 3, 5)]
    s = reader_study(coin)
    assert s.auc == pytest.approx(0.5) and s.accuracy.value == pytest.approx(0.5)
    assert reader_study([Rating(True, True, 3)]).auc is None


def test_suspicion_scale_is_monotone() -> None:
    order = [Rating(True, False, c).suspicion for c in (5, 4, 3, 2, 1)]
    order += [Rating(True, True, c).suspicion for c in (1, 2, 3, 4, 5)]
    assert order == list(range(1, 11))
