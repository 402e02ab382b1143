"""The commands of 3-D authoring, the orthogonal views and measurement, as QActions.

Kept apart from :mod:`liversynth_gui.actions` (one concept per file); :func:`add_3d_menus`
appends them to the Lesion and View menus that :func:`~liversynth_gui.actions.build_menus` made.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtGui, QtWidgets

from liversynth_gui.actions import _action


@dataclass
class Actions3D:
    """Created by :func:`build_3d_actions`."""

    place_stamp3d: QtGui.QAction
    fill_between: QtGui.QAction
    load_bank: QtGui.QAction
    load_bank_folder: QtGui.QAction
    cancel_fill: QtGui.QAction
    grid_layout: QtGui.QAction
    filled_stamp_preview: QtGui.QAction
    add_ruler: QtGui.QAction
    add_circle: QtGui.QAction
    clear_measurements: QtGui.QAction


def build_3d_actions(window: QtWidgets.QMainWindow) -> Actions3D:
    """Create the actions, owned by ``window``."""
    w = window
    a = Actions3D(
        place_stamp3d=_action(
            w, "Place &3-D stamp", "Shift+S", "A 3-D lesion spanning every slice it covers"
        ),
        fill_between=_action(
            w,
            "Fill &between slices",
            "Ctrl+I",
            "Interpolate the mask across the empty slices between painted ones (one undo step)",
        ),
        load_bank=_action(
            w,
            "Load lesion &bank…",
            None,
            "Lesions of another labelled case (folder or file) or a saved bank (.npz)",
        ),
        load_bank_folder=_action(
            w,
            "Load lesions from a case &folder…",
            None,
            "The tumours of another labelled case (e.g. 3Dircadb1.1) as 3-D stamp sources",
        ),
        cancel_fill=_action(w, "Cancel 3-D fill", None, "Stop the running fill of every slice"),
        grid_layout=_action(
            w, "&2×2 layout", "Ctrl+G", "Axial, coronal, sagittal in a 2×2 grid", checkable=True
        ),
        filled_stamp_preview=_action(
            w,
            "Filled stamp preview",
            None,
            "Tint the whole floating stamp (off: outline only, the synthetic tissue shows)",
            checkable=True,
        ),
        add_ruler=_action(w, "Add &ruler", "Ctrl+R", "A ruler in mm on the axial view"),
        add_circle=_action(w, "Add &circle ROI", None, "Mean ± SD HU and area inside a circle"),
        clear_measurements=_action(w, "Remove measurements"),
    )
    a.cancel_fill.setEnabled(False)
    return a


def add_3d_menus(menubar: QtWidgets.QMenuBar, a: Actions3D) -> None:
    """Append the actions to the existing Lesion and View menus (or new ones)."""
    menus = {m.title().replace("&", ""): m for m in menubar.findChildren(QtWidgets.QMenu)}
    lesion = menus.get("Lesion") or menubar.addMenu("&Lesion")
    lesion.addSeparator()
    for act in (a.place_stamp3d, a.load_bank, a.load_bank_folder, a.fill_between, a.cancel_fill):
        lesion.addAction(act)
    view = menus.get("View") or menubar.addMenu("&View")
    view.addSeparator()
    for act in (
        a.grid_layout,
        a.filled_stamp_preview,
        a.add_ruler,
        a.add_circle,
        a.clear_measurements,
    ):
        view.addAction(act)
