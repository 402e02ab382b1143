"""Answer sheets: validation, the trainee session, and answers that survive SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from liversynth.errors import LoadError
from liversynth.teaching.answers import (
    AnswerSheet,
    answers_path,
    check_answer,
    load_sheet,
    load_sheets,
)
from liversynth.teaching.item_io import write_item
from liversynth.teaching.quiz import KINDS, Quiz, QuizItem, save_quiz
from liversynth.teaching.session import QuizSession

ROOT = Path(__file__).resolve().parents[2]


def _tiny_quiz(folder: Path, kinds=("find", "real_or_synthetic", "measure", "normal")) -> Quiz:
    items = []
    for i, kind in enumerate(kinds):
        image = f"items/item_{i + 1:03d}.nii.gz"
        write_item(folder / image, np.full((3, 16, 16), 40 + i, np.int16), (2.0, 0.8, 0.8))
        items.append(QuizItem(f"item_{i + 1:03d}", kind, image, KINDS[kind]))
    quiz = Quiz("t", "", items, (2.0, 0.8, 0.8), (3, 16, 16), folder=folder)
    save_quiz(quiz, folder)
    return quiz


def test_check_answer_refuses_what_does_not_fit() -> None:
    assert check_answer("real_or_synthetic", {"verdict": "real"}) == {
        "verdict": "real",
        "confidence": 3,
    }
    for kind, bad in [
        ("real_or_synthetic", {"verdict": "maybe"}),
        ("real_or_synthetic", {"verdict": "real", "confidence": 7}),
        ("normal", {"verdict": "synthetic"}),
        ("find", {"clicks_zyx": [[1, 2]]}),
        ("measure", {"line": {"z": 0, "yx": [[1, 2]]}}),
    ]:
        with pytest.raises(ValueError):
            check_answer(kind, bad)


def test_session_saves_every_answer_and_reopens(tmp_path: Path) -> None:
    _tiny_quiz(tmp_path)
    s = QuizSession(tmp_path, "Dr. Ann Lee")
    assert s.sheet.path == tmp_path / "answers-Dr._Ann_Lee.json"
    s.add_click(1, 5.5, 6.0)
    s.go(1)
    s.set_confidence(5)  # before the verdict: kept, then saved with it
    s.set_verdict("synthetic")
    s.go(2)
    assert s.set_line(1, (0.0, 0.0), (0.0, 10.0)) == pytest.approx(8.0)
    s.go(3)
    s.set_verdict("abnormal")
    again = QuizSession(tmp_path, "Dr. Ann Lee")
    assert again.answered == 4 and again.index == 3  # continues on the last item shown
    assert again.sheet.answers["item_002"] == {"verdict": "synthetic", "confidence": 5}
    assert again.sheet.answers["item_001"] == {"clicks_zyx": [[1.0, 5.5, 6.0]]}
    again.submit()
    assert load_sheets(tmp_path)[0].submitted


def test_answers_of_another_quiz_version_are_refused(tmp_path: Path) -> None:
    _tiny_quiz(tmp_path)
    QuizSession(tmp_path, "ann").add_click(0, 1, 1)
    _tiny_quiz(tmp_path, kinds=("normal",))
    with pytest.raises(LoadError, match="another version"):
        QuizSession(tmp_path, "ann")


def test_corrupt_answers_file_is_a_load_error(tmp_path: Path) -> None:
    p = tmp_path / "answers-x.json"
    p.write_text("{not json")
    with pytest.raises(LoadError, match="answers-x.json"):
        load_sheet(p)


_WRITER = """
import sys
from liversynth.teaching.answers import AnswerSheet
sheet = AnswerSheet.open(sys.argv[1], "killed")
i = start = len(sheet.answers.get("item_001", {}).get("clicks_zyx", []))
while True:
    i += 1
    # Each answer rewrites the whole file; clicks grow 1, 2, 3, ... so a torn or mixed file shows.
    sheet.set_answer("item_001", "find", {"clicks_zyx": [[0, k, k] for k in range(i)]})
    sheet.set_answer("item_002", "real_or_synthetic", {"verdict": "real", "confidence": 1 + i % 5})
    if i == start + 3:
        print("writing", flush=True)
"""


@pytest.mark.slow
def test_answers_survive_sigkill_and_restart(tmp_path: Path) -> None:
    _tiny_quiz(tmp_path)
    path = answers_path(tmp_path, "killed")
    previous = 0
    for _round in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        time.sleep(0.4)  # hundreds of rewrites in flight
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        data = json.loads(path.read_text())  # never torn
        clicks = data["answers"]["item_001"]["clicks_zyx"]
        assert clicks == [[0, k, k] for k in range(len(clicks))] and len(clicks) >= 3
        sheet = AnswerSheet.open(tmp_path, "killed")  # the restart continues from there
        assert len(sheet.answers["item_001"]["clicks_zyx"]) == len(clicks)
        assert len(clicks) > previous
        previous = len(clicks)
    assert [p.name for p in load_sheets(tmp_path) and tmp_path.glob("answers-*.json")] == [
        path.name
    ]
