"""Fit the renderer's tumour-texture prior (``liversynth/fillers/tumour_prior.json``).

From the **training** slices of a prepared dataset only (never val or test): for every
lesion slice, the shipped generator's structure prediction (the ``gan`` engine without its
renderer) is compared with the real tumour, and the liver around it:

* ``band_gain[k]``: median over slices of std of the real tumour in band k (inside the mask
  eroded by up to 3 px, :func:`~liversynth.fillers.tumour_grain.lesion_core`) / std of the liver in band k (in the renderer's noise region), bands
  :data:`liversynth.fillers.tumour_grain.BANDS_PX`;
* ``lesion_quantiles``: the mean over slices of the standardised quantile function of the
  tumour's HU values inside the mask (each slice counts once, whatever its size);
* ``structure_share``: the median over slices with a deep core (8 px inside the edge) of the
  structure's variance in the σ < 2 px band there / the liver's in the noise region;
* ``quantiles``: the pooled standardised quantile function of the fine residual
  (σ 5 px high-pass) of ``real − structure`` inside the tumours, each slice standardised
  by its own std, so it carries the shape (skew, tails) and not the level.

Slices whose eroded lesion has fewer than ``--min-px`` pixels are skipped (their band
estimates are noise). The JSON records the command, the dataset, the model and the slices.

Usage:
    python -m model_training.tumour_prior --data /tmp/r_ds --split train \\
        --out liversynth/fillers/tumour_prior.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

#: Quantiles stored for the marginal.
N_QUANTILES = 201


def _hp_var(image: np.ndarray, where: np.ndarray, sigma_px: float) -> float:
    from scipy import ndimage

    img = np.asarray(image, np.float64)
    return float((img - ndimage.gaussian_filter(img, sigma_px))[where].var())


def _standardised(q: np.ndarray) -> np.ndarray:
    return (q - q.mean()) / q.std()


def fit(data: Path, splits: tuple[str, ...], min_px: int = 30) -> dict[str, Any]:
    """The prior's statistics from the ``splits`` slices of the prepared dataset ``data``."""
    from liversynth.fillers.gan import Filler, default_model_path
    from liversynth.fillers.lesion_render import NOISE_BAND_PX
    from liversynth.fillers.texture import noise_region, residual
    from liversynth.fillers.tumour_grain import BANDS_PX, band_std, deep_core, lesion_core
    from model_training.evaluate import blanked
    from model_training.records import SliceRecord

    manifest = json.loads((data / "manifest.json").read_text())
    structure = Filler.from_checkpoint(default_model_path(), device="cpu", render=None)
    probs = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
    gains, pooled, shapes, shares, used = [], [], [], [], []
    for meta in manifest["slices"]:
        if meta["split"] not in splits:
            continue
        rec = SliceRecord.from_meta(meta).load_arrays(data)
        hu = np.asarray(rec.hu, np.float64)
        mask, liver = rec.eval_mask(), np.asarray(rec.liver) > 0
        core = lesion_core(mask[None])[0]
        if core.sum() < min_px:
            continue
        pred = structure.fill(blanked(rec.hu, mask, liver), mask, liver_mask=liver, seed=0)
        region = noise_region(hu, mask, liver)
        real_bands = band_std(hu[None], core[None])
        liver_bands = band_std(hu[None], region[None])
        gains.append([r / max(lv, 1e-6) for r, lv in zip(real_bands, liver_bands, strict=True)])
        res = residual(hu - np.asarray(pred, np.float64))[core]
        res = res - res.mean()
        pooled.append(res / max(float(res.std()), 1e-6))
        deep = deep_core(mask[None])
        if deep is not None:
            shares.append(
                _hp_var(pred, deep[0], NOISE_BAND_PX) / _hp_var(hu, region, NOISE_BAND_PX)
            )
        vals = hu[mask]
        shapes.append(np.quantile((vals - vals.mean()) / max(float(vals.std()), 1e-6), probs))
        used.append(f"{meta['case']}:z{meta['z']}")
    if not used:
        raise ValueError(f"no slice of splits {splits} in {data} with >= {min_px} lesion px")
    sample = np.sort(np.concatenate(pooled))
    quantiles = np.quantile(sample, probs)
    quantiles = _standardised(quantiles)
    return {
        "band_gain": [round(float(g), 4) for g in np.median(np.asarray(gains), axis=0)],
        "bands_px": [list(b) for b in BANDS_PX],
        "quantiles": [round(float(q), 4) for q in quantiles],
        "lesion_quantiles": [round(float(q), 4) for q in _standardised(np.mean(shapes, axis=0))],
        "structure_share": round(float(np.median(shares)), 4) if shares else 0.0,
        "n_share_slices": len(shares),
        "n_slices": len(used),
        "slices": used,
        "splits": list(splits),
        "dataset": str(data),
        "model": default_model_path().name,
        "command": "python -m model_training.tumour_prior " + " ".join(sys.argv[1:]),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="prepared dataset")
    p.add_argument("--split", default="train", help="comma-separated splits (default train)")
    p.add_argument("--out", type=Path, required=True, help="JSON to write")
    p.add_argument("--min-px", type=int, default=30, help="fewest eroded lesion pixels")
    args = p.parse_args(argv)
    splits = tuple(args.split.split(","))
    if set(splits) & {"val", "test"}:
        print("warning: fitting the prior on held-back slices", file=sys.stderr)
    prior = fit(args.data, splits, args.min_px)
    from liversynth.atomic import atomic_write

    atomic_write(args.out, (json.dumps(prior, indent=1) + "\n").encode())
    print(f"band_gain {prior['band_gain']} from {prior['n_slices']} slices -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
