"""What the realism judge says about *real* tissue: a reference for reading any realism AUC.

The judge (:func:`liversynth.realism.judge_auc`) compares a slice's real lesion with a fill
of the same mask. A realism AUC only means something next to what a perfect generator of
*real tissue* would score. This benchmark builds that reference without any model: each
lesion mask is filled with the **real CT of a neighbouring slice** (``z ± dz``, the same
lesion a few millimetres away), pasted with the ``gan`` engine's own soft edge
(:func:`liversynth.fillers.compositing.blend_weight`, ``DEFAULT_BAND_PX``), and judged exactly
like a filler. For ``dz = 1`` the pasted tissue is the same tumour 1 slice away (98 % mask
overlap on 3D-IRCADb 1.1); larger ``dz`` moves further through the lesion.

Two sets, as in :mod:`benchmarks.realism_ablation`:

* **lesions** of a prepared dataset's split (the slices' CT is read from the source case, so
  the neighbour slice is available even where ``prepare`` kept no record of it); of the two
  neighbours at ``dz`` the one whose tumour label overlaps the mask most is pasted;
* **healthy liver** discs of a tumour-free case (:func:`healthy_discs`); the neighbour is
  ``z + dz`` (``z − dz`` at the last slice).

With ``--model`` the same samples are also scored for the ``gan`` engine, so the table puts
the model's AUC beside real tissue's. Writes JSON and a Markdown table.

Usage:
    python -m benchmarks.judge_reference --data /tmp/r_ds --source ../shared/data \\
        --healthy ../shared/data/3Dircadb1.7 --offsets 1,2,3 --model \\
        resources/models/default.safetensors --out docs/realism/judge_reference.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.realism_ablation import healthy_discs, score, split_slices, write_tables
from liversynth.fillers.base import Appearance
from liversynth.fillers.compositing import blend_weight
from liversynth.fillers.gan import DEFAULT_BAND_PX, Filler
from liversynth.realism import attenuation_error_hu, judge_auc, lesion_features, texture_ratio
from model_training.eval_grid import plot_grid, view_box

#: (real slice HU, pasted slice HU, lesion mask, liver mask) of one judged sample.
Pair = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def neighbour_paste(
    image_hu: np.ndarray, neighbour_hu: np.ndarray, mask: np.ndarray, band_px: float
) -> np.ndarray:
    """``image_hu`` with ``neighbour_hu`` inside ``mask``, blended over ``band_px`` px outside it.

    The same weights as the ``gan`` engine's composite, so the pasted tissue meets the liver
    the way a fill does; pixels beyond the band stay bit-identical.
    """
    w = blend_weight(np.asarray(mask, bool), band_px).astype(np.float64)
    out = w * np.asarray(neighbour_hu, np.float64) + (1.0 - w) * np.asarray(image_hu, np.float64)
    return out.astype(np.float32)


def lesion_pairs(data: Path, source: Path | None, splits: tuple[str, ...], dz: int) -> list[Pair]:
    """Every lesion slice of ``splits`` with the real tumour ``dz`` slices away pasted in.

    ``source``: the folder holding the prepared cases (``None``: the ``sources`` that
    ``prepare`` recorded in the manifest, as paths from where it ran).
    """
    from liversynth.io import find_cases, load_case
    from liversynth.volume import TUMOUR

    manifest = json.loads((data / "manifest.json").read_text())
    roots = [source] if source is not None else [Path(p) for p in manifest["sources"]]
    refs = {ref.name: ref for root in roots for ref in find_cases(root)}
    cases: dict[str, Any] = {}
    out: list[Pair] = []
    for meta, hu, mask, liver in split_slices(data, splits):
        if meta["case"] not in refs:
            raise ValueError(f"{roots} hold no case {meta['case']!r} (prepared in {data})")
        if meta["case"] not in cases:
            cases[meta["case"]] = load_case(refs[meta["case"]])
        case = cases[meta["case"]]
        if case.labels is None:
            raise ValueError(f"{meta['case']} in {roots} has no labels to find its tumour by")
        (oy, ox), (h, w), z = meta["offset_yx"], hu.shape, int(meta["z"])
        window = np.s_[oy : oy + h, ox : ox + w]
        volume = np.asarray(case.volume.hu)
        if not np.array_equal(volume[z][window].astype(np.float32), hu):
            raise ValueError(f"{meta['case']} slice {z} in {roots} is not the one {data} prepared")
        candidates = [k for k in (z - dz, z + dz) if 0 <= k < volume.shape[0]]
        if not candidates:
            raise ValueError(f"{meta['case']} has no slice {dz} away from slice {z}")
        overlap = [int(((case.labels[k][window] == TUMOUR) & mask).sum()) for k in candidates]
        k = candidates[int(np.argmax(overlap))]
        out.append((hu, neighbour_paste(hu, volume[k][window], mask, DEFAULT_BAND_PX), mask, liver))
    return out


def healthy_pairs(folder: Path, dz: int) -> list[Pair]:
    """The healthy-liver discs of ``folder`` with the liver ``dz`` slices away pasted in."""
    from liversynth.io import load_case

    case = load_case(folder)
    volume = np.asarray(case.volume.hu)
    assert case.labels is not None
    out: list[Pair] = []
    for z, disc in healthy_discs(case):
        k = z + dz if z + dz < volume.shape[0] else z - dz
        hu = np.asarray(volume[z], np.float32)
        out.append(
            (hu, neighbour_paste(hu, volume[k], disc, DEFAULT_BAND_PX), disc, case.labels[z] >= 1)
        )
    return out


def judge_pairs(pairs: list[Pair]) -> dict[str, Any]:
    """The judge's AUC and the per-lesion figures of pasted vs real, as :func:`score` gives them."""
    real = np.stack([lesion_features(hu, m, liv) for hu, _, m, liv in pairs])
    pasted = np.stack([lesion_features(p, m, liv) for _, p, m, liv in pairs])
    verdict = judge_auc(real, pasted, np.arange(len(pairs)))
    rows = np.asarray(
        [
            (
                texture_ratio(p, hu, m),
                attenuation_error_hu(p, hu, m),
                float(np.abs(p[m] - hu[m]).mean()),
            )
            for hu, p, m, _ in pairs
        ],
        np.float64,
    )
    figures = np.nanmean(rows, axis=0)
    return {
        "auc_mean": verdict.auc_mean,
        "auc_std": verdict.auc_std,
        "texture_ratio": float(figures[0]),
        "attenuation_error_hu": float(figures[1]),
        "mae_hu": float(figures[2]),
        "n": len(pairs),
    }


def grid_rows(
    pasted: dict[str, list[Pair]], filled: list[np.ndarray] | None, n: int = 5
) -> list[dict[str, np.ndarray]]:
    """Panels of ``n`` evenly spaced samples: truth, each pasted reference, the model's fill."""
    first = next(iter(pasted.values()))
    out = []
    for i in np.linspace(0, len(first) - 1, min(n, len(first))).astype(int):
        hu, _, mask, _ = first[i]
        box = view_box(mask)
        panels = {"real (truth)": hu[box]}
        panels.update({name: pairs[i][1][box] for name, pairs in pasted.items()})
        if filled is not None:
            panels["gan fill"] = filled[i][box]
        out.append(panels)
    return out


def _row(name: str, set_name: str, r: dict[str, Any]) -> str:
    return (
        f"| {name} | {set_name} (n={r['n']}) | {r['auc_mean']:.3f} ± {r['auc_std']:.3f} "
        f"| {r['texture_ratio']:.3f} | {r['attenuation_error_hu']:.2f} | {r['mae_hu']:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="prepared dataset")
    p.add_argument(
        "--source",
        type=Path,
        default=None,
        help="folder holding the cases named in --data (default: the manifest's sources)",
    )
    p.add_argument("--healthy", type=Path, default=None, help="a tumour-free case with a liver")
    p.add_argument("--split", default="test", help="comma-separated splits (default test)")
    p.add_argument("--offsets", default="1,2,3", help="slice offsets dz to paste from")
    p.add_argument("--model", type=Path, default=None, help="also score this gan model")
    p.add_argument("--out", type=Path, required=True, help="JSON output (.md beside it)")
    p.add_argument(
        "--grid", type=Path, default=None, help="also draw five lesions' panels to this PNG"
    )
    args = p.parse_args(argv)
    splits = tuple(args.split.split(","))
    offsets = [int(v) for v in args.offsets.split(",") if v]
    lesion_set = "held-out lesions" if splits == ("test",) else f"{'+'.join(splits)} lesions"
    result: dict[str, Any] = {}
    lines = [
        "| fill | set | judge AUC | texture ratio | atten. err (HU) | MAE (HU) |",
        "|---|---|---|---|---|---|",
    ]
    pasted: dict[str, list[Pair]] = {}
    for dz in offsets:
        name = f"real tissue {dz} slice{'s' if dz > 1 else ''} away"
        sets = {lesion_set: lesion_pairs(args.data, args.source, splits, dz)}
        pasted[name] = sets[lesion_set]
        if args.healthy is not None:
            sets["healthy liver (disc)"] = healthy_pairs(args.healthy, dz)
        for set_name, pairs in sets.items():
            r = judge_pairs(pairs)
            result.setdefault(name, {})[set_name] = r
            lines.append(_row(name, set_name, r))
            print(lines[-1], flush=True)
    filled: list[np.ndarray] | None = None
    if args.model is not None:
        from benchmarks.realism_ablation import healthy_samples, lesion_samples

        filler = Filler.from_checkpoint(args.model, device="cpu")
        samples: dict[str, tuple[list[Any], Appearance | None]] = {
            lesion_set: (list(lesion_samples(args.data, splits)), None)
        }
        if args.healthy is not None:
            samples["healthy liver (disc)"] = (
                healthy_samples(args.healthy),
                Appearance(contrast_hu=0.0),
            )
        for set_name, (data, appearance) in samples.items():
            r = score(filler, data, appearance, keep_fills=set_name == lesion_set)
            if set_name == lesion_set:
                filled = r.pop("filled")
            result.setdefault(f"gan ({args.model.name})", {})[set_name] = r
            lines.append(_row(f"gan ({args.model.name})", set_name, r))
            print(lines[-1], flush=True)
    if args.grid is not None and pasted:
        rows = grid_rows(pasted, filled)
        first = next(iter(pasted.values()))
        ids = np.linspace(0, len(first) - 1, len(rows)).astype(int)
        plot_grid(rows, args.grid, [f"sample {i}" for i in ids])
    write_tables(args.out, result, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
