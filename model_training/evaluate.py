"""``model_training evaluate``: every filler on the same held-out slices (Tables 2–3, Fig. 6).

Each filler gets the whole slice (HU), the lesion mask of the slice's evaluation lesions and the
liver mask, and fills the lesion. By default the lesion's own pixels are first replaced by the
median HU of the liver ring around it (``--no-blank-lesion`` keeps them): a filler must not see
the answer, and one that keeps the original pixels' fine grain (``procedural``) would otherwise
copy part of the ground truth into its output. ``liversynth.metrics.compare``
scores the result against the real slice, on the whole slice (paper-comparable, W400/L40,
8-bit) and inside the lesion. Outputs in ``--out``:

* ``metrics.json``: per slice and per filler, plus mean ± std per filler and the lesion MAE
  relative to the ``mean`` filler (per-slice ratio averaged, and ratio of the means);
* ``table.md``: metrics as rows, fillers as columns, ``mean ± std``;
* ``grid.png``: rows = slices, columns = whitened input | each filler | ground truth, cropped
  around the lesion, abdomen window; titled rows (case, slice) and columns.

Next to the paper's metrics (which reward a smooth average), the realism figures of
:mod:`model_training.realism_eval`: the judge's ROC AUC (real vs synthetic, cross-validated by
slice), texture and noise-power ratios, attenuation error, diversity between two seeds and
adjacent-slice coherence of ``fill_volume`` (``--no-realism`` skips them).

Example:
    python -m model_training evaluate --data data/ircad11 --model runs/a/model.safetensors \\
        --out runs/a/eval
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.atomic import atomic_write
from liversynth.fillers.registry import available_fillers, filler_info, make_filler
from liversynth.metrics import compare, json_safe
from liversynth.whitening import whiten_hu
from liversynth.windowing import PRESETS
from model_training.cli import add_device, add_quiet, subcommand
from model_training.cli import progress as progress_bar
from model_training.dataset import read_manifest
from model_training.eval_grid import plot_grid, view_box
from model_training.realism_eval import (
    DIVERSITY_SEED_OFFSET,
    SLICE_METRICS,
    JudgeFeatures,
    add_realism,
    realism_stacks,
    slice_realism,
)
from model_training.realism_eval import LABELS as REALISM_LABELS
from model_training.records import SliceRecord, write_json_atomic

PAPER_METRICS = ("psnr_slice", "ssim_slice", "psnr_lesion", "ssim_lesion", "mae_lesion_hu")
METRICS = PAPER_METRICS + SLICE_METRICS
LABELS = {
    "psnr_slice": "PSNR whole slice (dB)",
    "ssim_slice": "SSIM whole slice",
    "psnr_lesion": "PSNR lesion (dB)",
    "ssim_lesion": "SSIM lesion",
    "mae_lesion_hu": "MAE lesion (HU)",
    "mae_rel_mean": "MAE lesion / mean filler (per-slice mean)",
    **REALISM_LABELS,
}


def add_parser(subparsers: Any) -> None:
    """Register the ``evaluate`` subcommand."""
    p = subcommand(
        subparsers,
        "evaluate",
        help="compare every filler on held-out slices: metrics.json, table.md, grid.png",
        description=__doc__.split("\n\n")[0],
        example="liversynth-train evaluate --data data/ircad11 --fillers gan,procedural,mean "
        "--out runs/a/eval",
    )
    p.add_argument("--data", required=True, metavar="DATASET_DIR", help="prepared dataset")
    p.add_argument("--model", metavar="CKPT", help="gan model (default: the bundled model)")
    p.add_argument("--split", default="test", choices=("test", "val", "train"), help="which split")
    p.add_argument(
        "--fillers",
        type=filler_names,
        default=None,
        help="comma-separated names (default: all of " + ", ".join(available_fillers()) + ")",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_device(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the random fillers")
    p.add_argument("--max-slices", type=int, default=0, help="evaluate at most N slices (0: all)")
    p.add_argument("--grid-rows", type=int, default=8, help="slices shown in grid.png")
    p.add_argument(
        "--no-blank-lesion",
        dest="blank_lesion",
        action="store_false",
        help="give the fillers the real lesion pixels (default: blanked to the liver median)",
    )
    p.add_argument(
        "--no-realism",
        dest="realism",
        action="store_false",
        help="skip the realism judge, diversity and 3-D coherence (paper metrics only)",
    )
    add_quiet(p)


def filler_names(text: str) -> list[str] | None:
    """``--fillers``: comma-separated registry names (``None`` when empty: all of them).

    Raises:
        argparse.ArgumentTypeError: a name the registry does not know (the message lists them).
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in available_fillers()]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown filler(s) {', '.join(unknown)}; available: {', '.join(available_fillers())}"
        )
    return names or None


def run(args: argparse.Namespace) -> int:
    """Run ``evaluate`` from parsed arguments; returns the exit code."""
    names = args.fillers
    if not (Path(args.data) / "manifest.json").is_file():
        raise FileNotFoundError(f"{args.data}: no prepared dataset here (run 'prepare' first)")
    evaluate(
        Path(args.data),
        Path(args.out),
        model=Path(args.model) if args.model else None,
        split=args.split,
        fillers=names,
        device=args.device,
        seed=args.seed,
        max_slices=args.max_slices,
        grid_rows=args.grid_rows,
        blank_lesion=args.blank_lesion,
        progress=not args.quiet,
        realism=args.realism,
    )
    return 0


def make_fillers(
    names: list[str] | None,
    model: Path | None,
    device: str,
    kwargs: dict[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Build the fillers; those that cannot be built are returned with the reason."""
    names = names or available_fillers()
    built: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in names:
        try:
            built[name] = make_filler(
                name, model_path=model, device=device, **(kwargs or {}).get(name, {})
            )
        except Exception as err:  # one broken filler must not stop the comparison
            skipped[name] = f"{type(err).__name__}: {err}"
            print(f"filler {name} skipped: {err}", file=sys.stderr)
    return built, skipped


def evaluate(
    data: Path,
    out: Path,
    *,
    model: Path | None = None,
    split: str = "test",
    fillers: list[str] | None = None,
    device: str = "auto",
    seed: int = 0,
    max_slices: int = 0,
    grid_rows: int = 8,
    blank_lesion: bool = True,
    progress: bool = True,
    realism: bool = True,
) -> dict[str, Any]:
    """Evaluate the fillers on one split of a prepared dataset; returns ``metrics.json``'s content.

    Raises:
        ValueError: the split is empty or no filler could be built.
    """
    manifest = read_manifest(data)
    records = [SliceRecord.from_meta(m) for m in manifest["slices"] if m["split"] == split]
    if max_slices:
        records = records[:max_slices]
    if not records:
        raise ValueError(f"{data}: the {split} split has no slices")
    wanted = fillers or available_fillers()
    bank_users = [n for n in wanted if n in available_fillers() and filler_info(n).needs_bank]
    bank = training_bank(data, manifest) if bank_users else None
    kwargs = {n: {"bank": bank} for n in bank_users}
    built, skipped = make_fillers(wanted, model, device, kwargs)
    if not built:
        raise ValueError(
            "no filler could be built: " + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    grid_at = set(
        np.linspace(0, len(records) - 1, min(grid_rows, len(records))).round().astype(int)
    )
    per_slice: list[dict[str, Any]] = []
    grid: list[dict[str, np.ndarray]] = []
    row_titles: list[str] = []
    seconds = dict.fromkeys(built, 0.0)
    judge = JudgeFeatures()
    for i, record in enumerate(
        progress_bar(records, desc="evaluate", unit="slice", quiet=not progress)
    ):
        record.load_arrays(data)
        assert record.hu is not None and record.liver is not None
        hu = record.hu.astype(np.float32)
        mask, liver = record.eval_mask(), record.liver > 0
        entry: dict[str, Any] = {
            "case": record.case,
            "z": record.z,
            "file": record.file,
            "lesion_px": int(mask.sum()),
            "metrics": {},
        }
        box = view_box(mask)
        panels = {"input": whiten_hu(hu, mask, PRESETS["network"])[box]}
        given = blanked(hu, mask, liver) if blank_lesion else hu
        if realism:
            judge.add_real(i, hu, mask, liver)
        for name, filler in list(built.items()):
            t0 = time.perf_counter()
            try:
                filled = filler.fill(given, mask, liver_mask=liver, seed=seed + i)
            except Exception as err:  # report the filler, keep comparing the others
                skipped[name] = f"failed on {record.file}: {type(err).__name__}: {err}"
                print(f"filler {name} dropped: {skipped[name]}", file=sys.stderr)
                del built[name]
                for done in per_slice:
                    done["metrics"].pop(name, None)
                continue
            filled = np.asarray(filled, np.float32)
            seconds[name] += time.perf_counter() - t0
            entry["metrics"][name] = compare(hu, filled, mask)
            if realism:
                other = filler.fill(
                    given, mask, liver_mask=liver, seed=seed + i + DIVERSITY_SEED_OFFSET
                )
                entry["metrics"][name].update(slice_realism(hu, filled, other, mask))
                judge.add_synthetic(name, i, filled, mask, liver)
            else:
                entry["metrics"][name].update(dict.fromkeys(SLICE_METRICS, math.nan))
            panels[name] = filled[box]
        panels["ground truth"] = hu[box]
        per_slice.append(entry)
        if i in grid_at:
            grid.append(panels)
            row_titles.append(f"{record.case} z{record.z}")
        record.hu = record.lesion = record.liver = None  # keep memory flat on big splits
    for panels in grid:
        for name in set(panels) - {"input", "ground truth", *built}:
            del panels[name]
    summary = summarise(per_slice, list(built))
    for name in built:
        summary[name]["seconds_per_slice"] = seconds[name] / len(records)
    if realism:
        stacks = realism_stacks(records, data, blanked if blank_lesion else None)
        add_realism(summary, judge, stacks, built, seed, tuple(records[0].spacing_mm))
    result = {
        "dataset": str(data),
        "split": split,
        "split_unit": manifest.get("split_unit"),
        "model": str(model) if model else "default",
        "n_slices": len(records),
        "lesion_pixels_given": "blanked to the liver-ring median" if blank_lesion else "real",
        "fillers": summary,
        "skipped_fillers": skipped,
        "per_slice": per_slice,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "metrics.json", json_safe(result))
    atomic_write(out / "table.md", markdown_table(result).encode("utf-8"))
    plot_grid(grid, out / "grid.png", row_titles)
    print(markdown_table(result))
    return result


def blanked(hu: np.ndarray, mask: np.ndarray, liver: np.ndarray, ring_px: int = 5) -> np.ndarray:
    """``hu`` with the lesion pixels set to the median HU of the liver ring around the lesion."""
    ring = ndimage.binary_dilation(mask, iterations=ring_px) & ~mask
    source = ring & liver if (ring & liver).any() else ring if ring.any() else ~mask
    out = hu.copy()
    out[mask] = np.float32(np.median(hu[source]))
    return out


def training_bank(data: Path, manifest: dict[str, Any]) -> Any:
    """Donor lesions for ``copy_paste`` from the TRAINING split only (no test lesion leaks).

    One donor per training lesion component: its middle training slice, as a one-slice lesion.
    """
    from liversynth.lesions.bank import LesionBank, extract_lesions
    from liversynth.volume import TUMOUR, Case, Volume

    slices: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for meta in manifest["slices"]:
        if meta["split"] == "train":
            for comp in meta["eval_components"]:
                slices.setdefault((meta["case"], comp), []).append(meta)
    donors = []
    for (case, comp), metas in sorted(slices.items()):
        record = SliceRecord.from_meta(metas[len(metas) // 2]).load_arrays(data)
        assert record.hu is not None and record.lesion is not None and record.liver is not None
        labels = record.liver.astype(np.uint8)
        labels[record.lesion > 0] = 0  # other lesions are neither liver nor this donor
        labels[record.lesion == comp] = TUMOUR
        volume = Volume(record.hu[None], tuple(record.spacing_mm))
        donors.extend(
            extract_lesions(
                Case(f"{case}_z{record.z}", volume, labels[None]), min_diameter_mm=0.0, keep_hu=True
            )
        )
    return LesionBank(donors) if donors else None


def summarise(per_slice: list[dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    """Mean, std and count (finite values only) of each metric per filler, plus MAE vs mean."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        stats: dict[str, Any] = {"mean": {}, "std": {}, "n": {}}
        for metric in METRICS:
            values = np.array([s["metrics"][name][metric] for s in per_slice], dtype=np.float64)
            finite = values[np.isfinite(values)]
            stats["mean"][metric] = float(finite.mean()) if finite.size else math.nan
            stats["std"][metric] = float(finite.std()) if finite.size else math.nan
            stats["n"][metric] = int(finite.size)
        if "mean" in names:
            ratio = np.array(
                [
                    s["metrics"][name]["mae_lesion_hu"] / s["metrics"]["mean"]["mae_lesion_hu"]
                    if s["metrics"]["mean"]["mae_lesion_hu"] > 0
                    else math.nan
                    for s in per_slice
                ]
            )
            finite = ratio[np.isfinite(ratio)]
            stats["mean"]["mae_rel_mean"] = float(finite.mean()) if finite.size else math.nan
            stats["std"]["mae_rel_mean"] = float(finite.std()) if finite.size else math.nan
            stats["n"]["mae_rel_mean"] = int(finite.size)
        out[name] = stats
    if "mean" in names:
        base = out["mean"]["mean"]["mae_lesion_hu"]
        for name in names:
            out[name]["mae_ratio_of_means"] = (
                out[name]["mean"]["mae_lesion_hu"] / base if base else math.nan
            )
    return out


def markdown_table(result: dict[str, Any]) -> str:
    """Metrics as rows and fillers as columns (``mean ± std``), like the paper's Tables 2–3."""
    fillers = result["fillers"]
    names = list(fillers)
    rows = [
        k
        for k in LABELS
        if all(k in fillers[n]["mean"] for n in names)
        and any(math.isfinite(fillers[n]["mean"][k]) for n in names)
    ]
    lines = [
        f"Evaluation on the {result['split']} split: {result['n_slices']} slices "
        f"(split by {result['split_unit']}), model {result['model']}",
        "",
        "| metric | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key in rows:
        cells = [_pm(fillers[n]["mean"][key], fillers[n]["std"][key]) for n in names]
        lines.append(f"| {LABELS[key]} | " + " | ".join(cells) + " |")
    if all("mae_ratio_of_means" in fillers[n] for n in names):
        cells = [f"{fillers[n]['mae_ratio_of_means']:.3f}" for n in names]
        lines.append("| MAE lesion / mean filler (ratio of means) | " + " | ".join(cells) + " |")
    lines.append(
        "| seconds per slice | "
        + " | ".join(f"{fillers[n].get('seconds_per_slice', math.nan):.3f}" for n in names)
        + " |"
    )
    return "\n".join(lines) + "\n"


def _pm(mean: float, std: float) -> str:
    if not math.isfinite(mean):
        return "n/a"
    digits = 3 if abs(mean) < 10 else 2
    if not math.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"
