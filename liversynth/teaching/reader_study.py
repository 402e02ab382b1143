"""The reader study of realism: can trainees tell real lesions from synthetic ones?

From the *real or synthetic* answers of a class (one rating per trainee and item): the
fraction of synthetic lesions judged real, accuracy, sensitivity (synthetic called synthetic)
and specificity (real called real), each with a binomial confidence interval (Wilson score or
Clopper–Pearson exact, via :func:`scipy.stats.binomtest`), and an ROC curve with its AUC from
the confidence ratings (scikit-learn). Accuracy and AUC near 0.5 mean the synthetic lesions
are indistinguishable from real ones for these readers.

The ratings become one 10-level suspicion score: "synthetic, confidence c" → ``5 + c``
(6..10), "real, confidence c" → ``6 - c`` (1..5); synthetic is the positive class.

Example:
    >>> r = reader_study([Rating(True, True, 5), Rating(False, False, 4), Rating(True, False, 2)])
    >>> r.accuracy.k, r.accuracy.n, round(r.auc, 2)
    (2, 3, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

CI_METHODS = {"wilson": "wilson", "clopper-pearson": "exact"}


@dataclass(frozen=True)
class Rating:
    """One reader's answer on one *real or synthetic* item.

    Attributes:
        synthetic: the truth.
        said_synthetic: the answer.
        confidence: 1 (guess) .. 5 (sure).
    """

    synthetic: bool
    said_synthetic: bool
    confidence: int

    @property
    def suspicion(self) -> int:
        """1..10: 10 = sure it is synthetic, 1 = sure it is real."""
        return 5 + self.confidence if self.said_synthetic else 6 - self.confidence


@dataclass(frozen=True)
class Proportion:
    """``k`` of ``n`` with a confidence interval (NaN when ``n`` is 0)."""

    k: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else math.nan

    def text(self) -> str:
        """``"0.62 (95% CI 0.41-0.79, 13/21)"``."""
        if not self.n:
            return "n/a (no ratings)"
        return f"{self.value:.2f} (95% CI {self.low:.2f}-{self.high:.2f}, {self.k}/{self.n})"


def proportion(k: int, n: int, method: str = "wilson", confidence: float = 0.95) -> Proportion:
    """``k`` successes of ``n`` with a ``method`` (``wilson`` or ``clopper-pearson``) interval."""
    if method not in CI_METHODS:
        raise ValueError(f"unknown CI method {method!r}; choose {', '.join(CI_METHODS)}")
    if n == 0:
        return Proportion(0, 0, math.nan, math.nan)
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(
        confidence_level=confidence, method=CI_METHODS[method]
    )
    return Proportion(int(k), int(n), float(ci.low), float(ci.high))


@dataclass(frozen=True)
class ReaderStudy:
    """The summary of a class's *real or synthetic* ratings.

    Attributes:
        n_ratings, n_synthetic, n_real: how many ratings (of synthetic / real lesions).
        accuracy: right answers.
        sensitivity: synthetic lesions called synthetic.
        specificity: real lesions called real.
        synthetic_judged_real: synthetic lesions called real (1 − sensitivity).
        auc: ROC AUC of the suspicion score (``None`` without both classes).
        fpr, tpr: the ROC curve.
        method: the confidence-interval method.
    """

    n_ratings: int
    n_synthetic: int
    n_real: int
    accuracy: Proportion
    sensitivity: Proportion
    specificity: Proportion
    synthetic_judged_real: Proportion
    auc: float | None
    fpr: list[float] = field(default_factory=list)
    tpr: list[float] = field(default_factory=list)
    method: str = "wilson"


def reader_study(ratings: Sequence[Rating], method: str = "wilson") -> ReaderStudy:
    """Summarise ``ratings`` (see the module docstring)."""
    truth = np.array([r.synthetic for r in ratings], bool)
    said = np.array([r.said_synthetic for r in ratings], bool)
    n_syn, n_real = int(truth.sum()), int((~truth).sum())
    tp = int((truth & said).sum())
    tn = int((~truth & ~said).sum())
    auc, fpr, tpr = None, [], []
    if n_syn and n_real:
        from sklearn.metrics import roc_auc_score, roc_curve

        scores = np.array([r.suspicion for r in ratings], float)
        auc = float(roc_auc_score(truth, scores))
        f, t, _ = roc_curve(truth, scores)
        fpr, tpr = [float(v) for v in f], [float(v) for v in t]
    return ReaderStudy(
        n_ratings=len(ratings),
        n_synthetic=n_syn,
        n_real=n_real,
        accuracy=proportion(tp + tn, len(ratings), method),
        sensitivity=proportion(tp, n_syn, method),
        specificity=proportion(tn, n_real, method),
        synthetic_judged_real=proportion(n_syn - tp, n_syn, method),
        auc=auc,
        fpr=fpr,
        tpr=tpr,
        method=method,
    )
