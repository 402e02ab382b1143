"""The window is usable on a 1366×768 laptop and not clipped on a 1024×700 beamer: the
comparison panes stay ≥ 250 px, the image keeps room, every panel can be reached."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6 import QtWidgets

from liversynth_gui.viewer.side_by_side import MIN_PANE_PX


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1024, 700)])
def test_layout_fits_small_screens(window: Any, width: int, height: int) -> None:
    window.fit_screen(width, height)
    window.resize(width, height)
    QtWidgets.QApplication.processEvents()
    hint = window.minimumSizeHint()
    assert hint.width() <= width and hint.height() <= height - 30, hint  # 30 px: title bar
    assert window.width() == width and window.height() == height
    # Panes: never squeezed below the minimum, and a visible area that large.
    window.compare_dock.raise_()
    QtWidgets.QApplication.processEvents()
    for box in window.side.boxes.values():
        view = box.getViewWidget()
        assert view.width() >= MIN_PANE_PX and view.height() >= MIN_PANE_PX
    # The image area (the axial view, with the orthogonal views when shown) keeps its room.
    centre = window.centralWidget()
    assert centre.width() >= (440 if width > 1300 else 400), centre.width()
    assert window.view.height() >= 300
    # Every tools panel (the filler section last) can be scrolled into view.
    window.tools_dock.raise_()
    QtWidgets.QApplication.processEvents()
    scroll = window.tools_dock.widget()
    scroll.ensureWidgetVisible(window.filler)
    QtWidgets.QApplication.processEvents()
    assert not window.filler.visibleRegion().isEmpty()
