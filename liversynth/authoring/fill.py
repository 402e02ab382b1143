"""Fill requests and results: what travels between the document and the inference worker.

Every request carries a *generation* number from :meth:`Document.request_fill`; the document
applies a result only if its generation is still the latest (ndv's habit), so a slow inference
finishing after the user moved on is dropped instead of overwriting newer work.
:func:`run_fill` is the Qt-free computation the worker runs (in a thread, or inline in tests).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from liversynth.fillers.base import Appearance, SliceFiller
from liversynth.metrics import compare


@dataclass(frozen=True)
class FillRequest:
    """One inference job, a self-contained snapshot (the worker never reads the document).

    Attributes:
        generation: increases with every request of one document.
        z: slice index the request was made on.
        slice_hu: the original slice, float32 ``(H, W)`` HU (a copy).
        mask: lesion mask, bool ``(H, W)`` (a copy).
        liver_mask: liver (labels 1 or 2) of that slice, or ``None`` without labels.
        filler_name: the filler the document wants (the worker reports which one ran).
        seed: seed for stochastic fillers, so one request always gives one result.
        appearance: the lesion's requested contrast / heterogeneity (``None``: engine decides).
    """

    generation: int
    z: int
    slice_hu: np.ndarray
    mask: np.ndarray
    liver_mask: np.ndarray | None
    filler_name: str
    seed: int = 0
    appearance: Appearance | None = None


@dataclass(frozen=True)
class FillResult:
    """A finished job.

    Attributes:
        generation: the request's generation.
        z: the request's slice index.
        filled_hu: float32 ``(H, W)`` HU, the synthetic slice.
        elapsed_ms: wall time of ``filler.fill`` in milliseconds.
        device: where it ran (``"cpu"``, ``"cuda"``...).
        filler_name: the filler that actually ran.
        mask: the request's mask (the user may have edited the live mask meanwhile).
        preview: a quick stand-in (e.g. the ``mean`` filler) shown until the real fill of
            the same request arrives; no metrics are computed for it.
    """

    generation: int
    z: int
    filled_hu: np.ndarray
    elapsed_ms: float
    device: str
    filler_name: str
    mask: np.ndarray | None = None
    preview: bool = False


def run_fill(filler: SliceFiller, request: FillRequest, *, preview: bool = False) -> FillResult:
    """Run ``filler`` on ``request`` and time it (``preview``: mark the result as a quick
    stand-in). Exceptions propagate to the caller."""
    start = time.perf_counter()
    kwargs: dict[str, Any] = {"liver_mask": request.liver_mask, "seed": request.seed}
    if request.appearance is not None and not request.appearance.is_default:
        kwargs["appearance"] = request.appearance  # only engines that honour it get it
    filled = filler.fill(request.slice_hu, request.mask, **kwargs)
    elapsed_ms = (time.perf_counter() - start) * 1000.0
    filled = np.asarray(filled, dtype=np.float32)
    if filled.shape != request.slice_hu.shape:
        raise ValueError(
            f"filler {filler.name!r} returned shape {filled.shape}, expected {request.slice_hu.shape}"
        )
    return FillResult(
        generation=request.generation,
        z=request.z,
        filled_hu=filled,
        elapsed_ms=elapsed_ms,
        device=str(getattr(filler, "device", "cpu")),
        filler_name=str(getattr(filler, "name", request.filler_name)),
        mask=request.mask,
        preview=preview,
    )


@dataclass(frozen=True)
class MetricsRequest:
    """Measuring one applied fill against the original slice, off the GUI thread.

    Attributes:
        generation: the fill request's generation (results of older ones are dropped).
        fill_serial: which applied fill of the document this measures (the same generation
            can be shown twice, e.g. a 3-D fill's slice first and again when it completes).
        truth_hu: the original slice, float32 ``(H, W)`` HU.
        filled_hu: the fill that is on screen.
        mask: the mask the fill was made from.
    """

    generation: int
    fill_serial: int
    truth_hu: np.ndarray
    filled_hu: np.ndarray
    mask: np.ndarray


@dataclass(frozen=True)
class MetricsResult:
    """:func:`liversynth.metrics.compare` of a :class:`MetricsRequest`, with its keys."""

    generation: int
    fill_serial: int
    metrics: dict[str, float]
    elapsed_ms: float


def run_metrics(request: MetricsRequest) -> MetricsResult:
    """Compute the metrics of ``request`` (PSNR/SSIM/MAE: ~0.2 s on a 512² slice)."""
    start = time.perf_counter()
    metrics = compare(request.truth_hu, request.filled_hu, request.mask)
    return MetricsResult(
        request.generation,
        request.fill_serial,
        metrics,
        (time.perf_counter() - start) * 1000.0,
    )
