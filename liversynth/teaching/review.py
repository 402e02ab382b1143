"""A class's results: every trainee's answers scored against the key, and the reader study.

:func:`review_quiz` reads a teacher's quiz folder (``quiz.json``, ``key.json``, the masks and
every ``answers-*.json``); :func:`write_csv` writes one row per trainee and item.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from liversynth.atomic import atomic_write
from liversynth.teaching.answers import AnswerSheet, load_sheets
from liversynth.teaching.item_io import read_item
from liversynth.teaching.quiz import AnswerKey, Quiz, load_key, load_quiz
from liversynth.teaching.reader_study import Rating, ReaderStudy, reader_study
from liversynth.teaching.scoring import ItemScore, score_item


@dataclass
class TraineeResult:
    """One trainee's scored answers."""

    sheet: AnswerSheet
    scores: list[ItemScore]

    @property
    def trainee(self) -> str:
        return self.sheet.trainee

    @property
    def total(self) -> float:
        """Mean item score, 0..1 (unanswered items count as 0)."""
        return float(np.mean([s.score for s in self.scores])) if self.scores else 0.0

    def by_kind(self) -> dict[str, float]:
        """Mean score per item kind."""
        kinds: dict[str, list[float]] = {}
        for s in self.scores:
            kinds.setdefault(s.kind, []).append(s.score)
        return {k: float(np.mean(v)) for k, v in kinds.items()}


@dataclass
class ClassReview:
    """The quiz, its key, every trainee's result and the reader study."""

    quiz: Quiz
    key: AnswerKey
    results: list[TraineeResult]
    study: ReaderStudy

    def masks(self) -> dict[str, np.ndarray | None]:
        """The key's mask per item (uint8: 1 other lesion, 2 the item's lesion)."""
        assert self.quiz.folder is not None
        return {
            item_id: None if k.mask is None else read_item(self.quiz.folder / k.mask)[0]
            for item_id, k in self.key.items.items()
        }


def score_sheet(
    quiz: Quiz, key: AnswerKey, sheet: AnswerSheet, masks: dict[str, np.ndarray | None]
) -> TraineeResult:
    """Score every item of ``quiz`` for one trainee."""
    scores = [
        score_item(
            it.id,
            key.items[it.id],
            sheet.answers.get(it.id),
            lesions_zyx=masks.get(it.id),
            spacing_mm=quiz.spacing_mm,
            tolerance_mm=key.tolerance_mm,
            measure_tolerance_mm=key.measure_tolerance_mm,
        )
        for it in quiz.items
    ]
    return TraineeResult(sheet, scores)


def ratings_of(quiz: Quiz, key: AnswerKey, sheets: list[AnswerSheet]) -> list[Rating]:
    """Every answered *real or synthetic* rating of every trainee."""
    out = []
    for sheet in sheets:
        for it in quiz.items:
            answer = sheet.answers.get(it.id)
            if it.kind == "real_or_synthetic" and answer is not None:
                out.append(
                    Rating(
                        bool(key.items[it.id].synthetic),
                        answer["verdict"] == "synthetic",
                        int(answer.get("confidence", 3)),
                    )
                )
    return out


def review_quiz(folder: str | Path, *, method: str = "wilson") -> ClassReview:
    """Score every answers file in ``folder`` and compute the reader study.

    Raises:
        LoadError: the quiz, its key or an answers file is unreadable.
    """
    quiz, key = load_quiz(folder), load_key(folder)
    sheets = load_sheets(folder)
    review = ClassReview(quiz, key, [], reader_study(ratings_of(quiz, key, sheets), method))
    masks = review.masks()
    review.results = [score_sheet(quiz, key, s, masks) for s in sheets]
    return review


CSV_COLUMNS = (
    "trainee",
    "item",
    "kind",
    "answered",
    "score",
    "correct",
    "truth",
    "answer",
    "hits",
    "misses",
    "false_positives",
    "drawn_mm",
    "true_mm",
    "error_mm",
    "confidence",
    "source_case",
    "filler",
    "contrast_hu",
    "heterogeneity",
)


def _truth(k) -> str:
    if not k.has_lesion:
        return "no lesion"
    return "synthetic" if k.synthetic else "real"


def write_csv(review: ClassReview, path: str | Path) -> Path:
    """One row per trainee and item (:data:`CSV_COLUMNS`), written atomically."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for res in review.results:
        for s in res.scores:
            k = review.key.items[s.item_id]
            answer = res.sheet.answers.get(s.item_id) or {}
            appearance = k.appearance or {}
            w.writerow(
                {
                    "trainee": res.trainee,
                    "item": s.item_id,
                    "kind": s.kind,
                    "answered": int(s.answered),
                    "score": f"{s.score:.3f}",
                    "correct": "" if s.correct is None else int(s.correct),
                    "truth": _truth(k),
                    "answer": answer.get("verdict", ""),
                    **{c: s.detail.get(c, "") for c in CSV_COLUMNS[8:15]},
                    "source_case": k.source.get("case", ""),
                    "filler": k.filler or "",
                    "contrast_hu": appearance.get("contrast_hu", ""),
                    "heterogeneity": appearance.get("heterogeneity", ""),
                }
            )
    return atomic_write(path, buf.getvalue().encode("utf-8"))
