"""This tree's ``gan`` filler against another version's, in one run, on the same slices.

``python -m benchmarks.compare_fill --baseline /path/to/other/tree [--fills 60] [--volumes 5]
[--threads 2] [--out benchmarks/fill_compare.json]``

On a shared machine an absolute time says more about the neighbours than about the code; a
ratio measured fill by fill in one run does not. Two worker processes are started, one
importing ``liversynth`` from ``--baseline`` (e.g. ``/work/main`` or a ``git archive`` of an
older commit), one from this tree; each loads the bundled default model (``Filler()`` with its
defaults: ``flips=2``, renderer on) and 3Dircadb1.1. The parent then asks them *in turn* (never
both at once) to fill the same tumour slice with the same seed, and records wall and process-CPU
time of each fill, the per-fill ratio new / baseline and whether the two outputs are
bit-identical (else the largest absolute difference in HU). Then the same for ``fill_volume``
of the 20-slice lesion of :func:`benchmarks.bench_fill.volume_timing`'s case. The load average
is recorded before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from benchmarks.context import DEFAULT_DATA
from benchmarks.stats import load_average, machine, summarize

ROOT = Path(__file__).resolve().parents[1]
VOLUME_SLICES = 20

#: The worker: runs with ``cwd`` = the tree to measure, so ``import liversynth`` finds that
#: tree first; it reads pickled requests from stdin and answers on stdout.
_WORKER = r"""
import pickle, struct, sys, time
import numpy as np, torch
from scipy import ndimage
from liversynth.io import load_case
from liversynth.fillers.gan import Filler, default_model_path
import liversynth

def recv():
    head = sys.stdin.buffer.read(8)
    if len(head) < 8:
        return None
    return pickle.loads(sys.stdin.buffer.read(struct.unpack("<Q", head)[0]))

def send(obj):
    data = pickle.dumps(obj, protocol=5)
    sys.stdout.buffer.write(struct.pack("<Q", len(data)) + data)
    sys.stdout.buffer.flush()

data, threads, n_vol = recv()
torch.set_num_threads(threads)
case = load_case(data + "/3Dircadb1.1")
slices = [(case.volume.slice_hu(z), case.labels[z] == 2)
          for z in range(case.labels.shape[0]) if (case.labels[z] == 2).any()]
tumour = case.labels == 2
comp, n = ndimage.label(tumour)
big = comp == (np.argmax(np.bincount(comp.ravel())[1:]) + 1)
zs = np.flatnonzero(big.any(axis=(1, 2)))
z0 = int(np.clip(zs[len(zs) // 2] - n_vol // 2, 0, max(case.volume.hu.shape[0] - n_vol, 0)))
picks = np.clip(np.arange(z0, z0 + n_vol), zs[0], zs[-1])
vol_hu = np.asarray(case.volume.hu[z0 : z0 + n_vol], np.float32)
vol_mask = big[picks][: vol_hu.shape[0]]
vol_liver = case.labels[z0 : z0 + n_vol] >= 1
spacing = tuple(float(v) for v in case.volume.spacing_mm)
filler = Filler.from_checkpoint(default_model_path(), device="cpu")
if hasattr(filler, "structure"):  # cold fills only: the cache would serve repeated volumes
    filler.structure.cache_entries = 0
filler.fill(*slices[0])
send({"liversynth": liversynth.__file__, "slices": len(slices)})
while (req := recv()) is not None:
    kind, i, seed = req
    c0, t0 = time.process_time(), time.perf_counter()
    if kind == "fill":
        out = filler.fill(*slices[i % len(slices)], seed=seed)
    else:
        out = filler.fill_volume(vol_hu, vol_mask, liver_zyx=vol_liver, seed=seed,
                                 spacing_mm=spacing)
    send((time.perf_counter() - t0, time.process_time() - c0, out))
"""


class _Worker:
    """One measuring process over ``tree`` (see :data:`_WORKER`)."""

    def __init__(self, tree: Path, data: Path, threads: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._send((str(data), threads, VOLUME_SLICES))
        self.info: dict[str, Any] = self._recv()

    def _send(self, obj: Any) -> None:
        stdin: BinaryIO = self.proc.stdin  # type: ignore[assignment]
        payload = pickle.dumps(obj)
        stdin.write(struct.pack("<Q", len(payload)) + payload)
        stdin.flush()

    def _recv(self) -> Any:
        stdout: BinaryIO = self.proc.stdout  # type: ignore[assignment]
        head = stdout.read(8)
        if len(head) < 8:
            raise RuntimeError("benchmark worker died (see its stderr above)")
        return pickle.loads(stdout.read(struct.unpack("<Q", head)[0]))

    def run(self, kind: str, index: int, seed: int) -> tuple[float, float, np.ndarray]:
        self._send((kind, index, seed))
        return self._recv()  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _compare(base: _Worker, new: _Worker, kind: str, n: int, n_slices: int) -> dict[str, Any]:
    """``n`` interleaved calls (baseline first on even ``i``, new first on odd ``i``)."""
    rows = []
    for i in range(n):
        order = (base, new) if i % 2 == 0 else (new, base)
        res = {id(w): w.run(kind, i % max(n_slices, 1), i) for w in order}
        (bw, bc, bo), (nw, nc, no) = res[id(base)], res[id(new)]
        rows.append((bw, bc, nw, nc, bool(np.array_equal(bo, no)), float(np.abs(bo - no).max())))
    arr = np.array([r[:4] for r in rows])
    unit, scale = ("ms", 1e3) if kind == "fill" else ("s", 1.0)
    return {
        "baseline_wall": summarize(arr[:, 0] * scale, unit),
        "new_wall": summarize(arr[:, 2] * scale, unit),
        "baseline_cpu": summarize(arr[:, 1] * scale, unit),
        "new_cpu": summarize(arr[:, 3] * scale, unit),
        "ratio_wall_new_over_baseline": summarize(arr[:, 2] / arr[:, 0], "x"),
        "ratio_cpu_new_over_baseline": summarize(arr[:, 3] / arr[:, 1], "x"),
        "bit_identical": int(sum(r[4] for r in rows)),
        "n": n,
        "max_abs_diff_hu": float(max(r[5] for r in rows)),
    }


def run(baseline: Path, data: Path, fills: int, volumes: int, threads: int) -> dict[str, Any]:
    """Start both workers, interleave the fills and volumes; the JSON-ready record."""
    load_before = load_average()
    base = _Worker(baseline, data, threads)
    new = _Worker(ROOT, data, threads)
    try:
        n_slices = int(new.info["slices"])
        record = {
            "command": "python -m benchmarks.compare_fill " + " ".join(sys.argv[1:]),
            "baseline_tree": str(baseline),
            "workers": {"baseline": base.info, "new": new.info},
            "torch_threads": threads,
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "fill": _compare(base, new, "fill", fills, n_slices),
            "fill_volume_20_slices": _compare(base, new, "volume", volumes, 1),
        }
    finally:
        base.close()
        new.close()
    record["load_average"] = {"before": load_before, "after": load_average()}
    record["machine"] = machine()
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other source tree")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--fills", type=int, default=60)
    parser.add_argument("--volumes", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="torch threads in both workers")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    record = run(
        args.baseline.resolve(), args.data.resolve(), args.fills, args.volumes, args.threads
    )
    text = json.dumps(record, indent=1) + "\n"
    if args.out is not None:
        from liversynth.atomic import atomic_write

        atomic_write(args.out, text.encode())
    for kind in ("fill", "fill_volume_20_slices"):
        r = record[kind]
        print(
            f"{kind}: baseline p50 {r['baseline_wall']['median']:.4g} {r['new_wall']['unit']}, "
            f"new p50 {r['new_wall']['median']:.4g}; ratio new/baseline p50 wall "
            f"{r['ratio_wall_new_over_baseline']['median']:.3f}, cpu "
            f"{r['ratio_cpu_new_over_baseline']['median']:.3f}; bit-identical "
            f"{r['bit_identical']}/{r['n']}, max |diff| {r['max_abs_diff_hu']:.3g} HU"
        )
    print("load average", record["load_average"])


if __name__ == "__main__":
    main()
