"""``segbench.json``, the Markdown table and the training curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from model_training.segbench.config import ARMS
from model_training.segbench.metrics import SIZE_BINS


def summarise_arm(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean ± std over seeds of the per-seed mean Dice, per-case figures and detection.

    Args:
        runs: one entry per seed: ``{"seed", "cases": {name: case_metrics}, "curve", ...}``.
    """
    per_seed = [float(np.mean([c["dice"] for c in r["cases"].values()])) for r in runs]
    names = list(runs[0]["cases"]) if runs else []
    per_case = {
        n: {
            "dice_mean": float(np.mean([r["cases"][n]["dice"] for r in runs])),
            "dice_std": float(np.std([r["cases"][n]["dice"] for r in runs])),
        }
        for n in names
    }
    detection: dict[str, dict[str, float | None]] = {}
    for b in SIZE_BINS:
        lesions = sum(r["cases"][n]["detection"][b]["lesions"] for r in runs for n in names)
        found = sum(r["cases"][n]["detection"][b]["detected"] for r in runs for n in names)
        fps = [r["cases"][n]["detection"][b]["false_positives"] for r in runs for n in names]
        detection[b] = {
            "lesions_per_seed": lesions / max(len(runs), 1),
            "sensitivity": None if lesions == 0 else found / lesions,
            "false_positives_per_case": float(np.mean(fps)) if fps else None,
        }
    return {
        "dice_mean": float(np.mean(per_seed)) if per_seed else None,
        "dice_std": float(np.std(per_seed)) if per_seed else None,
        "dice_per_seed": per_seed,
        "per_case": per_case,
        "detection": detection,
        "runs": runs,
    }


def gains(arms: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Dice differences (points of Dice × 100) of the synthetic arms against ``real_only``."""
    base = arms.get("real_only", {}).get("dice_mean")
    out = {}
    for arm in ("real_plus_synthetic", "synthetic_only"):
        value = arms.get(arm, {}).get("dice_mean")
        if base is not None and value is not None:
            out[f"{arm}_minus_real_only_points"] = round(100.0 * (value - base), 2)
    return out


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown_table(report: dict[str, Any]) -> str:
    """The per-arm table (Dice mean ± std over seeds, per case, detection by size)."""
    bins = list(SIZE_BINS)
    head = ["arm", "Dice (mean ± std over seeds)", "Dice per case"]
    head += [f"sens {b}" for b in bins] + [f"FP/case {b}" for b in bins]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for arm in ARMS:
        a = report["arms"].get(arm)
        if a is None:
            continue
        cases = "; ".join(
            f"{n} {_fmt(v['dice_mean'])} ± {_fmt(v['dice_std'])}" for n, v in a["per_case"].items()
        )
        row = [arm, f"{_fmt(a['dice_mean'])} ± {_fmt(a['dice_std'])}", cases]
        row += [_fmt(a["detection"][b]["sensitivity"], 2) for b in bins]
        row += [_fmt(a["detection"][b]["false_positives_per_case"], 2) for b in bins]
        lines.append("| " + " | ".join(row) + " |")
    note = []
    if report["split"]["optimistic"]:
        note.append(
            "**OPTIMISTIC**: one tumour patient, split by 3-D lesion (same patient, scanner and "
            "phase in training and test)."
        )
    note.append(
        f"Preset `{report['preset']['name']}`, {report['seeds']} seed(s) per arm, "
        f"{report['preset']['steps']} steps each; synthetic: {report['synthetic']['summary']}."
    )
    g = report.get("gains", {})
    if g:
        note.append(
            "Dice gain vs real_only (points): " + ", ".join(f"{k} {v:+.2f}" for k, v in g.items())
        )
    return "\n".join(lines) + "\n\n" + "\n\n".join(note) + "\n"


def plot_curves(arms: dict[str, dict[str, Any]], path: Path) -> None:
    """Training loss per step: one colour per arm, one line per seed."""
    from liversynth.atomic import atomic_write
    from model_training.curves import new_figure

    fig = new_figure((7.0, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    colours = {
        "real_only": "tab:blue",
        "real_plus_synthetic": "tab:green",
        "synthetic_only": "tab:orange",
    }
    for arm, a in arms.items():
        for i, run in enumerate(a["runs"]):
            steps = [p[0] for p in run["curve"]]
            losses = [p[1] for p in run["curve"]]
            ax.plot(steps, losses, color=colours.get(arm), alpha=0.8, label=arm if i == 0 else None)
    ax.set_xlabel("step")
    ax.set_ylabel("Dice + CE loss (training)")
    ax.set_yscale("log")
    ax.legend()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100), suffix=".png")
