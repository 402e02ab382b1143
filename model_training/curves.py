"""The paper's four loss curves (Fig. 5): raw and moving-average smoothed, as CSV and PNG.

Table 1's "moving-average decay 0.99" is, in the TensorFlow pix2pix the paper used, an
exponential moving average of the logged losses. We keep TensorFlow's zero-debiased form,
``ema_t = d·ema_{t-1} + (1-d)·x_t`` reported as ``ema_t / (1 - d**t)``, so the first points are
not pulled towards zero. The EMA state is part of the training checkpoint, so resumed curves
continue seamlessly.

Example:
    >>> log = LossLog(decay=0.5)
    >>> log.update({"l1": 1.0, "g_adv": 1.0, "d": 1.0, "total": 1.0})["l1_ema"]
    1.0
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from liversynth.atomic import atomic_write

#: The four curves of Fig. 5: (a) L1, (b) generator adversarial, (c) discriminator, (d) total.
CURVES = ("l1", "g_adv", "d", "total")
TITLES = {
    "l1": "(a) L1 loss",
    "g_adv": "(b) generator adversarial loss",
    "d": "(c) discriminator loss",
    "total": "(d) total generator loss",
}
COLUMNS = ("step", "epoch", *CURVES, *(f"{c}_ema" for c in CURVES))


class LossLog:
    """Debiased EMA of the four losses plus an append-only ``losses.csv``.

    Args:
        decay: EMA decay (Table 1: 0.99).
    """

    def __init__(self, decay: float = 0.99) -> None:
        self.decay = decay
        self.count = 0
        self.biased = dict.fromkeys(CURVES, 0.0)

    def update(self, losses: dict[str, float]) -> dict[str, float]:
        """Add one step's raw losses; returns raw and smoothed values (``<name>_ema``)."""
        self.count += 1
        out = {}
        correction = 1.0 - self.decay**self.count
        for name in CURVES:
            self.biased[name] = self.decay * self.biased[name] + (1 - self.decay) * losses[name]
            out[name] = float(losses[name])
            out[f"{name}_ema"] = self.biased[name] / correction if correction > 0 else out[name]
        return out

    def state(self) -> list[float]:
        """The EMA state as numbers (for the checkpoint)."""
        return [float(self.count), *(self.biased[c] for c in CURVES)]

    def load_state(self, state: list[float]) -> None:
        """Restore :meth:`state`."""
        self.count = int(state[0])
        self.biased = {c: float(v) for c, v in zip(CURVES, state[1:], strict=True)}


class CsvLog:
    """Rows of ``COLUMNS`` appended to a CSV; on resume rows after the checkpoint are dropped.

    Args:
        path: the CSV file.
        resume_step: keep existing rows with ``step <= resume_step``; None = start afresh.
    """

    def __init__(self, path: Path, columns: tuple[str, ...], resume_step: int | None) -> None:
        self.path, self.columns = path, columns
        kept: list[list[str]] = []
        if resume_step is not None and path.exists():
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
            kept = [
                r for r in rows[1:] if r and _int(r[0]) is not None and _int(r[0]) <= resume_step
            ]
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(kept)
        self._fh = open(path, "a", newline="", encoding="utf-8")
        self._writer = csv.writer(self._fh)

    def write(self, row: dict[str, float]) -> None:
        """Append one row (missing columns are left empty) and flush it (live curves)."""
        self._writer.writerow([_fmt(row.get(c, "")) for c in self.columns])
        self._fh.flush()

    def flush(self) -> None:
        """Flush to disk (called at checkpoints, so the CSV never lags a checkpoint)."""
        self._fh.flush()

    def close(self) -> None:
        """Close the file."""
        self._fh.close()


def read_csv(path: Path) -> dict[str, np.ndarray]:
    """Columns of a CSV written by :class:`CsvLog` as float arrays (empty cells → NaN)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    return {
        name: np.array([float(r[i]) if i < len(r) and r[i] != "" else np.nan for r in body])
        for i, name in enumerate(header)
    }


def plot_losses(csv_path: Path, png_path: Path) -> None:
    """Plot the four curves of ``losses.csv`` (raw faint, smoothed bold) to a PNG (2×2 panels)."""
    data = read_csv(csv_path)
    fig = new_figure((10, 7))
    axes = fig.subplots(2, 2)
    for ax, name in zip(axes.flat, CURVES, strict=True):
        if data and len(data.get("step", [])):
            ax.plot(data["step"], data[name], color="tab:blue", alpha=0.25, lw=0.8, label="raw")
            ax.plot(data["step"], data[f"{name}_ema"], color="tab:blue", lw=1.8, label="EMA 0.99")
        ax.set_title(TITLES[name])
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes.flat[0].legend()
    atomic_write(png_path, lambda tmp: fig.savefig(tmp, dpi=90), suffix=".png")


def new_figure(size_in: tuple[float, float]) -> Figure:
    """A matplotlib figure on the Agg canvas (no pyplot, no global backend switch)."""
    fig = Figure(figsize=size_in, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:
        return None


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
