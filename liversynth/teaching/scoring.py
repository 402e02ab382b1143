"""Scoring of each item kind against the key (pure functions; mm everywhere).

- *find*: each true lesion (a 3-D connected component of the key mask) is **hit** when a click
  lies within ``tolerance_mm`` of it; lesions never hit are **misses**; clicks near no lesion
  are **false positives** (a second click on a lesion already hit is neither). Score
  ``hits / (hits + misses + false positives)``; an item without lesion and without clicks
  scores 1.
- *measure*: error = drawn length − true RECIST long axis (mm, outer edge to outer edge, the
  convention of :func:`liversynth.measurements.recist_axes_mm`); right when
  ``|error| <= measure_tolerance_mm``.
- *real or synthetic* / *normal or abnormal*: right or wrong.

Example:
    >>> import numpy as np
    >>> m = np.zeros((1, 20, 20), bool); m[0, 5:8, 5:8] = True
    >>> r = score_find([(0, 6, 6), (0, 6, 12), (0, 18, 18)], m, (1.0, 1.0, 1.0), 5.0)
    >>> r.hits, r.misses, r.false_positives
    (1, 0, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.teaching.quiz import KeyItem
from liversynth.typing import SpacingZYX


@dataclass(frozen=True)
class FindResult:
    """Hits, misses and false positives of one *find* answer."""

    hits: int
    misses: int
    false_positives: int

    @property
    def score(self) -> float:
        total = self.hits + self.misses + self.false_positives
        return 1.0 if total == 0 else self.hits / total


def score_find(
    clicks_zyx: Sequence[Sequence[float]],
    lesions_zyx: np.ndarray,
    spacing_mm: SpacingZYX,
    tolerance_mm: float,
) -> FindResult:
    """Score clicks against the lesions of an item (see the module docstring).

    Args:
        clicks_zyx: click positions as item voxel indices ``(z, y, x)`` (may be fractional).
        lesions_zyx: the key's lesion mask (non-zero = lesion).
        spacing_mm: the item's voxel size.
        tolerance_mm: how far from a lesion a click still hits it.
    """
    mask = np.asarray(lesions_zyx) > 0
    comps, n = ndimage.label(mask, structure=np.ones((3, 3, 3), bool))
    shape = np.asarray(mask.shape)
    # Distance (mm) from every voxel to each lesion: one EDT per lesion (items are small).
    dists = [ndimage.distance_transform_edt(comps != i + 1, sampling=spacing_mm) for i in range(n)]
    hit = [False] * n
    false_positives = 0
    for c in clicks_zyx:
        idx = tuple(np.clip(np.round(np.asarray(c, float)).astype(int), 0, shape - 1))
        near = [i for i in range(n) if dists[i][idx] <= tolerance_mm]
        if near:
            best = min(near, key=lambda i: dists[i][idx])
            hit[best] = True
        else:
            false_positives += 1
    hits = sum(hit)
    return FindResult(hits, n - hits, false_positives)


def line_length_mm(yx: Sequence[Sequence[float]], spacing_yx_mm: Sequence[float]) -> float:
    """Length in mm of a line between two ``(y, x)`` pixel positions."""
    (y0, x0), (y1, x1) = yx
    return float(np.hypot((y1 - y0) * spacing_yx_mm[0], (x1 - x0) * spacing_yx_mm[1]))


@dataclass(frozen=True)
class ItemScore:
    """One trainee's result on one item.

    Attributes:
        item_id: the item.
        kind: its kind.
        answered: whether an answer was given (unanswered items score 0).
        score: 0..1.
        correct: right/wrong where that applies (``None`` for *find*).
        detail: kind-specific numbers (hits/misses/false positives, error in mm...).
    """

    item_id: str
    kind: str
    answered: bool
    score: float
    correct: bool | None
    detail: dict[str, Any] = field(default_factory=dict)


def score_item(
    item_id: str,
    key: KeyItem,
    answer: dict[str, Any] | None,
    *,
    lesions_zyx: np.ndarray | None,
    spacing_mm: SpacingZYX,
    tolerance_mm: float,
    measure_tolerance_mm: float,
) -> ItemScore:
    """Score one answer (``None`` = unanswered) against its key entry.

    Args:
        lesions_zyx: the key's mask (for *find*; ``None`` for an item without lesion).
    """
    kind = key.kind
    if kind == "find":
        clicks = (answer or {}).get("clicks_zyx", [])
        mask = np.zeros((1, 1, 1), bool) if lesions_zyx is None else lesions_zyx
        r = score_find(clicks, mask, spacing_mm, tolerance_mm)
        answered = answer is not None
        detail: dict[str, Any] = {
            "hits": r.hits,
            "misses": r.misses,
            "false_positives": r.false_positives,
        }
        return ItemScore(item_id, kind, answered, r.score if answered else 0.0, None, detail)
    if answer is None or (kind == "measure" and answer.get("line") is None):
        return ItemScore(item_id, kind, False, 0.0, False)
    if kind == "measure":
        drawn = line_length_mm(answer["line"]["yx"], spacing_mm[1:])
        truth = float(key.long_axis_mm or 0.0)
        error = drawn - truth
        ok = abs(error) <= measure_tolerance_mm
        detail = {
            "drawn_mm": round(drawn, 2),
            "true_mm": round(truth, 2),
            "error_mm": round(error, 2),
        }
        return ItemScore(item_id, kind, True, float(ok), ok, detail)
    if kind == "real_or_synthetic":
        said = answer["verdict"] == "synthetic"
        ok = said == bool(key.synthetic)
        detail = {"confidence": int(answer.get("confidence", 3))}
        return ItemScore(item_id, kind, True, float(ok), ok, detail)
    if kind == "normal":
        ok = (answer["verdict"] == "abnormal") == key.has_lesion
        return ItemScore(item_id, kind, True, float(ok), ok)
    raise ValueError(f"unknown item kind {kind!r}")
