"""The realism judge: can a regularised classifier tell real lesions from filled ones?

Each evaluated slice gives two samples with the same mask: the real lesion (label 0) and the
filler's lesion (label 1), described by :func:`liversynth.realism.features.lesion_features`.
A standardised, L2-regularised logistic regression is cross-validated with folds over
*groups* (normally the slice: a slice's real and synthetic sample are always in the same
fold, so the classifier can never learn "this slice's real lesion" and recognise its twin).
The score is the ROC AUC of the held-out predictions: 0.5 = indistinguishable, 1 = every
synthetic lesion is recognised. The folds are redrawn ``repeats`` times; the result gives the
AUC per fold (mean ± std over folds and repeats) and the pooled AUC per repeat.

The judge is fixed (features, classifier, C, folds): a generator is improved against it, never
the other way round.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(size=(30, 4)); fake = rng.normal(size=(30, 4)) + 3.0
    >>> round(judge_auc(real, fake, np.arange(30)).auc_mean, 2)
    1.0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: Inverse L2 strength of the logistic regression (fixed: the judge must not be retuned per
#: generator). 0.1 keeps ~50 features from over-fitting ~30 slices per class.
JUDGE_C = 0.1
JUDGE_FOLDS = 5
JUDGE_REPEATS = 5


@dataclass(frozen=True)
class JudgeResult:
    """Cross-validated ROC AUC of the real-vs-synthetic classifier.

    Attributes:
        auc_mean: mean of the per-fold AUCs over all folds and repeats.
        auc_std: their standard deviation (the spread over folds and repeats).
        pooled_auc_mean: AUC of all held-out predictions of one repeat, averaged over repeats.
        pooled_auc_std: its spread over repeats.
        n_real, n_synthetic: samples per class; n_groups: distinct groups (slices).
        folds, repeats: the cross-validation used.
    """

    auc_mean: float
    auc_std: float
    pooled_auc_mean: float
    pooled_auc_std: float
    n_real: int
    n_synthetic: int
    n_groups: int
    folds: int
    repeats: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fold_of_group(groups: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """A fold index per sample: groups shuffled, then dealt round-robin (balanced folds)."""
    unique = np.unique(groups)
    order = rng.permutation(unique.size)
    fold_of = np.empty(unique.size, np.int64)
    fold_of[order] = np.arange(unique.size) % folds
    return fold_of[np.searchsorted(unique, groups)]


def judge_auc(
    real: npt.ArrayLike,
    synthetic: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    synthetic_groups: npt.ArrayLike | None = None,
    folds: int = JUDGE_FOLDS,
    repeats: int = JUDGE_REPEATS,
    seed: int = 0,
) -> JudgeResult:
    """Cross-validated AUC of telling ``synthetic`` feature rows from ``real`` ones.

    Args:
        real: ``(N, F)`` features of real lesions.
        synthetic: ``(M, F)`` features of synthetic lesions.
        groups: ``(N,)`` group (slice) of each real row.
        synthetic_groups: ``(M,)`` groups of the synthetic rows (default: ``groups``, i.e.
            row ``i`` of both is the same slice).
        folds: folds per repeat (reduced to the number of groups when there are fewer).
        repeats: how many times the folds are redrawn.
        seed: seeds the fold assignment (same seed → same result).

    Raises:
        ValueError: fewer than two groups, or mismatched shapes.
    """
    x_real = np.asarray(real, np.float64)
    x_syn = np.asarray(synthetic, np.float64)
    g_real = np.asarray(groups)
    g_syn = g_real if synthetic_groups is None else np.asarray(synthetic_groups)
    if x_real.ndim != 2 or x_syn.ndim != 2 or x_real.shape[1] != x_syn.shape[1]:
        raise ValueError(f"feature arrays must be (N, F) alike, got {x_real.shape}, {x_syn.shape}")
    if len(g_real) != len(x_real) or len(g_syn) != len(x_syn):
        raise ValueError("one group per feature row is needed")
    x = np.concatenate([x_real, x_syn])
    y = np.concatenate([np.zeros(len(x_real), int), np.ones(len(x_syn), int)])
    g = np.concatenate([g_real, g_syn]).astype(str)
    n_groups = np.unique(g).size
    if n_groups < 2:
        raise ValueError("the judge needs at least two groups (slices)")
    k = min(folds, n_groups)
    rng = np.random.default_rng(seed)
    fold_aucs: list[float] = []
    pooled: list[float] = []
    for _ in range(repeats):
        fold = _fold_of_group(g, k, rng)
        scores = np.full(len(y), np.nan)
        for f in range(k):
            test = fold == f
            train = ~test
            if np.unique(y[train]).size < 2:
                continue
            model = make_pipeline(StandardScaler(), LogisticRegression(C=JUDGE_C, max_iter=2000))
            model.fit(x[train], y[train])
            scores[test] = model.predict_proba(x[test])[:, 1]
            if np.unique(y[test]).size == 2:
                fold_aucs.append(float(roc_auc_score(y[test], scores[test])))
        ok = np.isfinite(scores)
        if np.unique(y[ok]).size == 2:
            pooled.append(float(roc_auc_score(y[ok], scores[ok])))
    return JudgeResult(
        auc_mean=float(np.mean(fold_aucs)) if fold_aucs else float("nan"),
        auc_std=float(np.std(fold_aucs)) if fold_aucs else float("nan"),
        pooled_auc_mean=float(np.mean(pooled)) if pooled else float("nan"),
        pooled_auc_std=float(np.std(pooled)) if pooled else float("nan"),
        n_real=len(x_real),
        n_synthetic=len(x_syn),
        n_groups=int(n_groups),
        folds=k,
        repeats=repeats,
    )
