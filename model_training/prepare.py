"""``model_training prepare``: turn LiTS / MSD / 3D-IRCADb folders into a training dataset.

Every slice that shows tumour becomes one npz (:mod:`model_training.records`); training slices
are cropped to the liver bounding box plus a margin (the dataset stays small), held-out slices
are kept whole so that evaluation sees full slices like the paper. ``manifest.json`` lists every
slice with its case, patient, index, spacing, lesion components, split and pixel counts, the
split plan (:mod:`model_training.split`) and every case that could not be read.

Healthy-liver pairs (:mod:`model_training.healthy`, on by default): lesion-like regions of
tumour-free liver of every case with a liver label, whitened like a tumour, stored as
``healthy/<case>_z<k>.npz`` in the same npz layout and listed under ``healthy`` (with
``healthy_counts``) in the manifest; split by patient like the tumour slices
(:mod:`model_training.healthy_split`). ``--pair IMAGE LABELS`` adds cases outside the known
layouts (e.g. TotalSegmentator output, with ``--label-map 5=1``).

A case that cannot be read and a folder under a dataset root that is no recognised case are
both listed under ``skipped`` with the reason, and reported at the end.

Example:
    python -m model_training prepare --data ../shared/data/3Dircadb1.1 --out data/ircad11
    python -m model_training prepare --data ../shared/data/3Dircadb1.1 ../shared/data/3Dircadb1.7 \
        --pair ../shared/data/totalsegmentator-example/example_ct_dicom \
               ../shared/data/totalsegmentator-example/example_seg_dicom.nii.gz \
        --label-map 5=1 --healthy-per-slice 3 --out data/ircad_healthy
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
from model_training.healthy import HealthyParams, healthy_records
from model_training.healthy_split import assign_healthy_splits, guard_slices
from model_training.pairs import pair_ref, parse_label_map
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
    p.add_argument("--data", nargs="+", default=[], metavar="DIR", help="dataset roots or cases")
    p.add_argument(
        "--pair",
        nargs=2,
        action="append",
        default=[],
        metavar=("IMAGE", "LABELS"),
        help="a case given as image + label map (any layout load_case reads); repeatable",
    )
    p.add_argument(
        "--label-map",
        nargs="+",
        default=[],
        metavar="ID=CLASS",
        help="stored label id -> 0/1/2 for --pair label maps, e.g. 5=1 (TotalSegmentator liver)",
    )
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
    p.add_argument(
        "--healthy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also build healthy-liver pairs (whitened regions of tumour-free liver)",
    )
    p.add_argument(
        "--healthy-per-slice", type=int, default=3, metavar="N", help="whitened regions per slice"
    )
    p.add_argument(
        "--healthy-slices",
        type=int,
        default=0,
        metavar="N",
        help="healthy slices per case, spread over the liver (0 = every slice with room)",
    )
    add_quiet(p)


def run(args: argparse.Namespace) -> int:
    """Run ``prepare`` from parsed arguments; returns the exit code."""
    if not args.data and not args.pair:
        raise ValueError("give --data DIR ... and/or --pair IMAGE LABELS")
    healthy = HealthyParams(per_slice=args.healthy_per_slice, max_slices=args.healthy_slices)
    manifest = prepare_dataset(
        [Path(d) for d in args.data],
        Path(args.out),
        pairs=[(Path(i), Path(lab)) for i, lab in args.pair],
        label_map=parse_label_map(args.label_map),
        healthy=healthy if args.healthy else None,
        seed=args.seed,
        val_fraction=args.val_fraction,
        test_fraction=args.test_fraction,
        test_cases=args.test_cases,
        margin_px=-1 if args.full_slice else args.margin_px,
        paper_slices=args.paper_slices,
        progress=not args.quiet,
    )
    return 0 if manifest["counts"]["train"] + manifest["healthy_counts"]["train"] > 0 else 1


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


def load_item(item: Any, mapping: dict[int, int] | None = None) -> Case:
    """Load one discovered case (a ``CaseRef`` from ``find_cases`` or a path)."""
    from liversynth.io import load_case

    return load_case(item, mapping=mapping)


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
    pairs: list[tuple[Path, Path]] | None = None,
    label_map: dict[int, int] | None = None,
    healthy: HealthyParams | None = None,
) -> dict[str, Any]:
    """Build a dataset folder from case folders; returns the manifest (also written).

    A case that cannot be read, or has no labels, is skipped, listed under ``skipped`` in the
    manifest and reported at the end; it never stops the others.

    Args:
        pairs: extra cases as (image, label map); ``label_map`` maps their stored label ids.
        healthy: how to build healthy-liver pairs; None = none.

    Raises:
        FileExistsError: ``out`` already holds a manifest.
        ValueError: no tumour slice (and no healthy pair) was found, or bad split arguments.
    """
    if (out / MANIFEST).exists():
        raise FileExistsError(f"{out / MANIFEST} exists; choose a new --out folder")
    items, skipped = discover_with_unrecognised(roots)
    mappings: list[dict[int, int] | None] = [None] * len(items)
    for image, labels in pairs or []:
        items.append(pair_ref(image, labels))
        mappings.append(label_map)
    records: list[SliceRecord] = []
    healthy_recs: list[SliceRecord] = []
    cases: list[dict[str, Any]] = []
    names: Counter[str] = Counter()
    bar = progress_bar(items, desc="prepare", unit="case", quiet=not progress)
    for item, mapping in zip(bar, mappings, strict=True):
        source = describe(item)
        try:
            case = load_item(item, mapping)
            names[case.name] += 1
            if names[case.name] > 1:  # two folders named alike: keep both, distinctly
                case = Case(
                    case.name + f"_{names[case.name]}", case.volume, case.labels, case.patient_id
                )
            recs = extract_case(case)
            healthy_here = healthy_records(case, healthy, seed=seed) if healthy else []
        except Exception as err:  # a bad case is reported, never fatal
            skipped.append({"source": source, "error": f"{type(err).__name__}: {err}"})
            bar.write(f"skipped {source}: {err}")
            continue
        records.extend(recs)
        healthy_recs.extend(healthy_here)
        cases.append(
            {
                "name": case.name,
                "patient": case.patient_id or case.name,
                "source": source,
                "shape": list(case.volume.shape),
                "spacing_mm": [float(s) for s in case.volume.spacing_mm],
                "tumour_slices": len(recs),
                "healthy_slices": len(healthy_here),
                "healthy_regions": sum(len(r.components) for r in healthy_here),
            }
        )
        if paper_slices:
            _export_paper_slices(case, out / "paper_slices" / case.name)
        bar.set_postfix(slices=len(records), healthy=len(healthy_recs))
    bar.close()
    if not records and not healthy_recs:
        _report_skipped(skipped)
        sources = [str(r) for r in roots] + [f"{i} + {lab}" for i, lab in pairs or []]
        raise ValueError(f"no slice with tumour or healthy liver in {', '.join(sources)}")
    plan = (
        assign_splits(
            records,
            seed=seed,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            test_cases=[c for c in test_cases or [] if any(r.case == c for r in records)],
        )
        if records
        else SplitPlan(unit="patient")
    )
    _check_test_cases(test_cases, records + healthy_recs)
    healthy_patients = assign_healthy_splits(
        healthy_recs,
        records,
        plan,
        seed=seed,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        test_cases=test_cases,
        guard_slices=guard_slices(healthy.gap_mm if healthy else 0.0, records),
    )
    out.mkdir(parents=True, exist_ok=True)
    for r in progress_bar(records + healthy_recs, desc="write", unit="slice", quiet=not progress):
        if r.split == "train":
            crop_to_liver(r, margin_px)
        folder = "healthy" if r.kind == "healthy" else "slices"
        r.file = f"{folder}/{r.case}_z{r.z:04d}.npz"
        r.save(out)
    manifest = build_manifest(records, cases, skipped, plan, seed, margin_px, roots)
    manifest["fractions"] = {"val": val_fraction, "test": test_fraction}
    manifest["sources"] += [f"{i} + {lab}" for i, lab in pairs or []]
    manifest["label_map"] = {str(k): v for k, v in (label_map or {}).items()}
    manifest["healthy_params"] = healthy.to_dict() if healthy else None
    manifest["healthy_split_patients"] = healthy_patients
    manifest["healthy_counts"] = {s: sum(r.split == s for r in healthy_recs) for s in SPLITS}
    manifest["healthy_regions"] = {
        s: sum(len(r.components) for r in healthy_recs if r.split == s) for s in SPLITS
    }
    manifest["healthy"] = [r.meta() for r in healthy_recs]
    write_json_atomic(out / MANIFEST, manifest)
    _report(manifest, plan, out)
    return manifest


def _check_test_cases(test_cases: list[str] | None, records: list[SliceRecord]) -> None:
    unknown = set(test_cases or []) - {r.case for r in records}
    if unknown:
        raise ValueError(f"--test-cases names no prepared case: {', '.join(sorted(unknown))}")


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
    h, regions = manifest["healthy_counts"], manifest["healthy_regions"]
    if sum(h.values()):
        print(
            f"healthy-liver pairs: {sum(h.values())} slices, {sum(regions.values())} regions: "
            + ", ".join(f"{s} {h[s]} ({regions[s]})" for s in SPLITS)
        )
    for w in plan.warnings:
        print(f"WARNING: {w}", file=sys.stderr)
    _report_skipped(manifest["skipped"])
