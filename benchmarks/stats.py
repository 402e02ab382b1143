"""Summary statistics, timing loops and the machine description shared by every benchmark.

Every figure a benchmark reports is a :func:`summarize` of repeated samples: the median with
its spread (p5, p95, quartiles) and ``n``, so a reader can tell a real difference from noise
on a shared, busy machine.

Example:
    >>> s = summarize([0.010, 0.012, 0.011, 0.050], unit="s")
    >>> s["n"], round(s["median"], 4), s["unit"]
    (4, 0.0115, 's')
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from typing import Any

import numpy as np


def summarize(samples: Sequence[float], unit: str = "s") -> dict[str, Any]:
    """Median, p5, p95, quartiles, min, max and n of ``samples``.

    Args:
        samples: one value per repetition (seconds, items/s, ...).
        unit: the unit of the samples (kept in the result).

    Returns:
        ``{"median", "p5", "p95", "q1", "q3", "min", "max", "n", "unit"}``; the statistics are
        ``None`` when ``samples`` is empty.
    """
    values = np.asarray(list(samples), dtype=np.float64)
    if values.size == 0:
        empty: dict[str, Any] = dict.fromkeys(("median", "p5", "p95", "q1", "q3", "min", "max"))
        return {**empty, "n": 0, "unit": unit}
    p5, q1, median, q3, p95 = np.percentile(values, [5, 25, 50, 75, 95])
    return {
        "median": float(median),
        "p5": float(p5),
        "p95": float(p95),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(values.min()),
        "max": float(values.max()),
        "n": int(values.size),
        "unit": unit,
    }


def scaled(summary: dict[str, Any], factor: float, unit: str) -> dict[str, Any]:
    """``summary`` with every statistic multiplied by ``factor`` (e.g. s → ms)."""
    out = dict(summary)
    for key in ("median", "p5", "p95", "q1", "q3", "min", "max"):
        if out.get(key) is not None:
            out[key] = out[key] * factor
    out["unit"] = unit
    return out


def ratio(numerator: dict[str, Any], denominator: dict[str, Any]) -> float | None:
    """Ratio of two medians (same run, same machine); ``None`` when either is missing."""
    a, b = numerator.get("median"), denominator.get("median")
    if a is None or not b:
        return None
    return float(a) / float(b)


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (``None`` where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (else :func:`platform.processor`)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, torch threads and library versions of this machine."""
    import torch

    from liversynth.fillers.gan import usable_cores

    versions: dict[str, str] = {"python": platform.python_version(), "torch": torch.__version__}
    for name in ("numpy", "nibabel", "pydicom", "PySide6", "pyqtgraph", "scipy", "skimage"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        versions[name] = str(getattr(module, "__version__", "?"))
    mem_gib = None
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        mem_gib = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable_cores(),
        "memory_gib": mem_gib,
        "torch_threads": torch.get_num_threads(),
        "cuda_available": bool(torch.cuda.is_available()),
        "platform": platform.platform(),
        "versions": versions,
        "load_average_at_start": load_average(),
    }
