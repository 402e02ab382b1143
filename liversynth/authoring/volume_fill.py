"""Volume fills: a 3-D lesion filled over every slice it touches, the shown slice first.

:class:`VolumeFillRequest` is the snapshot the worker computes (a slab of the case around the
lesion); :func:`run_volume_fill` calls the engine's
:meth:`~liversynth.fillers.base.SliceFiller.fill_volume` in two phases so the user sees pixels
at once:

1. the on-screen slice alone (``FillHints(focus_z=...)``), reported as an ordinary
   :class:`~liversynth.authoring.fill.FillResult` (the document shows it like a 2-D fill);
2. the rest. A slice-wise engine (:class:`~liversynth.fillers.base.SliceWiseVolumeMixin`)
   runs in chunks of a few slices, so progress is reported and a cancel takes effect between
   chunks; a 3-D engine gets the whole slab in one call (coherence across slices matters more
   than progress), and its own focus slice replaces the phase-1 one.

``is_cancelled`` is polled between calls (the worker cancels when a newer request arrives:
newest request wins). A cancelled fill returns ``None``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from liversynth.authoring.fill import FillResult
from liversynth.fillers.base import Appearance, FillHints, SliceFiller, SliceWiseVolumeMixin

#: Slices per ``fill_volume`` call for slice-wise engines (progress/cancel granularity).
CHUNK_SLICES = 4


@dataclass(frozen=True)
class VolumeFillRequest:
    """One 3-D fill job, a self-contained snapshot of the slab ``z0 .. z0 + len(hu_zyx)``.

    Attributes:
        generation: the document's request number (stale results are dropped).
        z0: index of the slab's first slice in the case.
        focus_z: the slice on screen (case index), filled first.
        hu_zyx: float32 HU of the slab (a copy).
        mask_zyx: bool lesion mask of the slab (a copy).
        liver_zyx: bool liver of the slab, or ``None`` without labels.
        spacing_mm: voxel size ``(z, y, x)``.
        filler_name: the filler the document wants.
        seed: one seed for the whole lesion.
        appearance: the requested contrast / heterogeneity (``None``: the engine decides).
    """

    generation: int
    z0: int
    focus_z: int
    hu_zyx: np.ndarray
    mask_zyx: np.ndarray
    liver_zyx: np.ndarray | None
    spacing_mm: tuple[float, float, float]
    filler_name: str
    seed: int = 0
    appearance: Appearance | None = None

    @property
    def lesion_slices(self) -> list[int]:
        """Case indices of the slices with lesion, ascending."""
        return [self.z0 + int(k) for k in np.flatnonzero(self.mask_zyx.any(axis=(1, 2)))]


@dataclass(frozen=True)
class VolumeFillResult:
    """A finished volume fill.

    Attributes:
        generation: the request's generation.
        z0: the slab's first slice index.
        filled_zyx: float32 HU of the slab with the lesion filled.
        mask_zyx: the request's mask.
        first_ms: time to the on-screen slice (phase 1), ms.
        elapsed_ms: time to the whole lesion, ms.
        device: where it ran.
        filler_name: the filler that ran.
    """

    generation: int
    z0: int
    filled_zyx: np.ndarray
    mask_zyx: np.ndarray
    first_ms: float
    elapsed_ms: float
    device: str
    filler_name: str


def _fill_slices(
    filler: SliceFiller, req: VolumeFillRequest, slices: list[int] | None, focus: int | None
) -> np.ndarray:
    """``fill_volume`` with only ``slices`` (slab indices; ``None`` = all) of the mask kept.

    The slab passed starts at the request's first slice, so a slice-wise engine gives each
    slice the same per-slice seed as one call on the whole slab (the export makes that call,
    so it matches the screen); it ends after the last slice asked for, so the on-screen slice
    does not pay for copying the whole slab.
    """
    if slices is None:
        hi = req.mask_zyx.shape[0]
        mask = req.mask_zyx
    else:
        hi = max(slices) + 1
        mask = np.zeros((hi, *req.mask_zyx.shape[1:]), dtype=bool)
        mask[slices] = req.mask_zyx[slices]
    liver = None if req.liver_zyx is None else req.liver_zyx[:hi]
    return np.asarray(
        filler.fill_volume(
            req.hu_zyx[:hi],
            mask,
            liver_zyx=liver,
            seed=req.seed,
            spacing_mm=req.spacing_mm,
            appearance=req.appearance,
            hints=FillHints(focus_z=focus),
        ),
        dtype=np.float32,
    )


def run_volume_fill(
    filler: SliceFiller,
    req: VolumeFillRequest,
    *,
    on_first: Callable[[FillResult], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] = lambda: False,
) -> VolumeFillResult | None:
    """Fill ``req`` (see the module docstring); ``None`` when cancelled midway.

    Args:
        filler: the engine.
        req: the snapshot.
        on_first: called with the on-screen slice's result as soon as it exists.
        on_progress: ``(slices_done, slices_total)`` after each call.
        is_cancelled: polled between calls.
    """
    start = time.perf_counter()
    device = str(getattr(filler, "device", "cpu"))
    name = str(getattr(filler, "name", req.filler_name))
    out = req.hu_zyx.astype(np.float32, copy=True)
    todo = [z - req.z0 for z in req.lesion_slices]
    total = len(todo)
    focus = req.focus_z - req.z0
    first_ms = 0.0
    if focus in todo:
        out[focus] = _fill_slices(filler, req, [focus], focus)[focus]
        first_ms = (time.perf_counter() - start) * 1000.0
        todo.remove(focus)
        if on_first is not None:
            on_first(
                FillResult(
                    generation=req.generation,
                    z=req.focus_z,
                    filled_hu=out[focus].copy(),
                    elapsed_ms=first_ms,
                    device=device,
                    filler_name=name,
                    mask=req.mask_zyx[focus].copy(),
                )
            )
        if on_progress is not None:
            on_progress(1, total)
    if todo and is_cancelled():
        return None
    if todo and isinstance(filler, SliceWiseVolumeMixin):
        done = total - len(todo)
        for i in range(0, len(todo), CHUNK_SLICES):
            chunk = todo[i : i + CHUNK_SLICES]
            part = _fill_slices(filler, req, chunk, None)
            out[chunk] = part[chunk]
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, total)
            if done < total and is_cancelled():
                return None
    elif todo:
        out = _fill_slices(filler, req, None, focus if 0 <= focus < len(out) else None)
        if on_progress is not None:
            on_progress(total, total)
    return VolumeFillResult(
        generation=req.generation,
        z0=req.z0,
        filled_zyx=out,
        mask_zyx=req.mask_zyx,
        first_ms=first_ms,
        elapsed_ms=(time.perf_counter() - start) * 1000.0,
        device=device,
        filler_name=name,
    )
