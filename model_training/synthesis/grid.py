"""Render a grid of synthesis results (healthy crop, then each filler) for docs and review.

Rows alternate real lesions from a bank (transformed) and procedural shapes; each row shows
the same placed lesion painted by every filler, in the abdomen window, with the lesion
outline drawn on the healthy crop.

Usage::

    python -m model_training.synthesis.grid --healthy ../shared/data/3Dircadb1.7 \\
        --lesions ../shared/data/3Dircadb1.1 --out docs/images/synth_grid.png
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from liversynth.atomic import atomic_write
from liversynth.fillers.registry import available_fillers, filler_infos
from liversynth.windowing import PRESETS, to_uint8
from model_training.synthesis.command import build_filler
from model_training.synthesis.context import build_context
from model_training.synthesis.item import make_item


def _crop(image: np.ndarray, centre: tuple[int, int], size: int) -> np.ndarray:
    y0 = int(np.clip(centre[0] - size // 2, 0, image.shape[0] - size))
    x0 = int(np.clip(centre[1] - size // 2, 0, image.shape[1] - size))
    return image[y0 : y0 + size, x0 : x0 + size]


def grid_fillers(model: Path | None = None) -> list[str]:
    """The grid's default columns: every registered engine, model engines only with ``model``."""
    return [i.name for i in filler_infos() if model is not None or not i.uses_model]


def render_grid(
    healthy: Sequence[Path],
    lesions: Sequence[Path],
    out: Path,
    *,
    rows: int = 4,
    fillers: Sequence[str] | None = None,
    seed: int = 0,
    crop_px: int = 112,
    model: Path | None = None,
) -> Path:
    """Draw ``rows`` items × (healthy + each filler) and save a PNG.

    Args:
        fillers: registry names (default :func:`grid_fillers`: every registered engine, those
            that need a model file only when ``model`` is given).
    """
    fillers = list(fillers) if fillers is not None else grid_fillers(model)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from liversynth.io import load_case
    from liversynth.lesions.bank import LesionBank

    bank_path = out.with_suffix(".bank.npz")
    bank = LesionBank.from_cases(list(lesions))
    bank.save(bank_path)
    cases = [load_case(p) for p in healthy]
    with_bank = build_context(cases, bank, str(bank_path), margin_mm=3.0, vessel_hu="auto")
    shapes = build_context(cases, None, None, margin_mm=3.0, vessel_hu="auto")
    built = {name: build_filler(name, bank_path=str(bank_path), model=model) for name in fillers}
    fig, axes = plt.subplots(rows, len(fillers) + 1, figsize=(2.2 * (len(fillers) + 1), 2.3 * rows))
    for r in range(rows):
        ctx = with_bank if r % 2 == 0 else shapes
        items = {name: make_item(ctx, f, seed, r, volume=False) for name, f in built.items()}
        first = next(iter(items.values()))
        z = first.record["slice"]
        tumour = first.labels[0] == 2
        ys, xs = np.nonzero(tumour)
        centre = (int(ys.mean()), int(xs.mean()))
        panels = [("healthy", first.scan.hu[z])] + [(n, it.hu[0]) for n, it in items.items()]
        for c, (title, img) in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(
                to_uint8(_crop(img.astype(np.float32), centre, crop_px), PRESETS["abdomen"]),
                cmap="gray",
                vmin=0,
                vmax=255,
            )
            if c == 0:
                ax.contour(_crop(tumour, centre, crop_px), levels=[0.5], colors="r", linewidths=0.6)
                les = first.record["lesion"]
                label = les.get("lesion_id", "procedural")
                ax.set_ylabel(
                    f"{label}\n{first.record['lesion_equivalent_diameter_mm']:.0f} mm", fontsize=7
                )
            if r == 0:
                ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(
        "LiverSynth synthesize: 3Dircadb1.7 (healthy) + lesions of 3Dircadb1.1 (W400/L40)",
        fontsize=9,
    )
    fig.tight_layout()
    atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=110), suffix=".png")
    plt.close(fig)
    bank_path.unlink(missing_ok=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m model_training.synthesis.grid", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--healthy", nargs="+", type=Path, required=True)
    p.add_argument("--lesions", nargs="+", type=Path, required=True)
    p.add_argument("--out", type=Path, default=Path("docs/images/synth_grid.png"))
    p.add_argument("--rows", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--fillers",
        nargs="+",
        choices=available_fillers(),
        default=None,
        help="columns (default: every registered engine; model engines only with --model)",
    )
    p.add_argument("--model", type=Path, default=None)
    args = p.parse_args(argv)
    render_grid(
        args.healthy,
        args.lesions,
        args.out,
        rows=args.rows,
        fillers=args.fillers,
        seed=args.seed,
        model=args.model,
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
