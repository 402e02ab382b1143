"""Teaching mode in the app: the trainee view hides every answer, answers are saved as they are
given, the review reveals the truth and exports, and the Teach menu adds the slice on screen."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from liversynth.teaching.answers import AnswerSheet
from liversynth.teaching.build import BuildOptions, build_quiz
from liversynth.teaching.quiz import KINDS, load_key, load_quiz
from liversynth.volume import TUMOUR

#: Words that would tell a trainee the answer (case names, engines, the key's vocabulary).
TELLTALE = (
    "phantom",
    "procedural",
    "filler",
    "mask",
    "label",
    "truth",
    "key",
    "appearance",
    "contrast",
    "ground",
    "gan ",
    "real lesion",
    "model",
)


@pytest.fixture(scope="module")
def quiz_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from liversynth.phantom import make_phantom

    real = make_phantom(0, shape=(24, 128, 128), spacing_mm=(2.5, 1.5, 1.5))
    healthy = make_phantom(1, shape=(24, 128, 128), spacing_mm=(2.5, 1.5, 1.5))
    healthy.labels[healthy.labels == TUMOUR] = 1
    out = tmp_path_factory.mktemp("quiz") / "q"
    opts = BuildOptions(
        count=8,
        kinds=tuple(KINDS),
        seed=3,
        filler="procedural",
        crop_px=32,
        slab_slices=3,
        min_lesion_mm=4.0,
        spacing_mm=(2.5, 1.2, 1.2),
    )
    build_quiz(out, real=[real], healthy=[healthy], options=opts)
    return out


@pytest.fixture
def fresh_quiz(tmp_path: Path, quiz_folder: Path) -> Path:
    """A copy of the teacher's quiz folder (key included) with no answers yet."""
    import shutil

    dest = tmp_path / "q"
    shutil.copytree(quiz_folder, dest, ignore=shutil.ignore_patterns("answers-*"))
    return dest


@pytest.fixture
def trainee(qtbot: Any, fresh_quiz: Path, dialog_log: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from liversynth.teaching import session as session_module
    from liversynth_gui.app import make_app
    from liversynth_gui.teaching import trainee_window
    from liversynth_gui.teaching.launch import open_quiz_window

    make_app()
    read: list[Path] = []
    real_read = session_module.read_item
    monkeypatch.setattr(session_module, "read_item", lambda p: read.append(Path(p)) or real_read(p))
    monkeypatch.setattr(trainee_window, "confirm_submit", lambda *_a: True)
    w = open_quiz_window(fresh_quiz, trainee="ann")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.read_paths = read
    return w


def _visible_texts(window: QtWidgets.QWidget) -> list[str]:
    texts = [window.windowTitle()]
    for w in window.findChildren(QtWidgets.QWidget):
        if not w.isVisible():
            continue
        for getter in ("text", "title", "toolTip", "placeholderText", "windowTitle"):
            value = getattr(w, getter, None)
            if callable(value):
                try:
                    out = value()
                except TypeError:
                    continue
                if isinstance(out, str) and out:
                    texts.append(out)
    return texts


def test_trainee_view_shows_no_answer(trainee: Any, fresh_quiz: Path) -> None:
    quiz, key = load_quiz(fresh_quiz), load_key(fresh_quiz)
    per_kind: dict[tuple[str, str], list[str]] = {}
    for i, item in enumerate(quiz.items):
        trainee.go(i)
        QtWidgets.QApplication.processEvents()
        texts = [t for t in _visible_texts(trainee) if not t.startswith("Item ")]
        joined = "\n".join(texts).lower()
        for word in TELLTALE:
            assert word not in joined, (item.id, word)
        # "synthetic" appears only in the real-or-synthetic question and its answer button.
        allowed = {KINDS["real_or_synthetic"].lower(), "synthetic"}
        assert all("synthetic" not in t.lower() or t.lower() in allowed for t in texts), texts
        truth = "none" if not key.items[item.id].has_lesion else str(key.items[item.id].synthetic)
        per_kind.setdefault((item.kind, truth), texts)
        # The picture holds the item's CT only: no truth layer, nothing but the trainee's marks.
        pane = trainee.pane
        assert not pane.truth.isVisible() and pane.truth.image is None
        shown = {type(x).__name__ for x in pane.box.addedItems if x.isVisible()}
        assert shown <= {"ImageItem", "ScatterPlotItem", "PlotDataItem", "TextItem"}
        np.testing.assert_array_equal(pane.image.image, trainee.session.image(item)[pane.z])
    # Items of one kind look the same whatever their truth (same texts, same controls).
    for kind in KINDS:
        variants = [t for (k, _), t in per_kind.items() if k == kind]
        assert all(v == variants[0] for v in variants), kind
    # Only the items were read, never the key's masks.
    assert trainee.read_paths and all(p.parent.name == "items" for p in trainee.read_paths)
    assert not any(
        isinstance(getattr(trainee.session, a), type(key)) for a in vars(trainee.session)
    )


def test_trainee_answers_are_saved_as_given(qtbot: Any, trainee: Any, fresh_quiz: Path) -> None:
    quiz = load_quiz(fresh_quiz)
    index = {it.kind: i for i, it in reversed(list(enumerate(quiz.items)))}
    trainee.go(index["find"])
    trainee.pane.box.on_click(10.0, 12.0)
    trainee.pane.box.on_click(20.0, 5.0)
    assert "Clicks so far: 2" in trainee.hint.text()
    trainee.go(index["measure"])
    trainee.pane.box.on_drag("start", 8.0, 8.0)
    trainee.pane.box.on_drag("move", 8.0, 20.0)
    trainee.pane.box.on_drag("finish", 8.0, 28.0)
    assert "24.0 mm" in trainee.hint.text()  # 20 px at 1.2 mm
    trainee.go(index["real_or_synthetic"])
    qtbot.mouseClick(trainee.confidence_buttons["4"], QtCore.Qt.MouseButton.LeftButton)
    qtbot.mouseClick(trainee.ros_buttons["real"], QtCore.Qt.MouseButton.LeftButton)
    trainee.go(index["normal"])
    qtbot.mouseClick(trainee.normal_buttons["abnormal"], QtCore.Qt.MouseButton.LeftButton)
    assert trainee.progress.value() == 4
    saved = AnswerSheet.open(fresh_quiz, "ann").answers
    ids = {k: quiz.items[i].id for k, i in index.items()}
    assert saved[ids["find"]]["clicks_zyx"] == [[1.0, 10.0, 12.0], [1.0, 20.0, 5.0]]
    assert saved[ids["measure"]]["line"] == {"z": 1, "yx": [[8.0, 8.0], [8.0, 28.0]]}
    assert saved[ids["real_or_synthetic"]] == {"verdict": "real", "confidence": 4}
    assert saved[ids["normal"]] == {"verdict": "abnormal"}
    # Submitting a teacher's copy (it has the key) opens the review; answers are then locked.
    assert trainee.submit(confirm=True)
    assert not trainee.find_box.isEnabled() and "answers-ann.json" in trainee.done_label.text()
    review = trainee.review_window
    qtbot.addWidget(review)
    assert review.review.results[0].trainee == "ann"
    assert AnswerSheet.open(fresh_quiz, "ann").submitted


def test_review_reveals_truth_and_exports(
    qtbot: Any, fresh_quiz: Path, dialog_log: Any, tmp_path: Path
) -> None:
    from liversynth_gui.app import make_app
    from liversynth_gui.teaching.review_window import ReviewWindow

    make_app()
    quiz, key = load_quiz(fresh_quiz), load_key(fresh_quiz)
    for name, right in (("ann", True), ("bob", False)):
        sheet = AnswerSheet.open(fresh_quiz, name)
        for it in quiz.items:
            k = key.items[it.id]
            if it.kind == "real_or_synthetic":
                said = k.synthetic if right else not k.synthetic
                sheet.set_answer(
                    it.id, it.kind, {"verdict": "synthetic" if said else "real", "confidence": 4}
                )
            elif it.kind == "normal":
                sheet.set_answer(
                    it.id, it.kind, {"verdict": "abnormal" if k.has_lesion == right else "normal"}
                )
    w = ReviewWindow(fresh_quiz)
    qtbot.addWidget(w)
    w.show()
    totals = {r.trainee: r.by_kind() for r in w.review.results}
    assert totals["ann"]["real_or_synthetic"] == 1.0 and totals["bob"]["real_or_synthetic"] == 0.0
    assert w.review.study.n_ratings == 2 * sum(it.kind == "real_or_synthetic" for it in quiz.items)
    assert w.review.study.auc == pytest.approx(0.5)  # one perfect and one inverted reader
    truths = [w.items.item(r, 2).text() for r in range(w.items.rowCount())]
    assert any(t.startswith("synthetic: procedural") for t in truths) and "real lesion" in truths
    row = next(i for i, it in enumerate(quiz.items) if key.items[it.id].has_lesion)
    w.show_item(row)
    assert w.pane.truth.isVisible() and w.pane.truth.image is not None
    assert "Accuracy" in w.summary.text()
    dialog_log.save_file = str(tmp_path / "class.csv")
    rows = list(csv.DictReader(open(w.export_csv())))
    assert len(rows) == 2 * len(quiz.items) and {r["trainee"] for r in rows} == {"ann", "bob"}
    dialog_log.save_file = str(tmp_path / "report.png")
    assert w.export_report().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_teach_menu_adds_the_slice_on_screen(window: Any, tmp_path: Path) -> None:
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert "Teach" in menus
    teach = [a.text().replace("&", "") for a in menus["Teach"].actions() if not a.isSeparator()]
    assert teach == ["Build quiz…", "Add this slice as an item…", "Review quiz answers…"]
    assert "Open quiz…" in [a.text().replace("&", "") for a in menus["File"].actions()]
    item_id = window.teach.add_current_slice(tmp_path / "mine", "find", "real")
    quiz, key = load_quiz(tmp_path / "mine"), load_key(tmp_path / "mine")
    assert [it.id for it in quiz.items] == [item_id]
    assert key.items[item_id].has_lesion and key.items[item_id].synthetic is False
    assert key.items[item_id].source == {
        "case": window.doc.case.name,
        "slice": window.doc.slice_index,
    }


def test_teach_build_quiz_dialog_runs_the_builder(
    window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: Any
) -> None:
    from liversynth.io import save_nifti
    from liversynth.phantom import make_phantom
    from liversynth_gui.teaching.build_dialog import BuildQuizDialog

    case = make_phantom(0, shape=(24, 128, 128), spacing_mm=(2.5, 1.5, 1.5))
    lits = tmp_path / "lits"
    save_nifti(case.volume.hu, case.volume.spacing_mm, lits / "volume-0.nii.gz")
    save_nifti(case.labels, case.volume.spacing_mm, lits / "segmentation-0.nii.gz", labels=True)

    def fill_and_accept(dlg: BuildQuizDialog) -> int:
        dlg.real.setText(str(lits))
        dlg.count.setValue(2)
        dlg.kinds["measure"].setChecked(False)
        dlg.kinds["find"].setChecked(False)
        dlg.filler.setCurrentText("procedural")
        dlg.out.setText(str(tmp_path / "built"))
        job = dlg.job()
        assert job.options.kinds == ("real_or_synthetic",) and job.real == [lits]
        # Smaller items than the default, so the test stays fast (the dialog keeps defaults).
        job.options = type(job.options)(
            **{**vars(job.options), "crop_px": 32, "slab_slices": 3, "min_lesion_mm": 4.0}
        )
        monkeypatch.setattr(dlg, "job", lambda: job)
        return QtWidgets.QDialog.DialogCode.Accepted

    monkeypatch.setattr(BuildQuizDialog, "exec", fill_and_accept)
    window.teach.build.trigger()  # the window's loader is synchronous in tests
    quiz, key = load_quiz(tmp_path / "built"), load_key(tmp_path / "built")
    assert [it.kind for it in quiz.items] == ["real_or_synthetic"] * 2
    assert sorted(bool(k.synthetic) for k in key.items.values()) == [False, True]
    assert dialog_log.infos and "2 items" in dialog_log.infos[-1][1]
