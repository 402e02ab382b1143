"""NumPy ``.npy`` / ``.npz`` volumes (already in display orientation, ``(z, y, x)`` HU).

An array carries no position: the volume gets the default geometry (voxel 0 at the LPS
origin, axes along L, P, S with the stored voxel size; :mod:`liversynth.geometry`).

``.npz``: the array under key ``hu`` (or the only array), optional ``spacing_mm`` ``(z, y, x)``.
Headers are read first so that sizes are checked before loading; pickles are never allowed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from liversynth.errors import LoadError
from liversynth.io.boundary import load_boundary
from liversynth.io.hu_values import raw_to_hu
from liversynth.io.limits import Limits, check_volume_size
from liversynth.io.safe_files import (
    ZipBounds,
    npy_member_header,
    open_zip,
    read_npy_header,
    require_regular_file,
)
from liversynth.typing import SpacingZYX
from liversynth.volume import Volume


def _check(path: Path, shape: tuple[int, ...], dtype: np.dtype, limits: Limits | None) -> None:
    if dtype.hasobject or dtype.kind not in "biuf":
        raise LoadError(path, f"unsupported array type {dtype} (expected real numbers)")
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3:
        raise LoadError(path, f"array of shape {shape}: expected (z, y, x)")
    check_volume_size(path, shape, dtype.itemsize + (0 if dtype == np.int16 else 4), limits)


def read_numpy_array(
    path: str | Path, limits: Limits | None = None, key: str = "hu"
) -> tuple[np.ndarray, SpacingZYX | None]:
    """Return ``(array_zyx, spacing_mm or None)`` from a ``.npy`` or ``.npz`` file.

    Raises:
        LoadError: unreadable file, object/pickled arrays, wrong number of dimensions, an npz
            with several arrays and no ``key``, bad ``spacing_mm``.
        VolumeLimitError: the array exceeds ``limits``.
    """
    path = Path(path)
    with load_boundary(path, "cannot read NumPy file"):
        require_regular_file(path)
        if path.suffix.lower() == ".npy":
            with open(path, "rb") as handle:
                shape, dtype, _fortran = read_npy_header(handle, path)
            _check(path, shape, dtype, limits)
            arr = np.load(path, allow_pickle=False)
            spacing = None
        else:
            arr, spacing = _read_npz(path, limits, key)
        if arr.ndim == 2:
            arr = arr[np.newaxis]
        return arr, spacing


def _read_npz(path: Path, limits: Limits | None, key: str) -> tuple[np.ndarray, tuple | None]:
    """Every member is size-checked from its own header before any is read."""
    lim = limits or Limits()
    bounds = ZipBounds(max_members=64, max_total_bytes=lim.byte_budget())
    with open_zip(path, bounds) as archive:
        names = [n[:-4] for n in archive.namelist() if n.endswith(".npy")]
        if key in names:
            chosen = key
        else:
            arrays = [n for n in names if n != "spacing_mm"]
            if len(arrays) != 1:
                raise LoadError(
                    path, f"npz holds arrays {sorted(names)}: expected '{key}' or only one"
                )
            chosen = arrays[0]
        headers = {n: npy_member_header(archive, n + ".npy", path)[:2] for n in names}
        _check(path, *headers[chosen], limits)
        spacing = None
        if "spacing_mm" in headers and chosen != "spacing_mm":
            shape, dtype = headers["spacing_mm"]
            if math.prod(shape) != 3 or dtype.hasobject or dtype.kind not in "biuf":
                raise LoadError(path, f"spacing_mm of shape {shape} {dtype}: expected 3 numbers")
            with archive.open("spacing_mm.npy") as handle:
                values = np.lib.format.read_array(handle, allow_pickle=False)
            values = np.asarray(values, dtype=np.float64).ravel()
            if not np.all(np.isfinite(values)) or np.any(values <= 0):
                raise LoadError(
                    path, f"spacing_mm {values.tolist()} must be three positive numbers"
                )
            spacing = (float(values[0]), float(values[1]), float(values[2]))
        with archive.open(chosen + ".npy") as handle:
            arr = np.lib.format.read_array(handle, allow_pickle=False)
    return arr, spacing


def load_numpy(path: str | Path, limits: Limits | None = None) -> Volume:
    """Load a ``.npy``/``.npz`` HU array (taken as already display-oriented)."""
    path = Path(path)
    arr, spacing = read_numpy_array(path, limits)
    with load_boundary(path, "cannot convert NumPy array"):
        if arr.dtype.kind == "b":
            arr = arr.astype(np.uint8)
        hu = raw_to_hu(arr, 1.0, 0.0, path)
        hu = np.ascontiguousarray(hu)
    metadata: dict = {"format": "numpy", "modality": "CT", "orientation": "display (assumed)"}
    notes = ["no position stored: voxel 0 at the origin, axes along L, P, S (LPS)"]
    if spacing is None:
        notes.append("no spacing_mm stored: 1 mm assumed")
        spacing = (1.0, 1.0, 1.0)
    metadata["notes"] = notes
    # Volume's default geometry (liversynth.geometry.default_affine_lps of the spacing).
    return Volume(hu, spacing, str(path), metadata)
