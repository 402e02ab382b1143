"""A one-page report of a class's quiz (PNG or PDF): scores, the reader study and its ROC.

Drawn with matplotlib's object API (no pyplot state), written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liversynth.atomic import atomic_write
from liversynth.teaching.review import ClassReview


def summary_lines(review: ClassReview) -> list[str]:
    """The reader-study summary as text (the GUI shows the same lines)."""
    s = review.study
    lines = [
        f"Real-or-synthetic ratings: {s.n_ratings} ({s.n_synthetic} synthetic, {s.n_real} real)",
        f"Synthetic judged real: {s.synthetic_judged_real.text()}",
        f"Accuracy: {s.accuracy.text()}",
        f"Sensitivity (synthetic found): {s.sensitivity.text()}",
        f"Specificity (real called real): {s.specificity.text()}",
        "ROC AUC from confidence: " + ("n/a" if s.auc is None else f"{s.auc:.2f}"),
        f"Intervals: {s.method}. Accuracy and AUC near 0.50 = indistinguishable.",
    ]
    return lines


def write_report(review: ClassReview, path: str | Path) -> Path:
    """Write the one-page report; the format follows the suffix (``.png`` or ``.pdf``)."""
    from matplotlib.figure import Figure

    path = Path(path)
    if path.suffix.lower() not in (".png", ".pdf"):
        raise ValueError(f"{path}: the report is a .png or .pdf file")
    fig = Figure(figsize=(8.27, 11.69), dpi=100)  # A4 portrait
    fig.suptitle(f"LiverSynth quiz report — {review.quiz.title}", fontsize=13)
    grid = fig.add_gridspec(3, 2, height_ratios=[1.0, 1.2, 1.3], hspace=0.45, wspace=0.3)

    ax = fig.add_subplot(grid[0, :])
    names = [r.trainee for r in review.results]
    totals = [100 * r.total for r in review.results]
    y = np.arange(len(names))
    ax.barh(y, totals, color="#3d8fd1")
    ax.set_yticks(y, names)
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (%)")
    ax.set_title(f"Per-trainee score ({len(review.quiz.items)} items)", fontsize=10)
    for yi, t in zip(y, totals, strict=True):
        ax.text(min(t + 1, 92), float(yi), f"{t:.0f}%", va="center", fontsize=8)

    ax = fig.add_subplot(grid[1, 0])
    kinds = sorted({s.kind for r in review.results for s in r.scores})
    for r in review.results:
        per = r.by_kind()
        ax.plot(kinds, [100 * per.get(k, np.nan) for k in kinds], "o-", label=r.trainee)
    ax.set_ylim(-5, 105)
    ax.set_ylabel("score (%)")
    ax.set_title("Score per item kind", fontsize=10)
    ax.tick_params(axis="x", labelsize=7, rotation=15)
    if review.results:
        ax.legend(fontsize=7)

    ax = fig.add_subplot(grid[1, 1])
    s = review.study
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance (indistinguishable)")
    if s.auc is not None:
        ax.plot(s.fpr, s.tpr, "o-", color="#d1603d", label=f"readers, AUC {s.auc:.2f}")
    ax.set_xlabel("1 − specificity (real called synthetic)")
    ax.set_ylabel("sensitivity (synthetic found)")
    ax.set_title("ROC of real-vs-synthetic ratings", fontsize=10)
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="lower right")

    ax = fig.add_subplot(grid[2, :])
    ax.axis("off")
    text = "Reader study (real or synthetic?)\n\n" + "\n".join(summary_lines(review))
    fillers = sorted({k.filler for k in review.key.items.values() if k.filler})
    text += f"\n\nSynthetic lesions painted by: {', '.join(fillers) or 'none'}"
    ax.text(0.0, 1.0, text, va="top", family="monospace", fontsize=8.5)

    def _save(tmp: Path) -> None:
        fig.savefig(tmp, format=path.suffix[1:].lower(), metadata=_metadata(path))

    return atomic_write(path, _save, suffix=path.suffix)


def _metadata(path: Path) -> dict[str, str | None]:
    # No creation date: the same review gives the same file.
    if path.suffix.lower() == ".pdf":
        return {"CreationDate": None, "Creator": "LiverSynth"}
    return {"Software": "LiverSynth"}
