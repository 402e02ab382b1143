"""What a session file may contain, checked before anything in it is used.

A ``.lsession`` can come from anywhere (mailed by a colleague, left in an autosave folder by a
crashed run, crafted). :func:`check_session_meta` checks every field of ``session.json`` for
type and range, and :func:`read_mask_member` reads a ``.npy`` member only after its own
header says it is a boolean 2-D mask of the expected size, so a malformed session is a
:class:`~liversynth.errors.LoadError` naming the file, never a TypeError deep in the GUI or
a 40000x40000 allocation.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from liversynth.errors import LoadError
from liversynth.io.limits import DEFAULT_LIMITS, VolumeLimitError

#: Largest stamp source (px per side): a lesion crop, not a slice of a giant.
MAX_STAMP_PX = 1024


def _int(value: object, path: Path, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise LoadError(path, f"session field {name} = {str(value)[:40]!r}: expected {lo}..{hi}")
    return value


def _number(value: object, path: Path, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LoadError(path, f"session field {name} = {str(value)[:40]!r} is not a number")
    out = float(value)
    if not (math.isfinite(out) and lo <= out <= hi):
        raise LoadError(path, f"session field {name} = {out} is outside {lo}..{hi}")
    return out


def _optional_str(value: object, path: Path, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise LoadError(path, f"session field {name} must be text or null")


def _shape(value: object, path: Path, name: str) -> tuple[int, int, int]:
    if not isinstance(value, list) or len(value) != 3:
        raise LoadError(path, f"session field {name} must be 3 integers")
    lim = DEFAULT_LIMITS
    z = _int(value[0], path, name, 1, lim.max_slices)
    y = _int(value[1], path, name, 1, lim.max_inplane_px)
    x = _int(value[2], path, name, 1, lim.max_inplane_px)
    return z, y, x


def _source(value: object, path: Path) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise LoadError(path, "session field source must be an object")
    for key in ("volume_path", "labels_path"):
        _optional_str(value.get(key), path, f"source.{key}")
    if value.get("phantom_seed") is not None:
        _int(value["phantom_seed"], path, "source.phantom_seed", 0, 2**63 - 1)
    if value.get("phantom_shape"):
        _shape(value["phantom_shape"], path, "source.phantom_shape")
    spacing = value.get("phantom_spacing_mm")
    if spacing:
        if not isinstance(spacing, list) or len(spacing) != 3:
            raise LoadError(path, "session field source.phantom_spacing_mm must be 3 numbers")
        for s in spacing:
            _number(s, path, "source.phantom_spacing_mm", 1e-3, 100.0)


def _stamp(value: object, path: Path) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not isinstance(value.get("pose"), dict):
        raise LoadError(path, "session field stamp must be an object with a pose")
    pose = value["pose"]
    centre = pose.get("centre_rc")
    if not isinstance(centre, list) or len(centre) != 2:
        raise LoadError(path, "session field stamp.pose.centre_rc must be 2 numbers")
    for c in centre:
        _number(c, path, "stamp.pose.centre_rc", -1e5, 1e5)
    _number(pose.get("angle_deg"), path, "stamp.pose.angle_deg", -1e5, 1e5)
    for key in ("scale_x", "scale_y"):
        _number(pose.get(key), path, f"stamp.pose.{key}", 1e-3, 1e3)
    for key in ("flip_h", "flip_v"):
        if not isinstance(pose.get(key), bool):
            raise LoadError(path, f"session field stamp.pose.{key} must be true or false")
    _optional_str(value.get("origin"), path, "stamp.origin")


def check_session_meta(meta: dict[str, Any], path: Path) -> tuple[int, int, int]:
    """Check every field of ``session.json``; returns the case shape ``(z, y, x)``.

    Raises:
        LoadError: a missing field, a wrong type, or a value out of range (named).
    """
    for key in ("shape", "masks", "slice_index", "window", "filler_name"):
        if key not in meta:
            raise LoadError(path, f"session.json lacks the field {key!r}")
    shape = _shape(meta["shape"], path, "shape")
    masks = meta["masks"]
    if not isinstance(masks, list) or len(masks) > shape[0]:
        raise LoadError(path, "session field masks must list slice numbers")
    seen = {_int(z, path, "masks", 0, shape[0] - 1) for z in masks}
    if len(seen) != len(masks):
        raise LoadError(path, "session field masks lists a slice twice")
    _int(meta["slice_index"], path, "slice_index", 0, shape[0] - 1)
    window = meta["window"]
    if not isinstance(window, dict):
        raise LoadError(path, "session field window must be an object")
    _number(window.get("center_hu"), path, "window.center_hu", -1e5, 1e5)
    _number(window.get("width_hu"), path, "window.width_hu", 1.0, 1e5)
    if not isinstance(meta["filler_name"], str):
        raise LoadError(path, "session field filler_name must be text")
    for key in ("model_path", "session_path", "case_name"):
        _optional_str(meta.get(key), path, key)
    if "fill_seed" in meta:
        _int(meta["fill_seed"], path, "fill_seed", 0, 2**63 - 1)
    if "brush_radius_px" in meta:
        _int(meta["brush_radius_px"], path, "brush_radius_px", 0, 4096)
    _source(meta.get("source"), path)
    _stamp(meta.get("stamp"), path)
    return shape


def read_mask_member(
    archive: zipfile.ZipFile, name: str, path: Path, shape_yx: tuple[int, int] | None
) -> np.ndarray:
    """Read a boolean 2-D ``.npy`` member after checking its header.

    Args:
        archive: the open session zip.
        name: the member.
        path: the session file (named in errors).
        shape_yx: the required shape, or ``None`` for a stamp source (at most
            :data:`MAX_STAMP_PX` per side).
    """
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise LoadError(path, f"session lacks {name}") from None
    with archive.open(info) as handle:
        version = np.lib.format.read_magic(handle)
        if version not in ((1, 0), (2, 0)):
            raise LoadError(path, f"{name}: unsupported .npy version {version}")
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(handle)
        if np.dtype(dtype) != np.bool_ or len(shape) != 2:
            raise LoadError(path, f"{name}: expected a 2-D boolean mask, got {shape} {dtype}")
        if shape_yx is not None and tuple(shape) != tuple(shape_yx):
            raise LoadError(path, f"{name}: mask of {tuple(shape)} px, the case has {shape_yx}")
        if shape_yx is None and (max(shape) > MAX_STAMP_PX or min(shape) < 1):
            raise VolumeLimitError(path, f"{name}: stamp of {tuple(shape)} px is not a lesion")
        count = int(shape[0]) * int(shape[1])
        data = handle.read(count + 1)
    if len(data) != count:
        raise LoadError(path, f"{name}: {len(data)} bytes of mask, {count} expected")
    flat = np.frombuffer(data, dtype=np.uint8)
    if np.any(flat > 1):
        raise LoadError(path, f"{name}: mask values other than 0 and 1")
    mask = flat.astype(np.bool_).reshape(shape, order="F" if fortran else "C")
    return np.ascontiguousarray(mask)
