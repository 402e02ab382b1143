"""Hostile-input suite: crafted files against every reader, each in a capped child process.

Usage::

    python benchmarks/hostile_inputs.py --out hostile.json            # the full run
    python benchmarks/hostile_inputs.py --sample --out hostile.json   # the CI sample

Each case (:mod:`benchmarks.hostile_volume_cases`, :mod:`benchmarks.hostile_file_cases`) is
built in a temporary folder, then read in a child process forked from a clean fork server,
with ``RLIMIT_AS`` capping its address space and a wall-clock timeout. The child reports the
outcome: ``ok`` (loaded; the output array's size is recorded), ``refused`` (a LiverSynth
error, as required) or ``foreign`` (any other exception: a bug). A child that outlives the
timeout is a ``hang``; one that dies otherwise a ``crash``. Peak RSS is the child's
``ru_maxrss`` growth over its start (the forked image is not counted).

Per reader the report gives inputs tried, each outcome's count, the worst peak RSS and the
worst time of a refused input, and for loaded inputs the worst excess over the memory rule
(peak ≤ output bytes × 2 + 256 MB).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests" / "core"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

MIB = 2**20
#: The memory rule's allowance on top of twice the output (and the cap for refusals).
ALLOWANCE_BYTES = 256 * MIB
#: Address space a child may add to what it inherited (virtual, so generous).
ADDRESS_SPACE_BYTES = 3 * 2**30


@dataclass
class Case:
    """One hostile input: ``build(folder) -> path``, read by ``reader``."""

    reader: str
    name: str
    build: Callable[[Path], Path]
    sample: bool = False  # part of the CI sample


@dataclass
class Result:
    reader: str
    name: str
    outcome: str  # ok | refused | foreign | hang | crash
    seconds: float
    peak_rss_mib: float
    output_mib: float
    detail: str


def _rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _vm_size_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(reader: str, path: str, conn: Any) -> None:
    """Run one reader on one path; send ``(outcome, seconds, rss, output bytes, detail)``."""
    from benchmarks.hostile_readers import READERS
    from liversynth.errors import LiverSynthError

    base_rss = _rss_bytes()
    try:
        limit = _vm_size_bytes() + ADDRESS_SPACE_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    start = time.perf_counter()
    try:
        out_bytes = int(READERS[reader](Path(path)))
        outcome, detail = "ok", ""
    except LiverSynthError as err:
        out_bytes, outcome, detail = 0, "refused", f"{type(err).__name__}: {str(err)[-160:]}"
    except BaseException as err:
        out_bytes, outcome = 0, "foreign"
        detail = "".join(traceback.format_exception(err))[-1500:]
    seconds = time.perf_counter() - start
    conn.send((outcome, seconds, max(0, _rss_bytes() - base_rss), out_bytes, detail))
    conn.close()


def run_case(ctx: Any, case: Case, path: Path, timeout_s: float) -> Result:
    """Read ``path`` with ``case.reader`` in a capped child; classify the outcome."""
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(case.reader, str(path), child))
    start = time.perf_counter()
    proc.start()
    child.close()
    got = parent.poll(timeout_s)
    if not got:
        proc.kill()
        proc.join()
        return Result(case.reader, case.name, "hang", timeout_s, 0.0, 0.0, f"> {timeout_s} s")
    try:
        outcome, seconds, rss, out_bytes, detail = parent.recv()
    except EOFError:
        proc.join()
        seconds = time.perf_counter() - start
        return Result(
            case.reader, case.name, "crash", seconds, 0.0, 0.0, f"exit code {proc.exitcode}"
        )
    proc.join()
    return Result(case.reader, case.name, outcome, seconds, rss / MIB, out_bytes / MIB, detail)


def make_context() -> Any:
    """A fork server with the readers imported once (fast, clean children)."""
    ctx = multiprocessing.get_context("forkserver")
    # torch and the trainer are imported once here, not in every child (seconds each).
    ctx.set_forkserver_preload(
        ["benchmarks.hostile_readers", "liversynth.checkpoint", "model_training.state"]
    )
    return ctx


def all_cases() -> list[Case]:
    from benchmarks.hostile_file_cases import file_cases
    from benchmarks.hostile_volume_cases import volume_cases

    return volume_cases() + file_cases()


def run_cases(cases: list[Case], timeout_s: float) -> list[Result]:
    """Build and run every case (each in its own temporary folder)."""
    ctx = make_context()
    results = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        for i, case in enumerate(cases):
            folder = Path(tmp) / f"{i:04d}"
            folder.mkdir()
            path = case.build(folder)
            results.append(run_case(ctx, case, path, timeout_s))
    return results


def memory_excess_mib(result: Result) -> float:
    """MiB over the rule (loaded: output × 2 + 256 MB; refused: 256 MB); ≤ 0 is within."""
    allowed = ALLOWANCE_BYTES / MIB + (2 * result.output_mib if result.outcome == "ok" else 0)
    return result.peak_rss_mib - allowed


def summarize(results: list[Result]) -> dict[str, Any]:
    """Per-reader totals (the figures the closing note quotes)."""
    readers: dict[str, dict[str, Any]] = {}
    for r in results:
        row = readers.setdefault(
            r.reader,
            {
                "inputs": 0,
                "ok": 0,
                "refused": 0,
                "foreign": 0,
                "hang": 0,
                "crash": 0,
                "worst_refused_rss_mib": 0.0,
                "worst_refused_seconds": 0.0,
                "worst_memory_excess_mib": -1e9,
            },
        )
        row["inputs"] += 1
        row[r.outcome] += 1
        if r.outcome == "refused":
            row["worst_refused_rss_mib"] = round(
                max(row["worst_refused_rss_mib"], r.peak_rss_mib), 1
            )
            row["worst_refused_seconds"] = round(max(row["worst_refused_seconds"], r.seconds), 3)
        if r.outcome in ("ok", "refused"):
            row["worst_memory_excess_mib"] = round(
                max(row["worst_memory_excess_mib"], memory_excess_mib(r)), 1
            )
    total = {
        k: sum(row[k] for row in readers.values())
        for k in ("inputs", "ok", "refused", "foreign", "hang", "crash")
    }
    return {"per_reader": readers, "total": total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", action="store_true", help="only the CI sample")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per input")
    parser.add_argument("--only", default="", help="run cases whose reader or name has this")
    parser.add_argument("--out", type=Path, default=Path("hostile_inputs.json"))
    args = parser.parse_args(argv)
    cases = [c for c in all_cases() if (c.sample or not args.sample)]
    cases = [c for c in cases if args.only in c.reader or args.only in c.name]
    start = time.perf_counter()
    results = run_cases(cases, args.timeout)
    report = {
        "command": " ".join(["python benchmarks/hostile_inputs.py", *(argv or sys.argv[1:])]),
        "seconds": round(time.perf_counter() - start, 1),
        "cpu_count": os.cpu_count(),
        **summarize(results),
        "bad": [asdict(r) for r in results if r.outcome in ("foreign", "hang", "crash")],
        "over_memory": [
            asdict(r)
            for r in results
            if memory_excess_mib(r) > 0 and r.outcome in ("ok", "refused")
        ],
        "results": [asdict(r) for r in results],
    }
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps({"total": report["total"], "seconds": report["seconds"]}))
    for reader, row in report["per_reader"].items():
        print(reader, json.dumps(row))
    for r in report["bad"] + report["over_memory"]:
        print("BAD", r["reader"], r["name"], r["outcome"], r["peak_rss_mib"], r["detail"][-300:])
    return 1 if report["bad"] or report["over_memory"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
