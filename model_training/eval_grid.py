"""The evaluation grid (the paper's Fig. 6): rows = slices, columns = input | fillers | truth.

Each panel is cropped around the lesion (:func:`view_box`) and shown in the abdomen window
(W400/L40); rows are titled ``case zK`` and columns by filler, so a reader of ``grid.png`` can
tell which fill is which without the code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liversynth.atomic import atomic_write
from liversynth.windowing import PRESETS, to_uint8
from model_training.curves import new_figure


def view_box(mask: np.ndarray, min_px: int = 64) -> tuple[slice, slice]:
    """A square around the lesion, twice its size (at least ``min_px``), inside the slice."""
    ys, xs = np.nonzero(mask)
    side = max(min_px, 2 * int(max(np.ptp(ys), np.ptp(xs)) + 1))
    h, w = mask.shape
    side = min(side, h, w)
    cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
    y0 = int(np.clip(cy - side // 2, 0, h - side))
    x0 = int(np.clip(cx - side // 2, 0, w - side))
    return slice(y0, y0 + side), slice(x0, x0 + side)


def plot_grid(
    rows: list[dict[str, np.ndarray]], path: Path, row_titles: list[str] | None = None
) -> None:
    """The Fig. 6-style grid: one row per slice (titled ``case zK``), abdomen window (W400/L40)."""
    if not rows:
        return
    cols = list(rows[0])
    fig = new_figure((1.8 * len(cols), 1.8 * len(rows) + 0.3))
    axes = np.atleast_2d(fig.subplots(len(rows), len(cols), squeeze=False))
    for r, panels in enumerate(rows):
        for c, name in enumerate(cols):
            ax = axes[r, c]
            ax.imshow(
                to_uint8(panels[name], PRESETS["abdomen"]),
                cmap="gray",
                vmin=0,
                vmax=255,
                interpolation="nearest",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title("whitened input" if name == "input" else name, fontsize=9)
            if c == 0 and row_titles and r < len(row_titles):
                ax.set_ylabel(row_titles[r], fontsize=8)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=80), suffix=".png")
