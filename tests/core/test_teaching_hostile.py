"""Quiz folders are read like every other file: hostile inputs give LoadError, never a hang."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from liversynth.errors import LoadError
from liversynth.teaching.answers import load_sheet
from liversynth.teaching.item_io import read_item, write_item
from liversynth.teaching.quiz import KINDS, Quiz, QuizItem, load_key, load_quiz, save_quiz


def _quiz(folder: Path) -> Path:
    write_item(folder / "items/item_001.nii.gz", np.zeros((3, 16, 16), np.int16), (2.0, 0.8, 0.8))
    item = QuizItem("item_001", "find", "items/item_001.nii.gz", KINDS["find"])
    save_quiz(Quiz("t", "", [item], (2.0, 0.8, 0.8), (3, 16, 16), folder=folder), folder)
    return folder / "quiz.json"


def _fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_fifos_are_refused_without_blocking(tmp_path: Path) -> None:
    quiz_json = _quiz(tmp_path)
    item = tmp_path / "items/item_001.nii.gz"
    _fifo(item)
    with pytest.raises(LoadError, match="FIFO"):
        read_item(item)
    _fifo(quiz_json)
    with pytest.raises(LoadError, match="FIFO"):
        load_quiz(tmp_path)
    with pytest.raises(LoadError, match="FIFO"):
        load_key(_fifo(tmp_path / "key.json").parent)
    with pytest.raises(LoadError, match="FIFO"):
        load_sheet(_fifo(tmp_path / "answers-x.json"))


@pytest.mark.parametrize(
    "text, reason",
    [
        ("[" * 100_000 + "]" * 100_000, "deeper"),  # json.loads would hit RecursionError
        ("[1, 2]", "JSON dict"),
        ('{"format": "liversynth-quiz", "version": "x"}', "whole number"),
        ('{"format": "liversynth-quiz", "version": 99}', "newer"),
        ("\xff\xfe", "UTF-8|JSON"),
    ],
)
def test_malformed_quiz_json_is_a_load_error(tmp_path: Path, text: str, reason: str) -> None:
    quiz_json = _quiz(tmp_path)
    fmt = json.loads(quiz_json.read_text())["format"]
    quiz_json.write_bytes(text.replace("liversynth-quiz", fmt).encode("utf-8", "surrogateescape"))
    with pytest.raises(LoadError, match=reason):
        load_quiz(tmp_path)


def test_deep_answers_file_is_a_load_error(tmp_path: Path) -> None:
    p = tmp_path / "answers-x.json"
    p.write_text('{"answers": ' + "[" * 50_000 + "]" * 50_000 + "}")
    with pytest.raises(LoadError, match="answers-x.json"):
        load_sheet(p)


def test_missing_quiz_says_what_to_check(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="quiz folder"):
        load_quiz(tmp_path)
