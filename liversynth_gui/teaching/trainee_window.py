"""The trainee view: one item at a time, the answer controls of its kind, nothing else.

No ground truth, difference, metrics, overlays or filler controls exist in this window; it is
built from a :class:`~liversynth.teaching.session.QuizSession`, which never reads the key.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from liversynth.teaching.session import QuizSession
from liversynth_gui.panels.common import group
from liversynth_gui.teaching.controls import WindowLevel, choice_row, set_checked
from liversynth_gui.teaching.image_pane import ImagePane

_HINTS = {
    "find": "Click on each lesion (on the slice where you see it). Clicks so far: {n}.",
    "measure": "Drag across the lesion's longest diameter. {length}",
    "real_or_synthetic": "Choose an answer and how sure you are (1 = guess, 5 = certain).",
    "normal": "Choose an answer.",
}


def confirm_submit(parent: QtWidgets.QWidget, unanswered: int) -> bool:
    """Ask before handing in (tests replace this function)."""
    text = "Hand in your answers now?"
    if unanswered:
        text += f"\n\n{unanswered} item(s) have no answer yet."
    answer = QtWidgets.QMessageBox.question(parent, "Submit", text)
    return answer == QtWidgets.QMessageBox.StandardButton.Yes


class TraineeWindow(QtWidgets.QMainWindow):
    """Take a quiz.

    Args:
        session: the quiz and the trainee's answers.
        on_submitted: called after Submit (the teacher's copy opens the review).
    """

    def __init__(
        self, session: QuizSession, on_submitted: Callable[[], None] | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.on_submitted = on_submitted
        quiz = session.quiz
        self.setWindowTitle(f"LiverSynth quiz — {quiz.title}")
        self.resize(1400, 900)
        self.pane = ImagePane()
        self.pane.box.on_click = self._clicked
        self.levels = WindowLevel(quiz.window.get("width", 400), quiz.window.get("level", 40))
        self.levels.changed.connect(self.pane.set_window)
        self.pane.set_window(self.levels.width_box.value(), self.levels.level_box.value())
        self._drag_start: tuple[float, float] | None = None
        self._build_panel()
        split = QtWidgets.QSplitter()
        split.addWidget(self.pane)
        split.addWidget(self.panel_scroll)
        split.setStretchFactor(0, 1)
        split.setSizes([980, 420])
        self.setCentralWidget(split)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        for key, step in (("Right", 1), ("Left", -1)):
            act = QtGui.QAction(self)
            act.setShortcut(QtGui.QKeySequence(key))
            act.triggered.connect(lambda _=False, s=step: self.go(self.session.index + s))
            self.addAction(act)
        self.go(session.index)
        if not session.sheet.submitted:
            self.timer.start()
        else:
            self._lock()

    # -- panel -----------------------------------------------------------------------------
    def _build_panel(self) -> None:
        quiz = self.session.quiz
        self.instructions = QtWidgets.QLabel(quiz.instructions)
        self.instructions.setWordWrap(True)
        self.progress_label = QtWidgets.QLabel()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, self.session.n_items)
        self.progress.setFormat("%v of %m answered")
        self.timer_label = QtWidgets.QLabel()
        self.question = QtWidgets.QLabel()
        self.question.setWordWrap(True)
        self.question.setObjectName("viewTitle")
        self.hint = QtWidgets.QLabel()
        self.hint.setWordWrap(True)

        self.find_box = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(self.find_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.undo_click = QtWidgets.QPushButton("Undo last click")
        self.no_lesion = QtWidgets.QPushButton("I see no lesion")
        self.undo_click.clicked.connect(self._undo_click)
        self.no_lesion.clicked.connect(self._no_lesion)
        row.addWidget(self.undo_click)
        row.addWidget(self.no_lesion)

        self.verdict_box = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(self.verdict_box)
        col.setContentsMargins(0, 0, 0, 0)
        ros, self.ros_buttons = choice_row(
            ["Real", "Synthetic"], self._verdict, keys=["real", "synthetic"]
        )
        col.addLayout(ros)
        self.confidence_label = QtWidgets.QLabel("How sure are you?")
        col.addWidget(self.confidence_label)
        conf, self.confidence_buttons = choice_row(
            ["1", "2", "3", "4", "5"],
            lambda k: self.session.set_confidence(int(k)) or self._refresh(),
        )
        col.addLayout(conf)
        self.normal_box = QtWidgets.QWidget()
        nrow, self.normal_buttons = choice_row(
            ["Normal", "Abnormal"], self._verdict, keys=["normal", "abnormal"]
        )
        self.normal_box.setLayout(nrow)

        self.measure_box = QtWidgets.QWidget()
        mrow = QtWidgets.QHBoxLayout(self.measure_box)
        mrow.setContentsMargins(0, 0, 0, 0)
        self.clear_line = QtWidgets.QPushButton("Clear line")
        self.clear_line.clicked.connect(self._clear_line)
        mrow.addWidget(self.clear_line)

        nav = QtWidgets.QHBoxLayout()
        self.prev_button = QtWidgets.QPushButton("◀ Previous")
        self.next_button = QtWidgets.QPushButton("Next ▶")
        self.prev_button.clicked.connect(lambda: self.go(self.session.index - 1))
        self.next_button.clicked.connect(lambda: self.go(self.session.index + 1))
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        self.submit_button = QtWidgets.QPushButton("Submit")
        self.submit_button.clicked.connect(lambda: self.submit(confirm=True))
        self.done_label = QtWidgets.QLabel()
        self.done_label.setWordWrap(True)

        answer = QtWidgets.QVBoxLayout()
        for w in (
            self.question,
            self.hint,
            self.find_box,
            self.verdict_box,
            self.normal_box,
            self.measure_box,
        ):
            answer.addWidget(w)
        top = QtWidgets.QVBoxLayout()
        for w in (self.instructions, self.progress_label, self.progress, self.timer_label):
            top.addWidget(w)
        navl = QtWidgets.QVBoxLayout()
        navl.addLayout(nav)
        navl.addWidget(self.submit_button)
        navl.addWidget(self.done_label)
        wl = QtWidgets.QVBoxLayout()
        wl.addWidget(self.levels)
        panel = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(panel)
        lay.addWidget(group("Quiz", top))
        lay.addWidget(group("Question", answer))
        lay.addWidget(group("Navigate", navl))
        lay.addWidget(group("Window / level", wl))
        lay.addStretch(1)
        self.panel_scroll = QtWidgets.QScrollArea()
        self.panel_scroll.setWidget(panel)
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setMinimumWidth(360)

    # -- navigation ------------------------------------------------------------------------
    def go(self, index: int) -> None:
        """Show item ``index``."""
        item = self.session.go(index)
        self.pane.set_volume(self.session.image(item))
        self.pane.box.on_drag = self._dragged if item.kind == "measure" else None
        self._refresh()
        self.pane.setFocus()

    def _refresh(self) -> None:
        s, item = self.session, self.session.item
        answer = s.answer()
        self.progress_label.setText(f"Item {s.index + 1} of {s.n_items}")
        self.progress.setValue(s.answered)
        self.question.setText(item.question)
        kind = item.kind
        self.find_box.setVisible(kind == "find")
        self.verdict_box.setVisible(kind == "real_or_synthetic")
        self.normal_box.setVisible(kind == "normal")
        self.measure_box.setVisible(kind == "measure")
        clicks = answer.get("clicks_zyx", [])
        line = answer.get("line")
        length = ""
        if line is not None:
            from liversynth.teaching.scoring import line_length_mm

            length = f"Your line: {line_length_mm(line['yx'], s.quiz.spacing_mm[1:]):.1f} mm."
        self.hint.setText(_HINTS[kind].format(n=len(clicks), length=length))
        set_checked(
            self.ros_buttons, answer.get("verdict") if kind == "real_or_synthetic" else None
        )
        conf = s.confidence() if kind == "real_or_synthetic" else None
        set_checked(self.confidence_buttons, None if conf is None else str(conf))
        set_checked(self.normal_buttons, answer.get("verdict") if kind == "normal" else None)
        self.pane.set_marks(
            clicks,
            None if line is None else (line["z"], line["yx"][0], line["yx"][1]),
            line_text=length.removeprefix("Your line: ").rstrip("."),
        )
        self.prev_button.setEnabled(s.index > 0)
        self.next_button.setEnabled(s.index < s.n_items - 1)
        self._show_time()

    # -- answers ---------------------------------------------------------------------------
    def _editable(self) -> bool:
        return not self.session.sheet.submitted

    def _clicked(self, y: float, x: float) -> None:
        if self.session.item.kind == "find" and self._editable():
            self.session.add_click(self.pane.z, round(y, 1), round(x, 1))
            self._refresh()

    def _undo_click(self) -> None:
        if self.session.answer().get("clicks_zyx") and self._editable():
            self.session.remove_click(-1)
            self._refresh()

    def _no_lesion(self) -> None:
        if self._editable():
            self.session.clear_clicks()
            self._refresh()

    def _dragged(self, phase: str, y: float, x: float) -> None:
        if not self._editable():
            return
        if phase == "start":
            self._drag_start = (y, x)
            return
        if self._drag_start is None:
            return
        p0, p1 = self._drag_start, (round(y, 1), round(x, 1))
        p0 = (round(p0[0], 1), round(p0[1], 1))
        if phase == "finish":
            self._drag_start = None
            self.session.set_line(self.pane.z, p0, p1)
            self._refresh()
        else:
            self.pane.set_marks(line=(self.pane.z, p0, p1))

    def _clear_line(self) -> None:
        if self._editable():
            self.session.sheet.clear_answer(self.session.item.id)
            self._refresh()

    def _confidence(self, text: str) -> None:
        if self._editable():
            self.session.set_confidence(int(text))
        self._refresh()

    def _verdict(self, verdict: str) -> None:
        if self._editable():
            self.session.set_verdict(verdict)
        self._refresh()

    # -- time and submission ---------------------------------------------------------------
    def _tick(self) -> None:
        self.session.tick(1.0)
        self._show_time()
        left = self.session.time_left_s
        if left is not None and left <= 0:
            self.submit(confirm=False)

    def _show_time(self) -> None:
        left = self.session.time_left_s
        secs = self.session.sheet.elapsed_s if left is None else left
        m, s = divmod(int(secs), 60)
        self.timer_label.setText(
            ("Time left" if left is not None else "Time") + f" {m:02d}:{s:02d}"
        )

    def submit(self, *, confirm: bool = True) -> bool:
        """Hand in; returns whether it was handed in."""
        unanswered = self.session.n_items - self.session.answered
        if confirm and not confirm_submit(self, unanswered):
            return False
        self.session.submit()
        self._lock()
        if self.on_submitted is not None:
            self.on_submitted()
        return True

    def _lock(self) -> None:
        self.timer.stop()
        for w in (
            self.find_box,
            self.verdict_box,
            self.normal_box,
            self.measure_box,
            self.submit_button,
        ):
            w.setEnabled(False)
        self.done_label.setText(
            f"Submitted. Your answers are in {self.session.sheet.path.name}; "
            "send that file to your teacher."
        )

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.timer.stop()
        self.session.sheet.save()  # the time spent so far
        event.accept()
