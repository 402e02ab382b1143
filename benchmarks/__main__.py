"""``python -m benchmarks [--quick] [--only NAME ...] [--out benchmarks/results.json]``.

Runs the benchmark sections in order, each with the load average before and after it (the
machine is shared), and writes the JSON results plus a Markdown summary next to it
(``results.md``). ``--quick`` uses tiny sizes and few repeats: it checks that the harness
works (the smoke test), its figures mean nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import bench_fill, bench_gui, bench_loading, bench_synthesis, bench_train
from benchmarks.context import DEFAULT_DATA, BenchContext
from benchmarks.report import render_markdown
from benchmarks.stats import load_average, machine
from liversynth.atomic import atomic_write


def _io_memory(ctx: BenchContext) -> dict[str, Any]:
    """Peak memory of loading a big ``.nii`` (the probe of :mod:`benchmarks.io_loading`, reused)."""
    from benchmarks.io_loading import memory_probe

    return memory_probe(8 if ctx.quick else 500, ctx.scratch)


#: Section name → function(ctx) -> dict, in running order.
SECTIONS: dict[str, Callable[[BenchContext], dict[str, Any]]] = {
    "fill": bench_fill.run,
    "train": bench_train.run,
    "loading": bench_loading.run,
    "io_memory": _io_memory,
    "synthesis": bench_synthesis.run,
    "gui": bench_gui.run,
}


def _rounded(value: Any) -> Any:
    """Floats to 4 significant digits, recursively (the JSON stays readable)."""
    if isinstance(value, float):
        if not math.isfinite(value) or value == 0.0:
            return value
        return float(f"{value:.4g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def run_sections(ctx: BenchContext, names: list[str]) -> dict[str, Any]:
    """Run ``names`` in order; a failing section records its error and the rest go on."""
    results: dict[str, Any] = {}
    for name in names:
        print(f"[benchmarks] {name} ...", file=sys.stderr, flush=True)
        before, t0 = load_average(), time.perf_counter()
        try:
            body = SECTIONS[name](ctx)
        except Exception as err:  # report and continue: one broken area must not hide the rest
            body = {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()}
        results[name] = {
            **body,
            "load_average_before": before,
            "load_average_after": load_average(),
            "section_wall_s": time.perf_counter() - t0,
        }
        print(
            f"[benchmarks] {name} done in {results[name]['section_wall_s']:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    return results


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (1 when a section failed)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(SECTIONS),
        metavar="NAME",
        help=f"run only these sections ({', '.join(SECTIONS)})",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results.json"))
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="real data folder (default ../shared/data)"
    )
    args = parser.parse_args(argv)
    names = args.only or list(SECTIONS)
    started = datetime.datetime.now(datetime.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="liversynth-bench-") as tmp:
        ctx = BenchContext(quick=args.quick, data=args.data, scratch=Path(tmp))
        info = machine()
        sections = run_sections(ctx, names)
    report = _rounded(
        {
            "command": "python -m benchmarks"
            + (" --quick" if args.quick else "")
            + (f" --only {' '.join(args.only)}" if args.only else ""),
            "quick": args.quick,
            "started_utc": started.isoformat(timespec="seconds"),
            "machine": info,
            "load_average_at_end": load_average(),
            "notes": ctx.notes,
            "sections": sections,
        }
    )
    atomic_write(args.out, (json.dumps(report, indent=1) + "\n").encode("utf-8"))
    md = args.out.with_suffix(".md")
    atomic_write(md, render_markdown(report).encode("utf-8"))
    print(f"[benchmarks] wrote {args.out} and {md}", file=sys.stderr)
    return 1 if any("error" in s for s in sections.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
