"""How much one realism-AUC figure moves with the fill's grain seed (the judge's own noise).

The judge (:func:`liversynth.realism.judge_auc`) is cross-validated with fixed folds, but the
``gan`` engine's grain is drawn from ``seed``: another seed is another, equally plausible set of
fills. This scores the held-out lesions of a prepared dataset with ``--seeds`` different grain
seeds per model and reports each AUC and their mean ± std, so that a difference between two
models can be read against it.

Usage:
    python -m benchmarks.judge_seed_spread --data /tmp/r_ds --models \\
        resources/models/default.safetensors old.safetensors --out judge_seeds.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.realism_ablation import lesion_samples, score
from liversynth.fillers.gan import Filler


def seed_spread(data: Path, model: Path, seeds: int, split: str = "test") -> list[float]:
    """The judge's AUC on ``split`` for ``seeds`` grain seeds of ``model``'s fills."""
    samples = lesion_samples(data, (split,))
    filler = Filler.from_checkpoint(model, device="cpu")
    return [float(score(filler, samples, seed_offset=1000 * k)["auc_mean"]) for k in range(seeds)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="prepared dataset")
    p.add_argument("--models", type=Path, nargs="+", required=True, help="model files")
    p.add_argument("--seeds", type=int, default=5, help="grain seeds per model (default 5)")
    p.add_argument("--split", default="test", help="split to score (default test)")
    p.add_argument("--out", type=Path, required=True, help="JSON output")
    args = p.parse_args(argv)
    result = {}
    for model in args.models:
        aucs = seed_spread(args.data, model, args.seeds, args.split)
        result[str(model)] = {
            "aucs": aucs,
            "mean": float(np.mean(aucs)),
            "std": float(np.std(aucs)),
        }
        print(
            f"{model}: {' '.join(f'{a:.3f}' for a in aucs)}  mean {np.mean(aucs):.3f} ± {np.std(aucs):.3f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
