"""kill -9 at random moments of ``synthesize --overwrite``; check every item left on disk.

Usage::

    python benchmarks/kill_synthesize.py --kills 20 --out kill_synthesize.json

For each format (``nifti`` and ``dicom`` by default) a complete run is written first; then
``--kills`` runs with ``--overwrite`` and a new seed are each killed with SIGKILL at a random
moment between the start of writing (measured once: imports and case loading come first)
and the end of a full run. After every kill the output
folder is checked:

* every committed item (its sidecar exists) is complete: each file it lists exists with the
  recorded sha256 (``inconsistent`` counts violations; must be 0);
* all committed items come from one run (``mixed_runs``: must be 0);
* a manifest, when present, belongs to that run and lists only existing files;
* a DICOM series folder under its final name holds exactly the slices its sidecar lists
  (``partial_series``: must be 0);
* ``debris``: entries under final names that no sidecar claims (an interrupted commit); the
  next run removes them and no manifest lists them.

A last uninterrupted run must leave no debris at all.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests" / "training"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from model_training.synthesis.commit import (  # noqa: E402
    MANIFEST,
    check_item,
    committed_markers,
    owned_entries,
)


def _command(healthy: Path, out: Path, fmt: str, seed: int, count: int) -> list[str]:
    return [
        sys.executable, "-m", "model_training", "synthesize", "--healthy", str(healthy),
        "--out", str(out), "--format", fmt, "--count", str(count), "--seed", str(seed),
        "--workers", "1", "--overwrite",
    ]  # fmt: skip


def inspect(out: Path) -> dict[str, Any]:
    """Classify what a (possibly killed) run left in ``out``."""
    markers = committed_markers(out)
    problems: list[str] = []
    runs: set[str] = set()
    claimed: set[str] = {MANIFEST, "dataset.json"}
    partial = 0
    for marker in markers:
        problems += check_item(out, marker)
        record = json.loads((out / marker).read_text())
        runs.add(str(record.get("run_id")))
        files = list((record.get("item_files") or {}).keys())
        claimed.add(marker)
        claimed.update(f.split("/")[0] if f.startswith("item_") else f for f in files)
        series = {f.split("/")[0] for f in files if "/" in f and f.startswith("item_")}
        for folder in series:
            on_disk = sorted(p.name for p in (out / folder).iterdir())
            listed = sorted(f.split("/", 1)[1] for f in files if f.startswith(folder + "/"))
            partial += on_disk != listed
    manifest_ok = True
    if (out / MANIFEST).exists():
        doc = json.loads((out / MANIFEST).read_text())
        listed = {f for item in doc["items"] for f in item["files"]}
        manifest_ok = runs == {doc["run_id"]} and all((out / f).exists() for f in listed)
    debris = [
        e.relative_to(out).as_posix()
        for e in owned_entries(out)
        if e.relative_to(out).as_posix() not in claimed
    ]
    return {
        "committed": len(markers),
        "inconsistent": len(problems),
        "problems": problems[:5],
        "mixed_runs": int(len(runs) > 1),
        "manifest": (out / MANIFEST).exists(),
        "manifest_ok": manifest_ok,
        "partial_series": partial,
        "debris": len(debris),
    }


def campaign(
    healthy: Path, root: Path, fmt: str, kills: int, count: int, rng: random.Random
) -> dict[str, Any]:
    out = root / f"out-{fmt}"
    start = time.perf_counter()
    subprocess.run(_command(healthy, out, fmt, 0, count), check=True, capture_output=True)
    # A second full run, timing when writing starts (imports and case loading come first):
    # kills are drawn between that moment and the end, where there is something to break.
    start = time.perf_counter()
    proc = subprocess.Popen(
        _command(healthy, out, fmt, 0, count), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    work_s = None
    while proc.poll() is None:
        if work_s is None and (out / ".staging").exists():
            work_s = time.perf_counter() - start
        time.sleep(0.02)
    full_s = time.perf_counter() - start
    work_s = work_s if work_s is not None else 0.0
    rows = []
    for i in range(kills):
        delay = rng.uniform(max(0.0, work_s - 1.0), full_s)
        proc = subprocess.Popen(
            _command(healthy, out, fmt, i + 1, count),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rows.append(
            {"kill_at_s": round(delay, 2), "finished_before_kill": finished, **inspect(out)}
        )
    subprocess.run(_command(healthy, out, fmt, 999, count), check=True, capture_output=True)
    final = inspect(out)
    keys = ("inconsistent", "mixed_runs", "partial_series", "debris", "committed")
    return {
        "format": fmt,
        "full_run_s": round(full_s, 1),
        "writing_starts_s": round(work_s, 1),
        "kills": kills,
        "killed_mid_run": sum(not r["finished_before_kill"] for r in rows),
        "items_on_disk_checked": sum(r["committed"] for r in rows),
        "totals": {k: sum(r[k] for r in rows) for k in keys},
        "manifests_present": sum(r["manifest"] for r in rows),
        "manifests_bad": sum(not r["manifest_ok"] for r in rows),
        "after_clean_run": final,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--formats", default="nifti,dicom")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("kill_synthesize.json"))
    args = parser.parse_args(argv)
    from synth_helpers import write_case

    rng = random.Random(args.seed)
    os.environ.setdefault("LIVERSYNTH_PSEUDONYM_SALT", "kill-benchmark")
    with tempfile.TemporaryDirectory(prefix="kill-synth-") as tmp:
        healthy = write_case(Path(tmp) / "healthy", 1, healthy=True)
        reports = [
            campaign(healthy, Path(tmp), fmt, args.kills, args.count, rng)
            for fmt in args.formats.split(",")
        ]
    args.out.write_text(json.dumps(reports, indent=1))
    bad = 0
    for rep in reports:
        summary = {k: v for k, v in rep.items() if k != "rows"}
        print(json.dumps(summary))
        t = rep["totals"]
        bad += t["inconsistent"] + t["mixed_runs"] + t["partial_series"] + rep["manifests_bad"]
        bad += rep["after_clean_run"]["debris"] + rep["after_clean_run"]["inconsistent"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
