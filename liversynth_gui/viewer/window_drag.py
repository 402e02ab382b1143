"""Right-drag window/level, as on a CT console: horizontal = width, vertical = level."""

from __future__ import annotations

from liversynth.windowing import Window

#: Smallest window width reachable by dragging, HU.
MIN_WIDTH_HU = 1.0


def dragged_window(window: Window, dx_px: float, dy_px: float) -> Window:
    """The window after a mouse move of (dx, dy) screen pixels.

    Dragging right widens the window, dragging down raises the level (the image darkens).
    The step scales with the current width (a 400 HU window moves ~2 HU per pixel), so both
    narrow liver windows and wide bone windows are easy to adjust.
    """
    hu_per_px = max(window.width_hu / 200.0, 0.5)
    width = max(window.width_hu + dx_px * hu_per_px, MIN_WIDTH_HU)
    return Window(window.center_hu + dy_px * hu_per_px, width)
