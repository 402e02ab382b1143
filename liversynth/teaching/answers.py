"""A trainee's answers, saved as they go: ``answers-<name>.json`` next to ``quiz.json``.

Every change rewrites the whole (small) file through :func:`liversynth.atomic.atomic_write`,
so a crash, a kill or a power cut leaves either the previous answers or the new ones, never a
torn file. Reopening the quiz with the same name continues where the trainee stopped.

Answers per kind (JSON):

- ``find``: ``{"clicks_zyx": [[z, y, x], ...]}`` (item voxel indices);
- ``real_or_synthetic``: ``{"verdict": "real" | "synthetic", "confidence": 1..5}``;
- ``measure``: ``{"line": {"z": k, "yx": [[y0, x0], [y1, x1]]}}``;
- ``normal``: ``{"verdict": "normal" | "abnormal"}``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liversynth.atomic import atomic_write
from liversynth.errors import LoadError
from liversynth.teaching.quiz import QUIZ_FILE

ANSWERS_FORMAT = "liversynth-quiz-answers"
_VERDICTS = {
    "real_or_synthetic": ("real", "synthetic"),
    "normal": ("normal", "abnormal"),
}


def quiz_id(folder: str | Path) -> str:
    """A short fingerprint of ``quiz.json`` (answers name the quiz they belong to)."""
    return hashlib.sha256((Path(folder) / QUIZ_FILE).read_bytes()).hexdigest()[:16]


def answers_path(folder: str | Path, trainee: str) -> Path:
    """``folder/answers-<name>.json`` with the name reduced to safe characters."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", trainee.strip()).strip("._") or "trainee"
    return Path(folder) / f"answers-{safe[:64]}.json"


def check_answer(kind: str, answer: dict[str, Any]) -> dict[str, Any]:
    """Validate one answer for an item of ``kind``; returns a clean JSON-able copy.

    Raises:
        ValueError: the answer does not fit the kind.
    """
    if kind == "find":
        clicks = [[float(v) for v in c] for c in answer.get("clicks_zyx", [])]
        if any(len(c) != 3 for c in clicks):
            raise ValueError("find clicks are [z, y, x] triples")
        return {"clicks_zyx": clicks}
    if kind == "measure":
        line = answer.get("line")
        if line is None:
            return {"line": None}
        yx = [[float(v) for v in p] for p in line["yx"]]
        if len(yx) != 2 or any(len(p) != 2 for p in yx):
            raise ValueError("a measuring line has two [y, x] end points")
        return {"line": {"z": int(line["z"]), "yx": yx}}
    if kind in _VERDICTS:
        verdict = answer.get("verdict")
        if verdict not in _VERDICTS[kind]:
            raise ValueError(f"{kind} verdict must be one of {_VERDICTS[kind]}, got {verdict!r}")
        out: dict[str, Any] = {"verdict": verdict}
        if kind == "real_or_synthetic":
            confidence = int(answer.get("confidence", 3))
            if not 1 <= confidence <= 5:
                raise ValueError(f"confidence must be 1..5, got {confidence}")
            out["confidence"] = confidence
        return out
    raise ValueError(f"unknown item kind {kind!r}")


@dataclass
class AnswerSheet:
    """One trainee's answers to one quiz.

    Attributes:
        path: the answers file.
        trainee: the name typed at the start.
        quiz_id: :func:`quiz_id` of the quiz answered.
        answers: item id → answer (see the module docstring).
        elapsed_s: time spent so far (the timer survives a restart).
        submitted: the trainee pressed Submit.
        current_item: the item on screen last (a reopened quiz continues there).
    """

    path: Path
    trainee: str
    quiz_id: str
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    elapsed_s: float = 0.0
    submitted: bool = False
    current_item: str | None = None

    @classmethod
    def open(cls, folder: str | Path, trainee: str) -> AnswerSheet:
        """The trainee's sheet for the quiz in ``folder``: the saved one, or a new one.

        Raises:
            LoadError: the saved file is unreadable or belongs to another quiz.
        """
        path = answers_path(folder, trainee)
        qid = quiz_id(folder)
        if path.is_file():
            sheet = load_sheet(path)
            if sheet.quiz_id != qid:
                raise LoadError(path, "these answers belong to another version of the quiz")
            return sheet
        return cls(path, trainee.strip() or "trainee", qid)

    def set_answer(self, item_id: str, kind: str, answer: dict[str, Any]) -> None:
        """Record (and save) the answer to one item."""
        self.answers[item_id] = check_answer(kind, answer)
        self.save()

    def clear_answer(self, item_id: str) -> None:
        """Forget the answer to one item (and save)."""
        if self.answers.pop(item_id, None) is not None:
            self.save()

    def submit(self) -> None:
        """Mark the quiz as handed in (and save)."""
        self.submitted = True
        self.save()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ANSWERS_FORMAT,
            "version": 1,
            "trainee": self.trainee,
            "quiz_id": self.quiz_id,
            "elapsed_s": round(float(self.elapsed_s), 1),
            "submitted": self.submitted,
            "current_item": self.current_item,
            "answers": self.answers,
        }

    def save(self) -> Path:
        """Write the sheet atomically (old or new content survives any crash)."""
        data = (json.dumps(self.to_json(), indent=1) + "\n").encode("utf-8")
        return atomic_write(self.path, data)


def load_sheet(path: str | Path) -> AnswerSheet:
    """Read an answers file.

    Raises:
        LoadError: unreadable, not an answers file, or too large.
    """
    path = Path(path)
    try:
        if path.stat().st_size > 8 * 1024 * 1024:
            raise LoadError(path, "answers file is larger than 8 MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LoadError(path, f"not a readable answers file ({err})") from None
    if not isinstance(data, dict) or data.get("format") != ANSWERS_FORMAT:
        raise LoadError(path, "not a LiverSynth quiz answers file")
    try:
        return AnswerSheet(
            path,
            str(data["trainee"]),
            str(data["quiz_id"]),
            {str(k): dict(v) for k, v in data.get("answers", {}).items()},
            float(data.get("elapsed_s", 0.0)),
            bool(data.get("submitted", False)),
            None if data.get("current_item") is None else str(data["current_item"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise LoadError(path, f"malformed answers file ({err!r})") from None


def load_sheets(folder: str | Path) -> list[AnswerSheet]:
    """Every ``answers-*.json`` in ``folder`` (sorted by file name)."""
    return [load_sheet(p) for p in sorted(Path(folder).glob("answers-*.json"))]
