"""The review: each trainee's answer against the truth, scores, and the class reader study.

Opened by a teacher on a quiz folder that holds the key and the collected
``answers-<name>.json`` files (or right after a teacher's own Submit).
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from liversynth.teaching.item_io import read_item
from liversynth.teaching.quiz import KeyItem, item_path
from liversynth.teaching.report import summary_lines, write_report
from liversynth.teaching.review import ClassReview, review_quiz, write_csv
from liversynth.teaching.scoring import ItemScore
from liversynth_gui import dialogs
from liversynth_gui.panels.common import group
from liversynth_gui.teaching.controls import WindowLevel
from liversynth_gui.teaching.image_pane import ImagePane

_ITEM_COLUMNS = ("Item", "Kind", "Truth", "Answer", "Score")


def truth_text(k: KeyItem) -> str:
    """What an item really was, in words."""
    if not k.has_lesion:
        return "no lesion"
    if not k.synthetic:
        return "real lesion"
    app = k.appearance or {}
    parts = [f"synthetic: {k.filler}"]
    if app.get("contrast_hu") is not None:
        parts.append(f"{app['contrast_hu']:+.0f} HU")
    if app.get("heterogeneity") is not None:
        parts.append(f"het. {app['heterogeneity']:.2f}")
    return ", ".join(parts)


def answer_text(score: ItemScore, answer: dict | None) -> str:
    """A trainee's answer and its details, in words."""
    if not score.answered:
        return "—"
    d = score.detail
    if score.kind == "find":
        return f"{d['hits']} hit, {d['misses']} missed, {d['false_positives']} false +"
    if score.kind == "measure":
        return f"{d['drawn_mm']:.1f} mm (truth {d['true_mm']:.1f}, error {d['error_mm']:+.1f})"
    verdict = (answer or {}).get("verdict", "")
    if score.kind == "real_or_synthetic":
        return f"{verdict}, confidence {d.get('confidence', '')}"
    return verdict


class ReviewWindow(QtWidgets.QMainWindow):
    """Review a class's answers to the quiz in ``folder``.

    Raises:
        LoadError: the quiz, the key or an answers file is unreadable.
    """

    def __init__(self, folder: str | Path) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.review: ClassReview = review_quiz(self.folder)
        self._masks = self.review.masks()
        self.setWindowTitle(f"LiverSynth quiz review — {self.review.quiz.title}")
        self.resize(1500, 950)
        self.pane = ImagePane()
        self.levels = WindowLevel(
            **{k: v for k, v in self.review.quiz.window.items() if k in ("width", "level")}
        )
        self.levels.changed.connect(self.pane.set_window)
        self.pane.set_window(self.levels.width_box.value(), self.levels.level_box.value())
        self.trainee = QtWidgets.QComboBox()
        self.trainee.addItems([r.trainee for r in self.review.results])
        self.items = QtWidgets.QTableWidget(0, len(_ITEM_COLUMNS))
        self.items.setHorizontalHeaderLabels(_ITEM_COLUMNS)
        self.items.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items.horizontalHeader().setStretchLastSection(True)
        self.detail = QtWidgets.QLabel()
        self.detail.setWordWrap(True)
        self.scores = QtWidgets.QTableWidget(0, 0)
        self.scores.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary = QtWidgets.QLabel("\n".join(summary_lines(self.review)))
        self.summary.setWordWrap(True)
        self.summary.setObjectName("metricValue")
        export_csv = QtWidgets.QPushButton("Export CSV…")
        export_report = QtWidgets.QPushButton("Export report (PNG/PDF)…")
        export_csv.clicked.connect(self.export_csv)
        export_report.clicked.connect(self.export_report)
        self._layout(export_csv, export_report)
        self.trainee.currentIndexChanged.connect(self._fill_items)
        self.items.currentCellChanged.connect(lambda row, *_: self.show_item(row))
        self._fill_scores()
        self._fill_items()

    def _layout(self, *buttons: QtWidgets.QPushButton) -> None:
        left = QtWidgets.QVBoxLayout()
        left.addWidget(QtWidgets.QLabel("Trainee"))
        left.addWidget(self.trainee)
        left.addWidget(self.items, 1)
        left.addWidget(self.detail)
        lw = QtWidgets.QWidget()
        lw.setLayout(left)
        right = QtWidgets.QVBoxLayout()
        sbox = QtWidgets.QVBoxLayout()
        sbox.addWidget(self.scores)
        right.addWidget(group("Scores per trainee", sbox), 1)
        rbox = QtWidgets.QVBoxLayout()
        rbox.addWidget(self.summary)
        right.addWidget(group("Reader study: real or synthetic?", rbox))
        wl = QtWidgets.QVBoxLayout()
        wl.addWidget(self.levels)
        right.addWidget(group("Window / level", wl))
        for b in buttons:
            right.addWidget(b)
        rw = QtWidgets.QWidget()
        rw.setLayout(right)
        split = QtWidgets.QSplitter()
        for w in (lw, self.pane, rw):
            split.addWidget(w)
        split.setSizes([560, 560, 420])
        self.setCentralWidget(split)

    # -- tables ----------------------------------------------------------------------------
    def _fill_scores(self) -> None:
        kinds = sorted({s.kind for r in self.review.results for s in r.scores})
        short = {
            "real_or_synthetic": "real/syn.",
            "measure": "measure",
            "find": "find",
            "normal": "normal",
        }
        cols = ["Trainee", "Total", *(short.get(k, k) for k in kinds), "Submitted"]
        self.scores.setColumnCount(len(cols))
        self.scores.setHorizontalHeaderLabels(cols)
        self.scores.setRowCount(len(self.review.results))
        for i, r in enumerate(self.review.results):
            per = r.by_kind()
            values = [r.trainee, f"{100 * r.total:.0f}%"]
            values += [f"{100 * per[k]:.0f}%" if k in per else "" for k in kinds]
            values.append("yes" if r.sheet.submitted else "no")
            for j, v in enumerate(values):
                self.scores.setItem(i, j, QtWidgets.QTableWidgetItem(v))
        self.scores.resizeColumnsToContents()

    def _fill_items(self) -> None:
        self.items.setRowCount(0)
        if not self.review.results:
            return
        res = self.review.results[max(0, self.trainee.currentIndex())]
        self.items.setRowCount(len(res.scores))
        for i, s in enumerate(res.scores):
            k = self.review.key.items[s.item_id]
            values = [
                s.item_id,
                s.kind,
                truth_text(k),
                answer_text(s, res.sheet.answers.get(s.item_id)),
                f"{100 * s.score:.0f}%",
            ]
            for j, v in enumerate(values):
                cell = QtWidgets.QTableWidgetItem(v)
                if j == 4:
                    cell.setForeground(
                        QtCore.Qt.GlobalColor.green if s.score >= 0.5 else QtCore.Qt.GlobalColor.red
                    )
                self.items.setItem(i, j, cell)
        self.items.resizeColumnsToContents()
        self.items.selectRow(0)
        self.show_item(0)

    def show_item(self, row: int) -> None:
        """Show item ``row`` with its lesion outline and the selected trainee's marks."""
        quiz = self.review.quiz
        if not 0 <= row < len(quiz.items):
            return
        item = quiz.items[row]
        k = self.review.key.items[item.id]
        hu = read_item(item_path(quiz, item))[0]
        self.pane.set_volume(hu, truth_zyx=self._masks.get(item.id))
        answer = {}
        if self.review.results:
            answer = (
                self.review.results[max(0, self.trainee.currentIndex())].sheet.answers.get(item.id)
                or {}
            )
        line = answer.get("line")
        truth_line = None if not k.long_axis else (k.long_axis["z"], *k.long_axis["yx"])
        self.pane.set_marks(
            answer.get("clicks_zyx", []),
            None if line is None else (line["z"], *line["yx"]),
            truth_line,
        )
        if k.long_axis:
            self.pane.set_slice(int(k.long_axis["z"]))
        src = k.source.get("case", "")
        model = f", model {k.model} ({(k.model_sha256 or '')[:12]})" if k.model else ""
        self.detail.setText(
            f"<b>{item.id}</b>: {truth_text(k)} — from {src}{model}. "
            "Red outline: the item's lesion; yellow: other lesions; dashed: true long axis; "
            "yellow circles / cyan line: the trainee's answer."
        )

    # -- exports ---------------------------------------------------------------------------
    def export_csv(self) -> Path | None:
        """Ask for a file and write the CSV."""
        path = dialogs.choose_save_file(
            self, "Export results (CSV)", "CSV (*.csv)", str(self.folder / "results.csv")
        )
        if not path:
            return None
        return write_csv(self.review, path)

    def export_report(self) -> Path | None:
        """Ask for a file and write the one-page report (.png or .pdf)."""
        path = dialogs.choose_save_file(
            self, "Export report", "PDF (*.pdf);;PNG (*.png)", str(self.folder / "report.pdf")
        )
        if not path:
            return None
        if Path(path).suffix.lower() not in (".png", ".pdf"):
            path = str(Path(path).with_suffix(".pdf"))
        return write_report(self.review, path)
