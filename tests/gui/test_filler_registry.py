"""The filler panel lists the registry: a newly registered engine appears, with its description
as the tooltip, and fills the lesion once chosen (no GUI edit needed to add an engine)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
from PySide6 import QtCore

from liversynth.fillers.registry import available_fillers, filler_info


def _combo(window: Any) -> dict[str, str]:
    combo = window.filler.combo
    role = QtCore.Qt.ItemDataRole.ToolTipRole
    return {combo.itemText(i): combo.itemData(i, role) for i in range(combo.count())}


def test_a_registered_engine_is_listed_described_and_fills(
    window: Any, toy_engine: SimpleNamespace, qtbot: Any
) -> None:
    window.fill.choose_filler(toy_engine.name)  # synchronous worker: built and listed now
    listed = _combo(window)
    assert list(listed) == available_fillers() and toy_engine.name in listed
    assert listed[toy_engine.name] == "a flat toy fill"
    assert listed["gan"] == filler_info("gan").description
    assert window.filler.combo.currentText() == toy_engine.name
    assert window.filler.model_label.text().startswith("—")  # the toy takes no model file
    doc = window.doc
    assert doc.filler_name == toy_engine.name
    window.actions.whiten_tumour.trigger()
    qtbot.waitUntil(lambda: doc.last_fill is not None, timeout=3000)
    tumour = doc.tumour_mask()
    assert np.all(doc.last_fill[tumour] == np.float32(toy_engine.level_hu))
