"""``python -m model_training quiz``: build a quiz for trainees from labelled cases.

Example::

    python -m model_training quiz --real ../shared/data/3Dircadb1.1 \\
        --healthy ../shared/data/3Dircadb1.7 --count 12 \\
        --kinds find,real_or_synthetic,measure --seed 0 --out quiz1 --trainee-zip quiz1.zip

Send ``quiz1.zip`` (quiz.json + items) to the trainees; keep ``quiz1/key.json`` and
``quiz1/key/``. Collect their ``answers-<name>.json`` into ``quiz1/`` and open it with
``liversynth --quiz quiz1 --review``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from liversynth.fillers.base import CONTRAST_RANGE_HU


def _range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH, got {text!r}") from None
    return lo, hi


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``quiz`` subcommand."""
    from liversynth.fillers.registry import available_fillers
    from liversynth.teaching.quiz import KINDS
    from model_training.cli import subcommand

    p = subcommand(
        subparsers,
        "quiz",
        help="build a quiz for trainees (find / real-or-synthetic / measure / normal items)",
        description="Build a quiz for trainees from labelled cases: real tumours, synthetic "
        "tumours embedded in tumour-free liver (also of the real-tumour scans) and healthy liver; "
        "a separate answer key (key.json) stays with the teacher.",
        example="liversynth-train quiz --real ../shared/data/3Dircadb1.1 "
        "--healthy ../shared/data/3Dircadb1.7 --count 12 --seed 0 --out quiz1",
    )
    p.add_argument(
        "--real", nargs="+", type=Path, required=True, help="cases with real tumours (label 2)"
    )
    p.add_argument(
        "--healthy", nargs="*", type=Path, default=[], help="tumour-free cases with a liver label"
    )
    p.add_argument(
        "--lesions",
        nargs="*",
        type=Path,
        default=[],
        help="cases whose tumours give the synthetic lesion shapes (default: the --real cases)",
    )
    p.add_argument("--count", type=int, default=12, help="number of items (default 12)")
    p.add_argument(
        "--kinds",
        default="find,real_or_synthetic,measure",
        help=f"comma-separated item kinds from {','.join(KINDS)} (default find,real_or_synthetic,measure)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="same seed → same quiz, byte for byte (default 0)"
    )
    p.add_argument(
        "--filler",
        choices=available_fillers(),
        default="gan",
        help="engine for synthetic lesions (default gan)",
    )
    p.add_argument(
        "--model", type=Path, default=None, help="gan model file (default: the bundled model)"
    )
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="gan device (default auto)",
    )
    p.add_argument(
        "--contrast-hu",
        type=_range,
        default=(-60.0, -15.0),
        metavar="LOW,HIGH",
        help=f"lesion − liver HU range drawn per synthetic lesion, within {CONTRAST_RANGE_HU} (default -60,-15)",
    )
    p.add_argument(
        "--heterogeneity",
        type=_range,
        default=(0.1, 0.6),
        metavar="LOW,HIGH",
        help="0..1 (default 0.1,0.6)",
    )
    p.add_argument("--crop-px", type=int, default=96, help="item size in pixels (default 96)")
    p.add_argument("--slab", type=int, default=5, help="slices per item (default 5)")
    p.add_argument(
        "--spacing-mm",
        type=float,
        nargs=3,
        default=(2.0, 0.8, 0.8),
        metavar=("Z", "Y", "X"),
        help="item voxel size (default 2.0 0.8 0.8)",
    )
    p.add_argument("--title", default="Liver lesion quiz", help="quiz title")
    p.add_argument(
        "--time-limit-min", type=float, default=None, help="optional time limit in minutes"
    )
    p.add_argument("--out", type=Path, required=True, help="quiz folder (new or empty)")
    p.add_argument(
        "--trainee-zip",
        type=Path,
        default=None,
        help="also write the trainees' copy (no key) as this .zip",
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Build the quiz; returns the exit code."""
    from liversynth.io import load_case
    from liversynth.teaching.build import BuildOptions, build_quiz
    from liversynth.teaching.quiz import write_trainee_copy

    options = BuildOptions(
        count=args.count,
        kinds=tuple(k.strip() for k in args.kinds.split(",") if k.strip()),
        seed=args.seed,
        filler=args.filler,
        model_path=None if args.model is None else str(args.model),
        device=args.device,
        contrast_hu=tuple(args.contrast_hu),
        heterogeneity=tuple(args.heterogeneity),
        spacing_mm=tuple(args.spacing_mm),
        crop_px=args.crop_px,
        slab_slices=args.slab,
        title=args.title,
        time_limit_s=None if args.time_limit_min is None else 60.0 * args.time_limit_min,
    )
    started = time.perf_counter()
    real = [load_case(p) for p in args.real]
    healthy = [load_case(p) for p in args.healthy]
    lesions = [load_case(p) for p in args.lesions]

    def _progress(done: int, total: int) -> None:
        print(f"\ritem {done}/{total}", end="", flush=True)

    quiz = build_quiz(
        args.out,
        real=real,
        healthy=healthy,
        lesion_cases=lesions,
        options=options,
        progress=_progress,
    )
    print(f"\rwrote {len(quiz.items)} items to {args.out} in {time.perf_counter() - started:.1f} s")
    if args.trainee_zip is not None:
        write_trainee_copy(args.out, args.trainee_zip)
        print(f"trainees' copy (without key.json): {args.trainee_zip}")
    return 0
