"""Ablation of the ``gan`` renderer against the fixed realism judge, on held-back data.

Two held-back sets, never used to choose anything:

* **lesions**: the test split of a prepared dataset (``prepare`` of 3Dircadb1.1 holds out whole
  3-D lesions), each lesion blanked to the liver median as in ``evaluate``;
* **healthy liver**: slices of a tumour-free liver (3Dircadb1.7) with a disc "lesion" placed in
  the liver and blanked; the real image under the disc is healthy parenchyma, so a fill that
  renders the scan should be indistinguishable from the liver's own texture there. The fill
  is asked for ``contrast_hu=0`` (the generator would otherwise paint a tumour, which is its
  job): what is compared is the texture.

Variants (``RenderOptions``): the plain generator output (the old engine), grain as white noise,
grain with the liver's noise power spectrum, + histogram matching (the default), + seam noise,
+ the grain's local amplitude envelope (``envelope=0.4``, not the default), and the
tumour-prior options of round 3 (:mod:`liversynth.fillers.tumour_grain`; none the default). ``--split train,val`` scores the
lesions the renderer's choices were made on; the published table uses the test split.
For each: the judge's AUC (mean ± std over folds and repeats), texture and noise-power ratios,
attenuation error and inside-lesion MAE. Writes JSON and prints a Markdown table.

Usage:
    python -m benchmarks.realism_ablation --data /tmp/r_ds --healthy ../shared/data/3Dircadb1.7 \\
        --out docs/realism/ablation.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.fillers.appearance import apply_appearance
from liversynth.fillers.base import Appearance
from liversynth.fillers.gan import Filler, default_model_path
from liversynth.fillers.lesion_render import RenderOptions
from liversynth.realism import (
    attenuation_error_hu,
    judge_auc,
    lesion_features,
    noise_power_ratio,
    texture_ratio,
)

VARIANTS: dict[str, RenderOptions | None] = {
    "plain generator (old engine)": None,
    "+ grain, white noise": RenderOptions(match_spectrum=False, match_histogram=False),
    "+ grain with the liver's NPS": RenderOptions(match_histogram=False),
    "+ histogram matched, bright tail 2 (default)": RenderOptions(),
    "+ seam noise in the band": RenderOptions(seam=True),
    "+ local grain amplitude (envelope 0.4)": RenderOptions(envelope=0.4),
    # Round 3: the tumour-texture prior (liversynth/fillers/tumour_prior.json, training lesions).
    "+ per-band grain (tumour prior)": RenderOptions(band_grain=True),
    "+ tumour residual marginal": RenderOptions(tumour_marginal=True),
    "+ intensity-dependent amplitude (slope 0.3)": RenderOptions(intensity_slope=0.3),
    "+ tumour histogram shape (weight 0.5)": RenderOptions(lesion_histogram=0.5),
    "+ edge-free deficit": RenderOptions(edge_free_deficit=True),
    "+ deep-core deficit": RenderOptions(deep_deficit=True),
    # Round 4/5: how much of the liver's bright vessel tail the grain's histogram keeps.
    "bright tail unclipped (round 4 default)": RenderOptions(bright_tail=0.0),
    "+ symmetric grain tails (bright tail 1)": RenderOptions(bright_tail=1.0),
}


def split_slices(
    data: Path, splits: tuple[str, ...]
) -> Iterator[tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]]:
    """``(meta, real_hu, mask, liver)`` of every slice of ``splits`` of a prepared dataset."""
    from model_training.records import SliceRecord

    manifest = json.loads((data / "manifest.json").read_text())
    for meta in manifest["slices"]:
        if meta["split"] in splits:
            r = SliceRecord.from_meta(meta).load_arrays(data)
            yield meta, np.asarray(r.hu, np.float32), r.eval_mask(), np.asarray(r.liver) > 0


def lesion_samples(
    data: Path, splits: tuple[str, ...] = ("test",)
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(real_hu, mask, liver)`` of every slice of ``splits`` of a prepared dataset."""
    return [(hu, mask, liver) for _, hu, mask, liver in split_slices(data, splits)]


def write_tables(out: Path, result: dict[str, Any], lines: list[str]) -> None:
    """``result`` as JSON at ``out`` and the Markdown table ``lines`` beside it (``.md``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def healthy_discs(case: Any, n: int = 24, radius_px: int = 14) -> list[tuple[int, np.ndarray]]:
    """``(z, disc)`` in the liver of a tumour-free ``case``, on ``n`` slices spread over the liver."""
    assert case.labels is not None
    liver = case.labels >= 1
    zs = np.flatnonzero(liver.sum(axis=(1, 2)) > 4000)
    out = []
    yy, xx = np.mgrid[: liver.shape[1], : liver.shape[2]]
    for z in zs[np.linspace(0, len(zs) - 1, min(n, len(zs))).astype(int)]:
        inner = ndimage.binary_erosion(liver[z], iterations=radius_px + 12)
        if not inner.any():
            continue
        cy, cx = (int(v) for v in np.argwhere(inner)[len(np.argwhere(inner)) // 2])
        out.append((int(z), (yy - cy) ** 2 + (xx - cx) ** 2 <= radius_px**2))
    return out


def healthy_samples(folder: Path, n: int = 24, radius_px: int = 14) -> list[tuple[Any, ...]]:
    """Discs in the liver of a tumour-free case (:func:`healthy_discs`), with slice and liver."""
    from liversynth.io import load_case

    case = load_case(folder)
    assert case.labels is not None
    return [
        (np.asarray(case.volume.hu[z], np.float32), disc, case.labels[z] >= 1)
        for z, disc in healthy_discs(case, n, radius_px)
    ]


def score(
    filler: Filler,
    samples: list[tuple[Any, ...]],
    appearance: Appearance | None = None,
    seed_offset: int = 0,
    keep_fills: bool = False,
) -> dict[str, Any]:
    """Judge AUC and per-lesion figures of ``filler`` on ``samples``.

    Sample ``i`` is filled with seed ``seed_offset + i`` (another offset: another draw of the
    grain, see :mod:`benchmarks.judge_seed_spread`). ``keep_fills``: the filled slices are
    returned too, under ``"filled"``.
    """
    from model_training.evaluate import blanked

    real, syn, rows, fills = [], [], [], []
    for i, (hu, mask, liver) in enumerate(samples):
        filled = filler.fill(
            blanked(hu, mask, liver),
            mask,
            liver_mask=liver,
            seed=seed_offset + i,
            appearance=appearance,
        )
        if filler.render is None:  # the plain engine ignores appearance: apply it generically
            filled = apply_appearance(filled, mask, liver, appearance, seed=seed_offset + i)
        real.append(lesion_features(hu, mask, liver))
        syn.append(lesion_features(filled, mask, liver))
        if keep_fills:
            fills.append(filled)
        rows.append(
            (
                texture_ratio(filled, hu, mask),
                noise_power_ratio(filled, hu, mask),
                attenuation_error_hu(filled, hu, mask),
                float(np.abs(filled[mask] - hu[mask]).mean()),
            )
        )
    verdict = judge_auc(np.stack(real), np.stack(syn), np.arange(len(real)))
    figures = np.nanmean(np.asarray(rows, np.float64), axis=0)
    out: dict[str, Any] = {
        "auc_mean": verdict.auc_mean,
        "auc_std": verdict.auc_std,
        "texture_ratio": figures[0],
        "noise_power_ratio": figures[1],
        "attenuation_error_hu": figures[2],
        "mae_hu": figures[3],
        "n": len(samples),
    }
    if keep_fills:
        out["filled"] = fills
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="prepared dataset (test split used)")
    p.add_argument("--healthy", type=Path, default=None, help="a tumour-free case with a liver")
    p.add_argument("--out", type=Path, required=True, help="JSON output")
    p.add_argument(
        "--split", default="test", help="comma-separated splits of --data to score (default test)"
    )
    p.add_argument(
        "--variants",
        default="",
        help="only the variants whose name contains one of these (comma-separated)",
    )
    p.add_argument(
        "--max-lesion-px",
        type=int,
        default=0,
        help="score only lesion slices with fewer lesion pixels (0: all); e.g. 2100 for small ones",
    )
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="generator weights (.safetensors) to score (default: the bundled model)",
    )
    args = p.parse_args(argv)
    wanted = [w for w in args.variants.split(",") if w]
    splits = tuple(args.split.split(","))
    name = "held-out lesions" if splits == ("test",) else f"{'+'.join(splits)} lesions"
    lesions = lesion_samples(args.data, splits)
    if args.max_lesion_px > 0:
        lesions = [t for t in lesions if int(t[1].sum()) < args.max_lesion_px]
        name = f"{name} < {args.max_lesion_px} px"
    sets = {name: lesions}
    if args.healthy is not None:
        sets["healthy liver (disc)"] = healthy_samples(args.healthy)
    result: dict[str, Any] = {}
    lines = [
        "| variant | set | judge AUC | texture ratio | noise power ratio | atten. err (HU) | MAE (HU) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, options in VARIANTS.items():
        if wanted and not any(w in name for w in wanted):
            continue
        filler = Filler.from_checkpoint(
            args.model or default_model_path(), device="cpu", render=options
        )
        for set_name, samples in sets.items():
            r = score(
                filler, samples, Appearance(contrast_hu=0.0) if "healthy" in set_name else None
            )
            result.setdefault(name, {})[set_name] = r
            lines.append(
                f"| {name} | {set_name} (n={r['n']}) | {r['auc_mean']:.3f} ± {r['auc_std']:.3f} "
                f"| {r['texture_ratio']:.3f} | {r['noise_power_ratio']:.3f} "
                f"| {r['attenuation_error_hu']:.2f} | {r['mae_hu']:.2f} |"
            )
            print(lines[-1], flush=True)
    write_tables(args.out, result, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
