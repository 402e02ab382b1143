"""Autosave: throttled writes driven by tick(now), crash recovery, clean exit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from authoring_cases import small_case

from liversynth.authoring import Document
from liversynth.authoring.autosave import (
    AUTOSAVE_ENV,
    Autosaver,
    default_autosave_dir,
    find_recoverable,
    recover,
    remove_autosave,
)
from liversynth.authoring.session import save_session


def _dead(pid: int, host: str) -> bool:
    return False


def _paint(doc: Document, col: float) -> None:
    doc.begin_stroke("paint", radius_px=2)
    doc.stroke_to(20, col)
    doc.end_stroke()


def test_tick_saves_only_dirty_changed_work_at_most_every_interval(tmp_path: Path) -> None:
    doc = Document(small_case())
    saver = Autosaver(doc, tmp_path, interval_s=10.0, session_id="s1")
    assert not saver.tick(0.0)  # nothing to save yet
    assert not saver.path.exists()
    _paint(doc, 15)
    assert saver.tick(1.0) and saver.path.exists()
    _paint(doc, 25)
    assert not saver.tick(5.0)  # too soon
    assert saver.tick(11.5)
    assert not saver.tick(30.0)  # dirty, but unchanged since the last autosave
    assert doc.dirty  # autosave is not a user save


def test_crash_leaves_a_recoverable_session(tmp_path: Path) -> None:
    doc = Document(small_case())
    saver = Autosaver(doc, tmp_path, session_id="crashed")
    _paint(doc, 20)
    saver.tick(0.0)
    # "crash": no discard(). The process that wrote it is gone on the next start.
    found = find_recoverable(tmp_path, is_alive=_dead)
    assert found == [saver.path]
    back = recover(found[0], case=small_case())
    assert back.dirty and back.session_path is None
    np.testing.assert_array_equal(back.mask_for(doc.slice_index), doc.mask)
    remove_autosave(found[0])
    assert find_recoverable(tmp_path, is_alive=_dead) == []


def test_a_running_instance_is_not_offered(tmp_path: Path) -> None:
    doc = Document(small_case())
    saver = Autosaver(doc, tmp_path)
    _paint(doc, 20)
    saver.tick(0.0)
    assert find_recoverable(tmp_path) == []  # this very process holds the lock
    lock = json.loads(saver.lock_path.read_text())
    assert lock["pid"] == os.getpid()


def test_clean_exit_discards_the_autosave(tmp_path: Path) -> None:
    doc = Document(small_case())
    saver = Autosaver(doc, tmp_path)
    _paint(doc, 20)
    saver.tick(0.0)
    saver.discard()
    assert list(tmp_path.iterdir()) == []
    assert find_recoverable(tmp_path, is_alive=_dead) == []


def test_recovery_remembers_the_users_session_file(tmp_path: Path) -> None:
    doc = Document(small_case())
    user_file = tmp_path / "mine.lsession"
    _paint(doc, 20)
    save_session(doc, user_file)
    saver = Autosaver(doc, tmp_path / "auto")
    _paint(doc, 30)
    saver.tick(0.0)
    (found,) = find_recoverable(tmp_path / "auto", is_alive=_dead)
    assert recover(found, case=small_case()).session_path == str(user_file)


def test_lock_without_session_and_missing_folder_are_ignored(tmp_path: Path) -> None:
    Autosaver(Document(small_case()), tmp_path)  # lock written, never saved
    assert find_recoverable(tmp_path, is_alive=_dead) == []
    assert find_recoverable(tmp_path / "absent") == []


def test_autosave_folder_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(AUTOSAVE_ENV, str(tmp_path / "here"))
    assert default_autosave_dir() == tmp_path / "here"
    monkeypatch.delenv(AUTOSAVE_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_autosave_dir() == tmp_path / "xdg" / "liversynth" / "autosave"


def test_failing_autosave_is_reported_not_raised(tmp_path: Path) -> None:
    doc = Document(small_case())
    saver = Autosaver(doc, tmp_path)
    _paint(doc, 20)
    saver.path.mkdir()  # a folder where the file should go: the rename fails
    assert not saver.tick(0.0)
    assert saver.last_error and str(saver.path) in saver.last_error


def test_switching_documents_saves_the_new_one(tmp_path: Path) -> None:
    first = Document(small_case())
    saver = Autosaver(first, tmp_path, interval_s=60.0)
    _paint(first, 20)
    assert saver.tick(0.0)
    second = Document(small_case())
    _paint(second, 30)
    assert second.revision == first.revision  # same history, so revision numbers collide
    saver.doc = second
    assert saver.tick(1.0)  # not "unchanged", not "too soon": it is another document
    (found,) = find_recoverable(tmp_path, is_alive=_dead)
    np.testing.assert_array_equal(recover(found, case=small_case()).mask, second.mask)
