"""The *Build quiz…* dialog: cases, item kinds, count, seed, filler and the output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtWidgets

from liversynth.fillers.registry import available_fillers
from liversynth.teaching.build import BuildOptions, build_quiz
from liversynth.teaching.quiz import KINDS, Quiz
from liversynth_gui import dialogs


@dataclass
class BuildJob:
    """What the dialog asked for; :meth:`run` builds the quiz (in a worker thread)."""

    real: list[Path]
    healthy: list[Path]
    out: Path
    options: BuildOptions

    def run(self) -> Quiz:
        from liversynth.io import load_case

        real = [load_case(p) for p in self.real]
        healthy = [load_case(p) for p in self.healthy]
        return build_quiz(self.out, real=real, healthy=healthy, options=self.options)


def _paths(text: str) -> list[Path]:
    return [Path(p.strip()) for p in text.split(";") if p.strip()]


class BuildQuizDialog(QtWidgets.QDialog):
    """Ask for everything :class:`BuildJob` needs."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Build quiz")
        self.real = QtWidgets.QLineEdit()
        self.healthy = QtWidgets.QLineEdit()
        self.out = QtWidgets.QLineEdit()
        for edit in (self.real, self.healthy):
            edit.setPlaceholderText("case folders or files, separated by ';'")
        self.count = QtWidgets.QSpinBox()
        self.count.setRange(1, 500)
        self.count.setValue(12)
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.filler = QtWidgets.QComboBox()
        self.filler.addItems(available_fillers())
        self.kinds = {k: QtWidgets.QCheckBox(k.replace("_", " ")) for k in KINDS}
        for k in ("find", "real_or_synthetic", "measure"):
            self.kinds[k].setChecked(True)
        self.title = QtWidgets.QLineEdit("Liver lesion quiz")
        form = QtWidgets.QFormLayout(self)
        form.addRow("Cases with real tumours", self._with_browse(self.real, append=True))
        form.addRow("Healthy cases", self._with_browse(self.healthy, append=True))
        form.addRow("Items", self.count)
        kinds = QtWidgets.QHBoxLayout()
        for box in self.kinds.values():
            kinds.addWidget(box)
        form.addRow("Kinds", kinds)
        form.addRow("Filler", self.filler)
        form.addRow("Seed", self.seed)
        form.addRow("Title", self.title)
        form.addRow("Output folder (new)", self._with_browse(self.out, append=False))
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _with_browse(self, edit: QtWidgets.QLineEdit, *, append: bool) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        browse = QtWidgets.QPushButton("Browse…")

        def _pick() -> None:
            folder = dialogs.choose_folder(self, "Choose a folder")
            if folder:
                edit.setText(f"{edit.text()};{folder}".strip(";") if append else folder)

        browse.clicked.connect(_pick)
        row.addWidget(browse)
        return box

    def job(self) -> BuildJob:
        """The request (raises ``ValueError`` for invalid options)."""
        options = BuildOptions(
            count=self.count.value(),
            kinds=tuple(k for k, box in self.kinds.items() if box.isChecked()),
            seed=self.seed.value(),
            filler=self.filler.currentText(),
            title=self.title.text() or "Liver lesion quiz",
        )
        return BuildJob(
            _paths(self.real.text()), _paths(self.healthy.text()), Path(self.out.text()), options
        )

    def _accept(self) -> None:
        try:
            job = self.job()
            if not job.real or not str(job.out).strip() or str(job.out) == ".":
                raise ValueError("give at least one case with real tumours and an output folder")
        except ValueError as err:
            dialogs.show_error(self, "Build quiz", err)
            return
        self.accept()
