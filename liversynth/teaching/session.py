"""Taking a quiz, without Qt: the trainee view binds to a :class:`QuizSession`.

The session knows only what the trainee may know: ``quiz.json``, the item images and the
trainee's own answers. It never reads ``key.json``. Every answer is saved the moment it is
given (:class:`~liversynth.teaching.answers.AnswerSheet`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from liversynth.teaching.answers import AnswerSheet
from liversynth.teaching.item_io import read_item
from liversynth.teaching.quiz import Quiz, QuizItem, item_path, load_quiz
from liversynth.teaching.scoring import line_length_mm


class QuizSession:
    """One trainee taking one quiz.

    Args:
        folder: the quiz folder (the trainee's copy or the teacher's).
        trainee: the trainee's name (their answers file is ``answers-<name>.json``).

    Raises:
        LoadError: the quiz or the trainee's saved answers are unreadable.
    """

    def __init__(self, folder: str | Path, trainee: str) -> None:
        self.folder = Path(folder)
        self.quiz: Quiz = load_quiz(self.folder)
        self.sheet = AnswerSheet.open(self.folder, trainee)
        ids = [it.id for it in self.quiz.items]
        # A reopened quiz continues on the item that was on screen.
        self.index = ids.index(self.sheet.current_item) if self.sheet.current_item in ids else 0
        self._images: dict[str, np.ndarray] = {}
        self._pending_confidence: dict[str, int] = {}

    # -- navigation ------------------------------------------------------------------------
    @property
    def n_items(self) -> int:
        return len(self.quiz.items)

    @property
    def item(self) -> QuizItem:
        return self.quiz.items[self.index]

    def go(self, index: int) -> QuizItem:
        """Show item ``index`` (clamped to the quiz)."""
        self.index = int(np.clip(index, 0, self.n_items - 1))
        if self.sheet.current_item != self.item.id and not self.sheet.submitted:
            self.sheet.current_item = self.item.id
            if self.sheet.answers:  # no file for a trainee who only looked
                self.sheet.save()
        return self.item

    def image(self, item: QuizItem | None = None) -> np.ndarray:
        """The item's HU ``(z, y, x)`` (read once, then cached)."""
        item = item or self.item
        if item.id not in self._images:
            self._images[item.id] = read_item(item_path(self.quiz, item))[0]
        return self._images[item.id]

    @property
    def answered(self) -> int:
        """How many items have an answer."""
        return sum(1 for it in self.quiz.items if self.is_answered(it))

    def is_answered(self, item: QuizItem) -> bool:
        answer = self.sheet.answers.get(item.id)
        if answer is None:
            return False
        if item.kind == "measure":
            return answer.get("line") is not None
        return True

    def answer(self, item: QuizItem | None = None) -> dict[str, Any]:
        """The answer given to the item ({} if none)."""
        return dict(self.sheet.answers.get((item or self.item).id, {}))

    # -- answering -------------------------------------------------------------------------
    def _set(self, answer: dict[str, Any]) -> None:
        self.sheet.set_answer(self.item.id, self.item.kind, answer)

    def add_click(self, z: float, y: float, x: float) -> None:
        """*find*: a lesion seen at item voxel ``(z, y, x)``."""
        clicks = self.answer().get("clicks_zyx", [])
        self._set({"clicks_zyx": [*clicks, [float(z), float(y), float(x)]]})

    def remove_click(self, i: int) -> None:
        """*find*: forget click ``i``."""
        clicks = self.answer().get("clicks_zyx", [])
        del clicks[i]
        self._set({"clicks_zyx": clicks})

    def clear_clicks(self) -> None:
        """*find*: no lesion seen (an answer too: an empty list)."""
        self._set({"clicks_zyx": []})

    def set_line(self, z: int, p0: tuple[float, float], p1: tuple[float, float]) -> float:
        """*measure*: the drawn long axis; returns its length in mm."""
        self._set({"line": {"z": int(z), "yx": [list(p0), list(p1)]}})
        return line_length_mm([p0, p1], self.quiz.spacing_mm[1:])

    def set_verdict(self, verdict: str) -> None:
        """*real or synthetic* (``real``/``synthetic``) or *normal* (``normal``/``abnormal``)."""
        answer: dict[str, Any] = {"verdict": verdict}
        if self.item.kind == "real_or_synthetic":
            answer["confidence"] = self._pending_confidence.get(
                self.item.id, self.answer().get("confidence", 3)
            )
        self._set(answer)

    def set_confidence(self, confidence: int) -> None:
        """*real or synthetic*: 1 (guess) .. 5 (sure); kept until a verdict is given."""
        self._pending_confidence[self.item.id] = int(confidence)
        verdict = self.answer().get("verdict")
        if verdict is not None:
            self._set({"verdict": verdict, "confidence": int(confidence)})

    def confidence(self) -> int | None:
        """*real or synthetic*: the confidence given (saved, or chosen before a verdict)."""
        saved = self.answer().get("confidence")
        return self._pending_confidence.get(self.item.id, saved)

    # -- time ------------------------------------------------------------------------------
    def tick(self, seconds: float) -> None:
        """Add time spent (saved with the next answer, or now if the quiz is timed)."""
        self.sheet.elapsed_s += float(seconds)
        if self.quiz.time_limit_s is not None:
            self.sheet.save()

    @property
    def time_left_s(self) -> float | None:
        """Seconds left under the time limit (``None`` when untimed)."""
        if self.quiz.time_limit_s is None:
            return None
        return max(0.0, self.quiz.time_limit_s - self.sheet.elapsed_s)

    def submit(self) -> None:
        """Hand the quiz in."""
        self.sheet.submit()
