"""What a session remembers of the window besides the document: zoom/pan of the main view,
overlay visibility and opacity, and whether the synthetic slice is shown (V).

Plain JSON-able dicts (``Document.view_state``); unknown or damaged entries are ignored, so an
older or newer session never fails to open because of its view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liversynth_gui.main_window import MainWindow

#: Overlay layers whose visibility and opacity are kept.
LAYERS = ("liver", "tumour", "lesion")


def capture(window: MainWindow) -> dict[str, Any]:
    """The window's view as a JSON-able dict."""
    (x0, x1), (y0, y1) = window.view.view.viewRange()
    toggles = {
        "liver": window.actions.toggle_liver,
        "tumour": window.actions.toggle_tumour,
        "lesion": window.actions.toggle_lesion,
    }
    return {
        "main_range_xy": [[float(x0), float(x1)], [float(y0), float(y1)]],
        "overlays": {
            name: {
                "visible": toggles[name].isChecked(),
                "opacity": round(float(window.view.layers[name].opacity()), 3),
            }
            for name in LAYERS
        },
        "show_synthetic": window.actions.show_synthetic.isChecked(),
    }


def restore(window: MainWindow, state: dict[str, Any]) -> None:
    """Apply a dict from :func:`capture` (missing or malformed parts are skipped)."""
    try:
        (x0, x1), (y0, y1) = state["main_range_xy"]
        window.view.view.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
    except (KeyError, TypeError, ValueError):
        pass
    overlays = state.get("overlays")
    if isinstance(overlays, dict):
        toggles = {
            "liver": window.actions.toggle_liver,
            "tumour": window.actions.toggle_tumour,
            "lesion": window.actions.toggle_lesion,
        }
        for name in LAYERS:
            entry = overlays.get(name)
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("visible"), bool):
                toggles[name].setChecked(entry["visible"])
            opacity = entry.get("opacity")
            if isinstance(opacity, (int, float)) and 0.0 <= opacity <= 1.0:
                window.overlays.sliders[name].setValue(round(opacity * 100))
    if isinstance(state.get("show_synthetic"), bool):
        window.actions.show_synthetic.setChecked(state["show_synthetic"])
