"""Stored values → Hounsfield units with the project's dtype rule.

``int16`` when the HU are integral and fit (half the memory of float32, and what CT scanners
store), else ``float32``. NaN or infinite values are refused. Work is done slice by slice so
that temporaries stay one slice large.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liversynth.errors import LoadError

INT16_MIN = int(np.iinfo(np.int16).min)
INT16_MAX = int(np.iinfo(np.int16).max)


def _is_integral(value: float) -> bool:
    return float(value).is_integer()


def _check_finite(slope: float, inter: float, path: str | Path) -> None:
    if not (np.isfinite(slope) and np.isfinite(inter)):
        raise LoadError(path, f"invalid rescale slope/intercept ({slope}, {inter})")
    if slope == 0:
        raise LoadError(path, "rescale slope is 0 (every voxel would be the same value)")


def raw_to_hu(raw: np.ndarray, slope: float, inter: float, path: str | Path) -> np.ndarray:
    """Apply ``hu = raw * slope + inter`` and pick the dtype.

    Args:
        raw: stored values ``(z, y, x)``, any real dtype; returned unchanged (no copy) when it
            is already int16 with an identity rescale.
        slope: rescale slope.
        inter: rescale intercept.
        path: named in errors.

    Returns:
        HU as int16 (integral values within int16) or float32.

    Raises:
        LoadError: NaN/inf values or rescale parameters, a non-numeric dtype.
    """
    slope, inter = float(slope), float(inter)
    _check_finite(slope, inter, path)
    if raw.dtype.kind not in "iuf" or raw.ndim != 3:
        raise LoadError(path, f"unsupported voxel type {raw.dtype} (expected numbers)")
    identity = slope == 1.0 and inter == 0.0
    if raw.dtype.kind in "iu":
        if identity and raw.dtype == np.int16 and raw.dtype.isnative:
            return raw
        if _is_integral(slope) and _is_integral(inter) and raw.size:
            lo, hi = int(raw.min()), int(raw.max())
            ends = (lo * slope + inter, hi * slope + inter)
            if INT16_MIN <= min(ends) and max(ends) <= INT16_MAX:
                return _rescale_slices(raw, slope, inter, np.int16, path)
        return _rescale_slices(raw, slope, inter, np.float32, path)
    return _float_to_hu(raw, slope, inter, path)


def _rescale_slices(
    raw: np.ndarray, slope: float, inter: float, dtype: type, path: str | Path
) -> np.ndarray:
    out: np.ndarray = np.empty(raw.shape, dtype=dtype)
    exact = dtype is np.int16 and raw.dtype.kind in "iu"
    work = np.int64 if exact else np.float64
    for k in range(raw.shape[0]):
        plane = raw[k].astype(work)
        if slope != 1.0:
            plane *= work(slope)
        if inter != 0.0:
            plane += work(inter)
        with np.errstate(over="ignore"):  # an overflow is detected and refused just below
            out[k] = np.rint(plane) if dtype is np.int16 and not exact else plane
        # Finite in float64 is not enough: 1e39 becomes inf in float32.
        if dtype is np.float32 and not np.all(np.isfinite(out[k])):
            raise LoadError(path, f"slice {k}: values overflow float32 after scaling (inf HU)")
    return out


def _float_to_hu(raw: np.ndarray, slope: float, inter: float, path: str | Path) -> np.ndarray:
    integral = True
    for k in range(raw.shape[0]):
        plane = raw[k].astype(np.float64) * slope + inter
        if not np.all(np.isfinite(plane)):
            raise LoadError(path, f"slice {k} contains NaN or infinite values")
        if integral and (
            plane.size
            and (
                plane.min() < INT16_MIN
                or plane.max() > INT16_MAX
                or not np.array_equal(plane, np.round(plane))
            )
        ):
            integral = False
    if integral:
        return (
            _rescale_slices(raw, slope, inter, np.int16, path) if raw.size else raw.astype(np.int16)
        )
    if raw.dtype == np.float32 and slope == 1.0 and inter == 0.0 and raw.dtype.isnative:
        return np.ascontiguousarray(raw)  # finite: checked slice by slice above
    return _rescale_slices(raw, slope, inter, np.float32, path)
