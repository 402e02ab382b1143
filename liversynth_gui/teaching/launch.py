"""Open a quiz: the trainee view (``liversynth --quiz DIR``) or the review (``--review``)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from liversynth.errors import LiverSynthError
from liversynth.teaching.quiz import has_key
from liversynth.teaching.session import QuizSession
from liversynth_gui import dialogs
from liversynth_gui.teaching.review_window import ReviewWindow
from liversynth_gui.teaching.trainee_window import TraineeWindow


def ask_trainee_name(parent: QtWidgets.QWidget | None) -> str | None:
    """Ask the trainee's name (tests replace this function)."""
    name, ok = QtWidgets.QInputDialog.getText(
        parent, "Your name", "Your name (your answers are saved under it):"
    )
    return name.strip() if ok and name.strip() else None


def open_quiz_window(
    folder: str | Path,
    *,
    trainee: str | None = None,
    review: bool = False,
    parent: QtWidgets.QWidget | None = None,
) -> QtWidgets.QMainWindow | None:
    """The window for a quiz folder (``None`` when cancelled or unreadable, after saying why).

    The trainee view of a teacher's copy (with ``key.json``) opens the review on Submit.
    """
    try:
        if review:
            return ReviewWindow(folder)
        name = trainee or ask_trainee_name(parent)
        if not name:
            return None
        session = QuizSession(folder, name)
    except LiverSynthError as err:
        dialogs.show_error(parent, "Cannot open the quiz", err)
        return None
    window = TraineeWindow(session)
    if has_key(folder):

        def _review() -> None:
            try:
                window.review_window = ReviewWindow(folder)  # type: ignore[attr-defined]
            except LiverSynthError as err:
                dialogs.show_error(window, "Cannot open the review", err)
                return
            window.review_window.show()  # type: ignore[attr-defined]

        window.on_submitted = _review
    return window


def run_quiz_app(folder: Path, *, trainee: str | None, review: bool) -> int:
    """``liversynth --quiz DIR``: run the app with only the quiz window; the exit code."""
    window = open_quiz_window(folder, trainee=trainee, review=review)
    if window is None:
        return 2
    window.show()
    return int(QtWidgets.QApplication.instance().exec())  # type: ignore[union-attr]
