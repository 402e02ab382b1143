"""The Filler panel's contrast / heterogeneity boxes: they refill live, and grey out for an
engine whose registry entry does not honour them."""

from __future__ import annotations

from typing import Any

import numpy as np

from liversynth.fillers.appearance import liver_level_hu
from liversynth.fillers.classical import MeanFiller
from liversynth.fillers.registry import FillerInfo, register, unregister


def test_contrast_box_refills_and_greys_out_for_an_engine_that_ignores_it(
    window: Any, qtbot: Any
) -> None:
    panel, doc = window.filler, window.doc
    window.fill.choose_filler("mean")
    assert panel.contrast_box.isEnabled() and panel.hetero_box.isEnabled()
    window.actions.whiten_tumour.trigger()
    qtbot.waitUntil(lambda: doc.last_fill is not None, timeout=5000)
    panel.contrast_box.setValue(-50)
    assert doc.fill_appearance.contrast_hu == -50.0 and doc.fill_appearance.heterogeneity is None
    tumour = doc.tumour_mask()
    level = liver_level_hu(doc.slice_hu(), tumour, doc.liver_mask())
    qtbot.waitUntil(
        lambda: (
            doc.last_fill is not None
            and abs(float(doc.last_fill[tumour].mean()) - level + 50.0) < 1.0
        ),
        timeout=5000,
    )
    panel.contrast_box.setValue(panel.contrast_box.minimum())  # "auto"
    assert doc.fill_appearance.contrast_hu is None

    register(FillerInfo("flat_no_appearance", lambda *_a, **_k: MeanFiller(), "toy"))
    try:
        window.fill.choose_filler("flat_no_appearance")
        assert not panel.contrast_box.isEnabled() and not panel.hetero_box.isEnabled()
    finally:
        unregister("flat_no_appearance")
    assert np.isfinite(level)
