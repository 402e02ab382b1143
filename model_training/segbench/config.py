"""Presets and the command line of ``segbench``.

A preset fixes everything that must be equal across arms: crop geometry, network size,
optimisation budget (steps), batch size, augmentation and the synthetic pool size. Arms differ
only in which pools their batches are drawn from.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, replace
from typing import Any

ARMS = ("real_only", "real_plus_synthetic", "synthetic_only")


@dataclass(frozen=True)
class Preset:
    """Everything an arm's training depends on besides its data.

    Attributes:
        name: ``smoke``, ``small`` or ``full``.
        pixel_mm: in-plane spacing every slice is resampled to.
        crop_px: side of the liver-centred square crop (a multiple of 2**len(strides)).
        channels: U-Net channels per level.
        steps: optimiser steps per arm and seed (the budget).
        batch: slices per step.
        lr: Adam learning rate.
        synthetic_count: synthetic items generated on the fly (when no ``--synthetic``).
        jitter_px: random shift of the crop (augmentation).
        tumour_fraction: share of real draws taken from slices that show tumour.
        seeds: default number of seeds per arm.
        eval_every: steps between training-loss points of the curves.
    """

    name: str
    pixel_mm: float
    crop_px: int
    channels: tuple[int, ...]
    steps: int
    batch: int
    lr: float
    synthetic_count: int
    jitter_px: int
    tumour_fraction: float
    seeds: int
    eval_every: int

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "channels": list(self.channels)}


PRESETS: dict[str, Preset] = {
    "smoke": Preset("smoke", 4.0, 48, (8, 16, 32), 40, 8, 3e-3, 12, 4, 0.5, 3, 5),
    "small": Preset("small", 2.25, 96, (16, 32, 64, 128), 200, 8, 2e-3, 160, 8, 0.5, 3, 20),
    "full": Preset(
        "full", 1.0, 256, (32, 64, 128, 256, 512), 20000, 32, 1e-3, 4000, 16, 0.5, 3, 200
    ),
}

#: Appearance ranges drawn per synthetic item (HU contrast to the liver, heterogeneity 0..1).
DEFAULT_CONTRAST_HU = (-60.0, -10.0)
DEFAULT_HETEROGENEITY = (0.1, 0.6)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``segbench`` subcommand."""
    from model_training.cli import DEVICES, subcommand

    p = subcommand(
        subparsers,
        "segbench",
        help="does synthetic data improve a tumour segmenter? (real / real+synthetic / synthetic arms)",
        description=(
            "Train the same small 2-D U-Net under three arms (real only, real + synthetic, "
            "synthetic only) and report tumour Dice and lesion detection on held-out cases."
        ),
        example=(
            "python -m model_training segbench --real ../shared/data/3Dircadb1.1 "
            "--test ../shared/data/3Dircadb1.1\n    --healthy ../shared/data/3Dircadb1.7 "
            "--filler procedural --preset small --out out/segbench"
        ),
    )
    p.add_argument("--real", nargs="+", required=True, metavar="CASES", help="real training cases")
    p.add_argument("--test", nargs="+", required=True, metavar="CASES", help="held-out cases")
    p.add_argument(
        "--healthy", nargs="*", default=[], metavar="CASES", help="healthy livers to synthesise in"
    )
    p.add_argument(
        "--synthetic", default=None, metavar="SYNTH_DIR", help="a `synthesize` output folder"
    )
    p.add_argument("--filler", default="gan", help="filler for on-the-fly synthesis (default gan)")
    p.add_argument("--model", default=None, help="model file of the gan filler (default: bundled)")
    p.add_argument("--preset", choices=tuple(PRESETS), default="small")
    p.add_argument(
        "--seeds", type=int, default=None, help="seeds per arm (default 3, the preset's)"
    )
    p.add_argument("--device", choices=DEVICES, default="auto", help="auto = CUDA when present")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (new or empty)")
    p.add_argument(
        "--ratio",
        default="1:1",
        help="real:synthetic share of each real_plus_synthetic batch (default 1:1)",
    )
    p.add_argument("--synthetic-count", type=int, default=None, help="items made on the fly")
    p.add_argument(
        "--contrast-hu",
        nargs=2,
        type=float,
        default=DEFAULT_CONTRAST_HU,
        metavar=("LO", "HI"),
        help="lesion-liver contrast range for on-the-fly items (engines that honour it)",
    )
    p.add_argument(
        "--heterogeneity",
        nargs=2,
        type=float,
        default=DEFAULT_HETEROGENEITY,
        metavar=("LO", "HI"),
        help="heterogeneity range for on-the-fly items (engines that honour it)",
    )
    p.add_argument("--steps", type=int, default=None, help="override the preset's steps")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the lesion split")
    p.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads of torch (default: torch's; 1 is fastest on a busy shared machine)",
    )
    p.add_argument("--overwrite", action="store_true", help="allow a non-empty --out")
    return p


def parse_ratio(text: str) -> tuple[float, float]:
    """``"1:1"`` → ``(1.0, 1.0)``; both parts non-negative, not both zero."""
    try:
        real, synth = (float(v) for v in text.split(":"))
    except ValueError:
        raise ValueError(f"--ratio must look like REAL:SYNTH (e.g. 1:1), got {text!r}") from None
    if real < 0 or synth < 0 or real + synth == 0:
        raise ValueError(f"--ratio parts must be >= 0 and not both 0, got {text!r}")
    return real, synth


def resolve_preset(args: argparse.Namespace) -> Preset:
    """The preset with the command line's overrides applied."""
    preset = PRESETS[args.preset]
    if args.steps is not None:
        if args.steps < 1:
            raise ValueError(f"--steps must be >= 1, got {args.steps}")
        preset = replace(preset, steps=args.steps)
    if args.seeds is not None:
        if args.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
        preset = replace(preset, seeds=args.seeds)
    if args.synthetic_count is not None:
        if args.synthetic_count < 1:
            raise ValueError(f"--synthetic-count must be >= 1, got {args.synthetic_count}")
        preset = replace(preset, synthetic_count=args.synthetic_count)
    return preset
