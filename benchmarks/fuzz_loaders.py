"""Long fuzz campaign against the loaders; writes a JSON report.

Usage::

    python benchmarks/fuzz_loaders.py --inputs 2000 --seconds 600 --out fuzz.json

Each input is a real or self-made seed file (NIfTI, NIfTI.gz, DICOM, JPEG 2000 DICOM) with
1–4 random mutations (truncation, bit flips, NIfTI header field edits, DICOM element edits);
every loader that applies runs on it. Any exception that is not a LoadError is an *escape*
(a bug) and is recorded with its plan and traceback. The report counts outcomes, refusals by
error class and short reason, escapes, the slowest inputs and the peak RSS.
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "core"))

from io_factories import ct_slice_dataset, display_to_nifti, display_volume  # noqa: E402

from benchmarks.mutations import apply_plan, random_plan, run_loader  # noqa: E402
from liversynth.atomic import atomic_write  # noqa: E402
from liversynth.io import Limits, load_labels, load_volume  # noqa: E402

LIMITS = Limits(max_bytes=512 * 2**20)


@dataclass
class Seed:
    name: str
    path: Path
    fmt: str  # "nifti" or "dicom"


def make_seeds(folder: Path, data: Path) -> list[Seed]:
    seeds = []
    display_to_nifti(folder / "tiny.nii", display_volume((3, 5, 6)), (2.0, 1.0, 1.0), "LAS")
    labels = (display_volume((3, 5, 6)) > 0).astype(np.int16)
    display_to_nifti(folder / "tiny.nii.gz", labels, (2.0, 1.0, 1.0), "RAS")
    ds = ct_slice_dataset(display_volume((1, 8, 9))[0], position=(0, 0, 0), intercept=-1024.0)
    ds.save_as(folder / "tiny.dcm", enforce_file_format=True)
    seeds += [
        Seed("tiny.nii", folder / "tiny.nii", "nifti"),
        Seed("tiny.nii.gz", folder / "tiny.nii.gz", "nifti"),
        Seed("tiny.dcm", folder / "tiny.dcm", "dicom"),
    ]
    real = [
        (
            "example_ct_sm.nii.gz",
            data / "totalsegmentator-example" / "example_ct_sm.nii.gz",
            "nifti",
        ),
        ("ircad1.1 image_60", data / "3Dircadb1.1" / "PATIENT_DICOM" / "image_60", "dicom"),
    ]
    j2k = data / "totalsegmentator-example" / "example_ct_dicom"
    if j2k.is_dir():
        real.append(("jpeg2000 slice", sorted(j2k.iterdir())[10], "dicom"))
    seeds += [Seed(n, p, f) for n, p, f in real if p.exists()]
    return seeds


def loaders_for(seed: Seed):
    if seed.fmt == "nifti":
        like = load_volume(seed.path)
        return {
            "load_volume": lambda p: load_volume(p, limits=LIMITS),
            "load_labels": lambda p: load_labels(
                p, like, mapping={1: 1, 2: 2, 5: 1}, limits=LIMITS
            ),
        }
    return {
        "load_volume": lambda p: load_volume(p, limits=LIMITS),
        "load_volume(folder)": lambda p: load_volume(p.parent, limits=LIMITS),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=1000, help="mutated inputs to try")
    parser.add_argument("--seconds", type=float, default=300.0, help="time budget")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=Path("fuzz_loaders.json"))
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    counts: collections.Counter = collections.Counter()
    per_seed: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    reasons: collections.Counter = collections.Counter()
    escapes: list[dict] = []
    slowest: list[tuple[float, str, str]] = []
    start = time.perf_counter()
    tried = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        seeds = make_seeds(tmp_path, args.data)
        seed_bytes = {s.name: s.path.read_bytes() for s in seeds}
        loaders = {s.name: loaders_for(s) for s in seeds}
        while tried < args.inputs and time.perf_counter() - start < args.seconds:
            seed = seeds[tried % len(seeds)]
            plan = random_plan(rng, seed.fmt, len(seed_bytes[seed.name]))
            case = Path(tempfile.mkdtemp(dir=tmp_path))
            suffix = (
                ".nii.gz"
                if seed.name.endswith(".gz")
                else ".nii"
                if seed.fmt == "nifti"
                else ".dcm"
            )
            path = case / f"input{suffix}"
            path.write_bytes(apply_plan(seed_bytes[seed.name], plan))
            for loader_name, load in loaders[seed.name].items():
                outcome = run_loader(lambda load=load, path=path: load(path))
                counts[outcome.kind] += 1
                per_seed[seed.name][outcome.kind] += 1
                if outcome.kind == "refused":
                    reasons[f"{outcome.error}: {outcome.reason}"] += 1
                elif outcome.kind == "escape":
                    escapes.append(
                        {
                            "seed": seed.name,
                            "loader": loader_name,
                            "plan": repr(plan),
                            "error": outcome.error,
                            "traceback": outcome.detail,
                        }
                    )
                slowest.append((outcome.seconds, seed.name, repr(plan)[:200]))
            slowest = sorted(slowest, reverse=True)[:5]
            for child in case.iterdir():
                child.unlink()
            case.rmdir()
            tried += 1
    report = {
        "inputs_tried": tried,
        "loads_run": sum(counts.values()),
        "seconds": round(time.perf_counter() - start, 1),
        "seeds": [s.name for s in seeds],
        "outcomes": dict(counts),
        "outcomes_by_seed": {k: dict(v) for k, v in per_seed.items()},
        "refusals_by_reason": dict(reasons.most_common(40)),
        "escapes": escapes,
        "slowest_loads": [{"seconds": round(s, 3), "seed": n, "plan": p} for s, n, p in slowest],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    atomic_write(args.out, json.dumps(report, indent=2).encode("utf-8"))
    print(
        json.dumps(
            {
                k: report[k]
                for k in ("inputs_tried", "loads_run", "seconds", "outcomes", "peak_rss_mib")
            }
        )
    )
    print(f"{len(escapes)} escapes; report in {args.out}")
    return 1 if escapes else 0


if __name__ == "__main__":
    raise SystemExit(main())
