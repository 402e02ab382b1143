"""Perceived speed: a stroke's end shows a quick preview at once, then the real fill; a
stroke held still before release is filled too."""

from __future__ import annotations

from typing import Any

import numpy as np


class _SlowEngine:
    """Stands for the GAN: records what the window showed when the real fill started."""

    name = "gan"
    device = "cpu"

    def __init__(self, window: Any) -> None:
        self.window = window
        self.seen: list[tuple[bool, bool]] = []

    def fill(self, slice_hu: np.ndarray, mask: np.ndarray, **_kw: Any) -> np.ndarray:
        doc = self.window.doc
        shown = self.window.side.images["synthetic"].image is not None
        self.seen.append((bool(doc.last_fill_preview), shown))
        out = np.array(slice_hu, dtype=np.float32, copy=True)
        out[mask] = -50.0
        return out


def test_stroke_end_shows_a_preview_then_the_real_fill(window: Any) -> None:
    doc = window.doc
    engine = _SlowEngine(window)
    window.worker.set_filler(engine)
    window.fill.timer.setInterval(10_000)  # only the stroke's end may trigger the fill
    liver = doc.liver_mask() & ~doc.tumour_mask()
    rows, cols = np.nonzero(liver)
    r, c = int(np.median(rows)), int(np.median(cols))
    doc.begin_stroke("paint", radius_px=3)
    doc.stroke_to(r, c)
    window.fill.timer.timeout.emit()  # the debounce ran out while the hand held still
    assert doc.last_fill is None
    doc.stroke_to(r, c + 2)
    doc.end_stroke()
    # The real engine ran after a preview was already on screen...
    assert engine.seen == [(True, True)]
    # ...and its fill replaced the preview, with metrics.
    assert not doc.last_fill_preview and doc.last_metrics is not None
    assert np.all(window.side.images["synthetic"].image[doc.mask] == -50.0)
