"""``python -m model_training synthesize``: grow a labelled dataset with synthetic lesions.

Each item takes a healthy case, a lesion (from a bank of real lesions, transformed, or a
procedural shape), places it where it is plausible in the liver and paints it with a filler.
Labels: 0 background, 1 liver (from the healthy case), 2 tumour = exactly the placed lesion.
``manifest.json`` records everything needed to regenerate any item alone
(``--only-item K`` gives the same bytes as item K of the full run); ``--shard K/N`` writes a
deterministic share and ``synthesize merge`` joins the shares (:mod:`.shards`).

Example::

    python -m model_training synthesize --healthy ../shared/data/3Dircadb1.7 \\
        --lesions ../shared/data/3Dircadb1.1 --count 200 --seed 0 --filler procedural \\
        --out out/synth --format png
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from pathlib import Path
from typing import Any

from liversynth.atomic import atomic_write
from liversynth.errors import LiverSynthError
from liversynth.export.provenance import file_sha256
from liversynth.export.pseudonym import Pseudonymizer
from liversynth.fillers.registry import available_fillers, filler_info, filler_infos, make_filler
from liversynth.lesions.bank import LesionBank
from model_training.cli import add_device, add_quiet, progress, subcommand
from model_training.synthesis.commit import (
    cleaned_on_error,
    clear_previous_run,
    new_run_id,
    remove_debris,
)
from model_training.synthesis.context import SynthContext, build_context, cached_context
from model_training.synthesis.item import make_item
from model_training.synthesis.layout import (
    DEFAULT_DATASET_ID,
    DEFAULT_DATASET_NAME,
    check_empty,
    created_on_success,
    output_root,
)
from model_training.synthesis.shards import parse_shard, run_merge, shard_indices
from model_training.synthesis.writing import FORMATS, VOLUME_FORMATS, write_item

_KEEP_HELP = "keep case names in sidecars and manifest (default: a stable pseudonym)"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``synthesize`` (and its ``synthesize merge`` subcommand)."""
    p = subcommand(
        subparsers,
        "synthesize",
        help="embed synthetic lesions in healthy livers and write a labelled dataset",
        description=(
            "Embed synthetic lesions (real ones from a bank, transformed, or procedural shapes) "
            "in healthy livers and write a labelled dataset with a manifest. Outputs lie where "
            "the source scans lie in the patient. 'synthesize merge' joins --shard outputs."
        ),
        example=(
            "liversynth-train synthesize --healthy ../shared/data/3Dircadb1.7 \\\n"
            "    --lesions ../shared/data/3Dircadb1.1 --count 200 --format nnunet \\\n"
            "    --dataset-id 501 --dataset-name LiverSynth --out $nnUNet_raw"
        ),
    )
    # Let ranges such as "--contrast-hu -80:-10" be values, not unknown options: argparse only
    # treats "-80" or "-0.5" as numbers; this matcher also accepts "LO:HI" ranges.
    p._negative_number_matcher = re.compile(r"^-\d+(\.\d*)?(:-?\d+(\.\d*)?)?$")
    p.add_argument(
        "--healthy",
        nargs="+",
        type=Path,
        help="healthy labelled cases (any layout load_case reads); required",
    )
    p.add_argument(
        "--lesions",
        nargs="+",
        type=Path,
        default=None,
        help="a lesion bank .npz, or labelled cases to cut real lesions from "
        "(default: procedural shapes)",
    )
    p.add_argument("--count", type=int, default=10, help="number of items")
    p.add_argument(
        "--seed", type=int, default=0, help="run seed; item K uses a seed derived from (seed, K)"
    )
    p.add_argument(
        "--filler",
        choices=available_fillers(),
        default="procedural",
        help="what paints the lesion (default: procedural): "
        + "; ".join(f"{i.name}: {i.description}" for i in filler_infos()),
    )
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="gan model file (default: resources/models/default.safetensors)",
    )
    add_device(p)
    p.add_argument(
        "--out",
        type=Path,
        help="output folder (new or empty unless --overwrite); for nnunet the folder that "
        "receives DatasetNNN_NAME (e.g. $nnUNet_raw); required",
    )
    p.add_argument("--format", choices=FORMATS, default="png", dest="fmt", help="output format")
    p.add_argument(
        "--dataset-id",
        type=int,
        default=None,
        help=f"nnunet: dataset id NNN of DatasetNNN_NAME (default: {DEFAULT_DATASET_ID})",
    )
    p.add_argument(
        "--dataset-name",
        default=None,
        help=f"nnunet: NAME of DatasetNNN_NAME (default: {DEFAULT_DATASET_NAME})",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for CPU fillers (default: all cores)",
    )
    p.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="write only the items whose index is K modulo N (one job of N; join with merge)",
    )
    p.add_argument(
        "--only-item",
        type=int,
        default=None,
        metavar="K",
        help="write item K only (same bytes as in the full run)",
    )
    p.add_argument(
        "--margin-mm",
        type=float,
        default=3.0,
        help="minimum distance of a lesion from the liver's edge",
    )
    p.add_argument(
        "--vessel-hu",
        default="auto",
        help="avoid liver voxels brighter than this (HU), 'auto' or 'none'",
    )
    p.add_argument(
        "--save-bank",
        type=Path,
        default=None,
        help="also write the lesion bank built from --lesions cases",
    )
    p.add_argument(
        "--contrast-hu",
        type=_hu_range,
        default=None,
        metavar="LO:HI",
        help="lesion − liver mean HU, drawn per item from LO:HI (or one value; default: the "
        "filler decides), e.g. -80:-10",
    )
    p.add_argument(
        "--heterogeneity",
        type=_unit_range,
        default=None,
        metavar="LO:HI",
        help="0 = uniform .. 1 = strongly mottled, drawn per item from LO:HI (e.g. 0:0.6)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the outputs of a previous run in --out (other files are kept)",
    )
    p.add_argument("--keep-case-names", action="store_true", help=_KEEP_HELP)
    add_quiet(p)
    merge = p.add_subparsers(dest="synth_command", metavar="merge", required=False)
    m = subcommand(
        merge,
        "merge",
        help="join the --out folders of 'synthesize --shard K/N' runs into one dataset",
        description=(
            "Join shard outputs into the dataset one unsharded run writes: the same files and "
            "one manifest. Refuses shards of different runs, overlaps and missing items."
        ),
        example="liversynth-train synthesize merge out/shard_0 out/shard_1 --out out/all",
    )
    m.add_argument("shards", nargs="+", type=Path, metavar="SHARD_DIR", help="shard outputs")
    m.add_argument("--out", type=Path, required=True, help="merged output folder (new or empty)")
    m.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out")
    return p


def _range(text: str, lo: float, hi: float) -> tuple[float, float]:
    parts = text.split(":")
    try:
        values = [float(v) for v in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LO:HI or a number, got {text!r}") from None
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or not lo <= values[0] <= values[1] <= hi:
        raise argparse.ArgumentTypeError(
            f"expected LO:HI with {lo} <= LO <= HI <= {hi}, got {text!r}"
        )
    return values[0], values[1]


def _hu_range(text: str) -> tuple[float, float]:
    return _range(text, -400.0, 400.0)


def _unit_range(text: str) -> tuple[float, float]:
    return _range(text, 0.0, 1.0)


def _vessel_hu(text: str) -> float | str | None:
    if text.lower() == "none":
        return None
    if text.lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--vessel-hu must be a number, 'auto' or 'none', got {text!r}") from None


def _load_bank(
    paths: list[Path] | None, tmp: Path, save_to: Path | None
) -> tuple[LesionBank | None, str | None, str | None]:
    """The bank, the file workers read it from, and the name manifests give it (``None``
    when that file is a temporary one that does not outlive the run)."""
    if not paths:
        return None, None, None
    if len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".npz":
        return LesionBank.load(paths[0]), str(paths[0]), paths[0].name
    bank = LesionBank.from_cases(paths)
    if not len(bank):
        raise LiverSynthError(f"no tumour (label 2) found in {', '.join(map(str, paths))}")
    target = save_to or tmp / "lesion_bank.npz"
    bank.save(target)
    return bank, str(target), None if save_to is None else save_to.name


def build_filler(
    name: str, *, bank_path: str | None, model: Path | None, device: str = "auto"
) -> Any:
    """Build a registered filler by name; an engine that needs a lesion bank gets ``bank_path``.

    Raises:
        LiverSynthError: the engine needs a bank and none was given.
    """
    if filler_info(name).needs_bank:
        if bank_path is None:
            raise LiverSynthError(
                f"--filler {name} needs real lesions: pass --lesions (a bank .npz or labelled cases)"
            )
        return make_filler(name, model_path=model, device=device, bank=bank_path)
    return make_filler(name, model_path=model, device=device)


@lru_cache(maxsize=2)
def _worker_filler(name: str, bank_path: str | None) -> Any:
    """One filler per worker process (CPU fillers only; the gan runs in-process)."""
    return build_filler(name, bank_path=bank_path, model=None)


def _provenance(
    record: dict[str, Any], model_info: dict[str, Any] | None, run_seed: int
) -> dict[str, Any]:
    filler = record["filler"]
    return {
        "source": record["source_case"],
        "source_slices": record["slices"],
        "filler": filler["filler"],
        "filler_params": {k: v for k, v in filler.items() if k != "filler"},
        "model": None if model_info is None else model_info["file"],
        "model_sha256": None if model_info is None else model_info["sha256"],
        "seed": record["seed"],
        "appearance": record.get("appearance"),
        "run_seed": run_seed,
        "item": record["index"],
        "lesion": record["lesion"],
        "transform": record["transform"],
        "placement": record["placement"],
    }


def _case_names(ctx: SynthContext) -> list[str]:
    names = [s.name for s in ctx.scans]
    if ctx.bank is not None:
        names += [les.source_case for les in ctx.bank]
    return names


def _one(ctx: SynthContext, filler: Any, job: dict[str, Any]) -> dict[str, Any]:
    item = make_item(
        ctx,
        filler,
        job["seed"],
        job["index"],
        volume=job["fmt"] in VOLUME_FORMATS,
        appearance_ranges=job.get("appearance_ranges"),
    )
    record = item.record
    provenance = {**_provenance(record, job["model"], job["seed"]), "run_id": job["run_id"]}
    if not job["keep_names"]:  # a case's folder name can be a patient's name
        names = _case_names(ctx)
        provenance = Pseudonymizer().apply(provenance, names)
        record = Pseudonymizer().apply(record, names)
    record["files"] = write_item(item, Path(job["out"]), job["fmt"], provenance)
    return record


def _work(
    ctx_path: str, filler_name: str, bank_path: str | None, job: dict[str, Any]
) -> dict[str, Any]:
    """Worker-process entry point: everything heavy is read once per process and cached."""
    return _one(cached_context(ctx_path), _worker_filler(filler_name, bank_path), job)


def _run_items(
    args: argparse.Namespace,
    ctx: SynthContext,
    filler: Any,
    indices: list[int],
    model_info: dict[str, Any] | None,
    tmp: Path,
    root: Path,
) -> list[dict[str, Any]]:
    keep = bool(getattr(args, "keep_case_names", False))
    common = {"seed": args.seed, "fmt": args.fmt, "out": str(root), "model": model_info}
    common |= {"run_id": args.run_id, "keep_names": keep}
    common["appearance_ranges"] = {
        "contrast_hu": getattr(args, "contrast_hu", None),
        "heterogeneity": getattr(args, "heterogeneity", None),
    }
    jobs = [{**common, "index": k} for k in indices]
    workers = max(1, min(int(args.workers), len(jobs)))
    bar = progress(
        total=len(jobs), desc=f"synthesize ({filler.name})", unit="item", quiet=args.quiet
    )
    records = []
    # Model engines run in this process (one model in memory; a GPU is not shared by forks).
    if workers == 1 or filler_info(args.filler).uses_model:
        for job in jobs:
            records.append(_one(ctx, filler, job))
            bar.update()
    else:
        import multiprocessing

        ctx_path = str(ctx.save(tmp / "context.npz"))
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [
                pool.submit(_work, ctx_path, args.filler, ctx.bank_path, job) for job in jobs
            ]
            for fut in as_completed(futures):
                records.append(fut.result())
                bar.update()
    bar.close()
    return sorted(records, key=lambda r: r["index"])


def _check_args(args: argparse.Namespace) -> tuple[int, int] | None:
    """Usage checks before anything is read or created; returns the shard."""
    if not args.healthy:
        raise LiverSynthError("synthesize needs --healthy CASE [CASE ...]")
    if args.out is None:
        raise LiverSynthError("synthesize needs --out FOLDER")
    for path in [*args.healthy, *(args.lesions or []), *([args.model] if args.model else [])]:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
    if args.count < 1:
        raise ValueError(f"--count must be at least 1, got {args.count}")
    if args.only_item is not None and not 0 <= args.only_item < args.count:
        raise ValueError(f"--only-item must be in 0..{args.count - 1}, got {args.only_item}")
    shard = None if args.shard is None else parse_shard(args.shard)
    if shard is not None and args.only_item is not None:
        raise LiverSynthError("--shard and --only-item exclude each other")
    return shard


def _model_info(args: argparse.Namespace, filler: Any) -> dict[str, Any] | None:
    """The gan's model file name and sha256 (the bundled model's too)."""
    if not filler_info(args.filler).uses_model:
        return None
    path = Path(getattr(filler, "model_path", None) or args.model)
    return {"file": path.name, "sha256": file_sha256(path)}


def run(args: argparse.Namespace) -> int:
    """Run ``synthesize`` (or ``synthesize merge``); returns the exit code."""
    if getattr(args, "synth_command", None) == "merge":
        return run_merge(args)
    shard = _check_args(args)
    root = output_root(args.out, args.fmt, args.dataset_id, args.dataset_name)
    check_empty(root, args.overwrite)
    if args.overwrite and root.is_dir():
        # The old run goes before the new one starts (manifest first, then each item's
        # commit record), so a kill at any point never leaves a mixture of two runs.
        clear_previous_run(root)
    args.run_id = new_run_id()
    started = time.perf_counter()
    with cleaned_on_error(root), created_on_success(root):
        records, manifest = _synthesize(args, root, shard)
        if args.fmt == "nnunet" and shard is None:
            from liversynth.export.nnunet import write_dataset_json

            n_cases = len(list((root / "labelsTr").glob("*.nii.gz")))
            write_dataset_json(root, n_cases, name=root.name.split("_", 1)[-1])
        remove_debris(root)  # the empty staging folder (nothing else after a clean run)
        # Written last: it lists only items whose commit record (sidecar) is on disk.
        atomic_write(
            root / "manifest.json", (json.dumps(manifest, indent=1) + "\n").encode("utf-8")
        )
    elapsed = time.perf_counter() - started
    print(f"wrote {len(records)} item(s) to {root} in {elapsed:.1f} s")
    return 0


def _synthesize(
    args: argparse.Namespace, root: Path, shard: tuple[int, int] | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from liversynth.io import load_case

    with tempfile.TemporaryDirectory(prefix="liversynth-synth-") as tmp_name:
        tmp = Path(tmp_name)
        bank, bank_path, bank_name = _load_bank(args.lesions, tmp, args.save_bank)
        healthy = [load_case(p) for p in args.healthy]
        ctx = build_context(
            healthy,
            bank,
            bank_path,
            margin_mm=args.margin_mm,
            vessel_hu=_vessel_hu(args.vessel_hu),
            bank_name=bank_name,
        )
        del healthy
        filler = build_filler(
            args.filler, bank_path=bank_path, model=args.model, device=args.device
        )
        model_info = _model_info(args, filler)
        if args.only_item is not None:
            indices = [args.only_item]
        else:
            indices = shard_indices(args.count, shard)
        records = _run_items(args, ctx, filler, indices, model_info, tmp, root)
    manifest: dict[str, Any] = {
        "software": "LiverSynth synthesize",
        "run_id": args.run_id,
        "format": args.fmt,
        "count": args.count,
        "seed": args.seed,
        "only_item": args.only_item,
        "shard": args.shard if shard is None else f"{shard[0]}/{shard[1]}",
        "filler": args.filler,
        "model": model_info,
        "healthy": [s.name for s in ctx.scans],
        "lesions": None
        if bank is None
        else {"bank": bank_name, "lesions": [les.lesion_id for les in bank]},
        "margin_mm": args.margin_mm,
        "items": records,
    }
    if not getattr(args, "keep_case_names", False):
        manifest = Pseudonymizer().apply(manifest, _case_names(ctx))
    return records, manifest
