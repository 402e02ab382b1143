"""``model_training prepare``: turn LiTS / MSD / 3D-IRCADb folders into a training dataset.

Every slice that shows tumour becomes one npz (:mod:`model_training.records`); training slices
are cropped to the liver bounding box plus a margin (the dataset stays small), held-out slices
are kept whole so that evaluation sees full slices like the paper. ``manifest.json`` lists every
slice with its case, patient, index, spacing, lesion components, split and pixel counts, the
split plan (:mod:`model_training.split`) and every case that could not be read.

A case that cannot be read and a folder under a dataset root that is no recognised case are
both listed under ``skipped`` with the reason, and reported at the end.

Example:
    python -m model_training prepare --data ../shared/data/3Dircadb1.1 --out data/ircad11
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from liversynth.volume import Case
from model_training.cli import add_quiet, subcommand
from model_training.cli import progress as progress_bar
from model_training.records import SliceRecord, crop_to_liver, extract_case, write_json_atomic
from model_training.split import SPLITS, SplitPlan, assign_splits

MANIFEST = "manifest.json"
DATASET_FORMAT = "liversynth-dataset"
DATASET_VERSION = 1


def add_parser(subparsers: Any) -> None:
    """Register the ``prepare`` subcommand."""
    p = subcommand(
        subparsers,
        "prepare",
        help="extract tumour slices from LiTS / MSD / 3D-IRCADb folders into a dataset",
        description=__doc__.split("\n\n")[0],
        example="liversynth-train prepare --data ../shared/data/3Dircadb1.1 --out data/ircad11",
    )
    p.add_argument("--data", nargs="+", required=True, metavar="DIR", help="dataset roots or cases")
    p.add_argument("--out", required=True, metavar="DATASET_DIR", help="output folder (new)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split")
    p.add_argument("--val-fraction", type=float, default=0.1, help="share of validation patients")
    p.add_argument("--test-fraction", type=float, default=0.2, help="share of test patients")
    p.add_argument("--test-cases", nargs="*", default=[], metavar="NAME", help="force into test")
    p.add_argument(
        "--margin-px",
        type=int,
        default=64,
        help="margin around the liver box of training slices (px; -1 = whole slice)",
    )
    p.add_argument(
        "--full-slice",
        action="store_true",
        help="keep training slices whole (needed for --config paper, which trains on 512x512)",
    )
    p.add_argument(
        "--paper-slices",
        action="store_true",
        help="also export the paper's step-1 PNG slices (liversynth.slices) under OUT/paper_slices",
    )
    add_quiet(p)


def run(args: argparse.Namespace) -> int:
    """Run ``prepare`` from parsed arguments; returns the exit code."""
    manifest = prepare_dataset(
        [Path(d) for d in args.data],
        Path(args.out),
        seed=args.seed,
        val_fraction=args.val_fraction,
        test_fraction=args.test_fraction,
        test_cases=args.test_cases,
        margin_px=-1 if args.full_slice else args.margin_px,
        paper_slices=args.paper_slices,
        progress=not args.quiet,
    )
    return 0 if manifest["counts"]["train"] > 0 else 1


def discover(roots: list[Path]) -> list[Any]:
    """Cases under ``roots`` (``liversynth.io.find_cases``); a root that is a case is kept."""
    return discover_with_unrecognised(roots)[0]


#: Names under a dataset root that may hold a case (other files, e.g. README.md, are ignored).
_CASE_SUFFIXES = (".nii", ".nii.gz", ".npy", ".npz", ".zip", ".dcm")


def discover_with_unrecognised(roots: list[Path]) -> tuple[list[Any], list[dict[str, str]]]:
    """Cases under ``roots`` and the entries of each root that belong to none of them.

    An entry is a folder, or a file that looks like an image, directly under a root that is
    not part of any recognised case; each is reported with the reason.

    Raises:
        FileNotFoundError: a root does not exist.
    """
    from liversynth.io import find_cases

    items: list[Any] = []
    unrecognised: list[dict[str, str]] = []
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"{root}: no such file or folder")
        found = list(find_cases(root))
        items.extend(found if found else [root])
        if not root.is_dir() or not found:
            continue
        used = [Path(p) for ref in found for p in (ref.image, ref.labels) if p is not None]
        for entry in sorted(root.iterdir()):
            if entry.name.startswith(".") or entry in used:
                continue
            if entry.is_file() and not entry.name.lower().endswith(_CASE_SUFFIXES):
                continue
            if any(entry in p.parents for p in used):
                continue
            unrecognised.append(
                {
                    "source": str(entry),
                    "error": "not a recognised case (expected LiTS volume-N + segmentation-N, "
                    "MSD imagesTr/labelsTr, or 3D-IRCADb PATIENT_DICOM + MASKS_DICOM)",
                }
            )
    return items, unrecognised


def load_item(item: Any) -> Case:
    """Load one discovered case (a ``CaseRef`` from ``find_cases`` or a path)."""
    from liversynth.io import load_case

    return load_case(item)


def describe(item: Any) -> str:
    """The path a discovered case comes from (for the manifest and error reports)."""
    return str(getattr(item, "image", item))


def prepare_dataset(
    roots: list[Path],
    out: Path,
    *,
    seed: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    test_cases: list[str] | None = None,
    margin_px: int = 64,
    paper_slices: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Build a dataset folder from case folders; returns the manifest (also written).

    A case that cannot be read, or has no labels, is skipped, listed under ``skipped`` in the
    manifest and reported at the end; it never stops the others.

    Raises:
        FileExistsError: ``out`` already holds a manifest.
        ValueError: no tumour slice was found in any case, or bad split arguments.
    """
    if (out / MANIFEST).exists():
        raise FileExistsError(f"{out / MANIFEST} exists; choose a new --out folder")
    items, skipped = discover_with_unrecognised(roots)
    records: list[SliceRecord] = []
    cases: list[dict[str, Any]] = []
    names: Counter[str] = Counter()
    bar = progress_bar(items, desc="prepare", unit="case", quiet=not progress)
    for item in bar:
        source = describe(item)
        try:
            case = load_item(item)
            names[case.name] += 1
            if names[case.name] > 1:  # two folders named alike: keep both, distinctly
                case = Case(
                    case.name + f"_{names[case.name]}", case.volume, case.labels, case.patient_id
                )
            recs = extract_case(case)
        except Exception as err:  # a bad case is reported, never fatal
            skipped.append({"source": source, "error": f"{type(err).__name__}: {err}"})
            bar.write(f"skipped {source}: {err}")
            continue
        records.extend(recs)
        cases.append(
            {
                "name": case.name,
                "patient": case.patient_id or case.name,
                "source": source,
                "shape": list(case.volume.shape),
                "spacing_mm": [float(s) for s in case.volume.spacing_mm],
                "tumour_slices": len(recs),
            }
        )
        if paper_slices:
            _export_paper_slices(case, out / "paper_slices" / case.name)
        bar.set_postfix(slices=len(records))
    bar.close()
    if not records:
        _report_skipped(skipped)
        raise ValueError(f"no slice with tumour found under {', '.join(map(str, roots))}")
    plan = assign_splits(
        records,
        seed=seed,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        test_cases=test_cases,
    )
    out.mkdir(parents=True, exist_ok=True)
    for r in progress_bar(records, desc="write", unit="slice", quiet=not progress):
        if r.split == "train":
            crop_to_liver(r, margin_px)
        r.file = f"slices/{r.case}_z{r.z:04d}.npz"
        r.save(out)
    manifest = build_manifest(records, cases, skipped, plan, seed, margin_px, roots)
    manifest["fractions"] = {"val": val_fraction, "test": test_fraction}
    write_json_atomic(out / MANIFEST, manifest)
    _report(manifest, plan, out)
    return manifest


def build_manifest(
    records: list[SliceRecord],
    cases: list[dict[str, Any]],
    skipped: list[dict[str, str]],
    plan: SplitPlan,
    seed: int,
    margin_px: int,
    roots: list[Path],
) -> dict[str, Any]:
    """The manifest dictionary (see the module docstring)."""
    for case in cases:
        case["splits"] = dict(Counter(r.split for r in records if r.case == case["name"]))
    return {
        "format": DATASET_FORMAT,
        "version": DATASET_VERSION,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sources": [str(r) for r in roots],
        "split_unit": plan.unit,
        "split_seed": seed,
        "split_patients": plan.patients,
        "split_lesions": plan.lesions,
        "dropped_from_training": plan.dropped_from_training,
        "warnings": plan.warnings,
        "margin_px": margin_px,
        "counts": {s: sum(r.split == s for r in records) for s in SPLITS},
        "cases": cases,
        "skipped": skipped,
        "slices": [r.meta() for r in records],
    }


def _export_paper_slices(case: Case, folder: Path) -> None:
    """The paper's step 1 (``liversynth.slices``): original / whitened / mask PNGs per slice."""
    from liversynth.slices import export_slices

    export_slices(case, folder)


def _report_skipped(skipped: list[dict[str, str]]) -> None:
    if skipped:
        print(f"\n{len(skipped)} case(s) SKIPPED:", file=sys.stderr)
        for s in skipped:
            print(f"  {s['source']}: {s['error']}", file=sys.stderr)


def _report(manifest: dict[str, Any], plan: SplitPlan, out: Path) -> None:
    counts = manifest["counts"]
    print(
        f"prepared {sum(counts.values())} tumour slices from {len(manifest['cases'])} case(s) "
        f"into {out}: train {counts['train']}, val {counts['val']}, test {counts['test']} "
        f"(split by {plan.unit})"
    )
    for w in plan.warnings:
        print(f"WARNING: {w}", file=sys.stderr)
    _report_skipped(manifest["skipped"])
