"""The liver preset suits contrast-enhanced liver, and the whitened region shows under any window."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from liversynth.authoring import CaseSource
from liversynth.volume import LIVER, Case, Volume
from liversynth.windowing import Window

Qt = QtCore.Qt


def test_liver_preset_is_centred_on_the_cases_own_liver(window: Any, qtbot: Any) -> None:
    doc = window.doc
    case = doc.case
    median_hu = float(np.median(case.volume.hu[case.labels == LIVER]))
    assert median_hu > 90  # the phantom's liver is enhanced, like portal-venous CT
    qtbot.keyClick(window.view, Qt.Key.Key_2)
    assert abs(doc.window.center_hu - median_hu) <= 3 and doc.window.width_hu == 150
    assert doc.window.low < median_hu < doc.window.high  # not whited out
    assert window.actions.preset_liver.isChecked()
    # Without labels: the portal-venous default.
    doc.open_case(
        Case("nolabels", Volume(case.volume.hu, case.volume.spacing_mm)), source=CaseSource()
    )
    qtbot.keyClick(window.view, Qt.Key.Key_2)
    assert doc.window == Window(100.0, 150.0)


def _orange_pixels(view: QtWidgets.QWidget) -> int:
    image = view.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    ptr = image.constBits()
    rgb = (
        np.frombuffer(ptr, np.uint8, image.sizeInBytes())
        .reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
        .reshape(image.height(), image.width(), 3)
        .astype(int)
    )
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 200) & (g > 90) & (g < 190) & (b < 80)).sum())


def test_whitened_region_is_visible_when_the_window_whites_out_the_liver(window: Any) -> None:
    doc = window.doc
    window.resize(1400, 900)
    assert doc.whiten_real_tumour()
    doc.set_window(Window(-100.0, 100.0))  # everything above -50 HU is white: liver and tumour
    QtWidgets.QApplication.processEvents()
    pane = window.side.boxes["input"].getViewWidget()
    truth = window.side.boxes["truth"].getViewWidget()
    assert _orange_pixels(pane) > 20  # the outline of the whitened region
    assert _orange_pixels(truth) == 0
