"""Geometric lesion augmentations that are recorded and can be replayed exactly.

:func:`random_transform` draws a chain of operations and returns the new mask with its
record, a JSON-able dict ``{"spacing_mm": [...], "ops": [{"op": ..., ...}, ...]}``;
:func:`apply_transform` replays a record on the original mask and gives the very same array
(all randomness, including the elastic field, is regenerated from a seed in the record).

Operations (geometry is done in mm about the lesion's centre, so anisotropic voxels are
handled):

- ``resample``: ``from_spacing_mm`` -> ``to_spacing_mm`` (a bank lesion moved to a new scan);
- ``flip``: ``axes`` among 0 (z), 1 (y), 2 (x);
- ``rotate``: ``angle_deg`` in the axial (y, x) plane;
- ``scale``: ``factors`` ``(z, y, x)`` (isotropic when all equal);
- ``elastic``: smooth random displacement, ``alpha_mm`` amplitude, ``sigma_mm`` smoothness, ``seed``.

The whole chain is composed into ONE sampling of the original mask (one affine map plus the
elastic field), so a small or thin lesion is not eroded a little more by every step. The
result is thresholded at one half, reduced to its largest component with holes filled, and
cropped; the HU patch of a real lesion can follow the same map (:func:`apply_transform_with_hu`).
"""

from __future__ import annotations

from typing import Any, SupportsFloat, cast

import numpy as np
from scipy import ndimage

from liversynth.lesions.masks import clean_mask_box
from liversynth.typing import SpacingZYX

# Interpolate masks as floats and threshold at one half: smoother than nearest-neighbour.
_LEVEL = 0.5


def _linear_map(ops: list[dict[str, Any]]) -> np.ndarray:
    """The 3x3 matrix (mm -> mm, z/y/x) of the flips, rotations and scales, in order."""
    total = np.eye(3)
    for op in ops:
        kind = op["op"]
        if kind == "flip":
            step = np.diag([-1.0 if a in op["axes"] else 1.0 for a in range(3)])
        elif kind == "rotate":
            a = np.deg2rad(float(op["angle_deg"]))
            step = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
        elif kind == "scale":
            step = np.diag(np.asarray(op["factors"], float))
        elif kind in ("resample", "elastic"):
            continue
        else:
            raise ValueError(f"unknown lesion transform {kind!r}")
        total = step @ total
    return total


def _output_spacing(ops: list[dict[str, Any]], spacing: np.ndarray) -> np.ndarray:
    for op in ops:
        if op["op"] == "resample":
            spacing = np.asarray(op["to_spacing_mm"], float)
    return spacing


def _sample(arrays: list[np.ndarray], params: dict[str, Any]) -> list[np.ndarray]:
    """Resample every array (mask first, HU next) through the composed map."""
    ops = params["ops"]
    s_in = np.asarray(params["spacing_mm"], float)
    s_out = _output_spacing(ops, s_in)
    lin = _linear_map(ops)
    elastic = [op for op in ops if op["op"] == "elastic"]
    alpha = sum(float(op["alpha_mm"]) for op in elastic)
    shape_in = np.asarray(arrays[0].shape)
    c_in = (shape_in - 1) / 2.0
    corners = np.array(np.meshgrid(*[[-0.5, n - 0.5] for n in shape_in], indexing="ij")).reshape(
        3, -1
    )
    moved = lin @ ((corners - c_in[:, None]) * s_in[:, None])  # mm
    half_mm = np.abs(moved).max(axis=1) + 3.0 * alpha
    half = np.ceil(half_mm / s_out).astype(int) + 1
    out_shape = 2 * half + 1
    grid = np.indices(out_shape, dtype=np.float64).reshape(3, -1)
    p_out = (grid - half[:, None]) * s_out[:, None]
    for op in elastic:
        rng = np.random.default_rng(int(op["seed"]))
        sigma_vox = np.maximum(float(op["sigma_mm"]) / s_out, 0.5)
        for i in range(3):
            field = ndimage.gaussian_filter(rng.standard_normal(tuple(out_shape)), sigma_vox)
            p_out[i] += float(op["alpha_mm"]) * (field / (field.std() + 1e-9)).ravel()
    coords = (np.linalg.inv(lin) @ p_out) / s_in[:, None] + c_in[:, None]
    coords = coords.reshape(3, *out_shape)
    out = [ndimage.map_coordinates(arrays[0], coords, order=1, mode="constant", cval=0.0)]
    out += [ndimage.map_coordinates(a, coords, order=1, mode="nearest") for a in arrays[1:]]
    return out


def _finish(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Threshold the mask channel, keep one solid component, crop every channel to it."""
    binary = arrays[0] >= _LEVEL
    if not binary.any() and arrays[0].max() > 0:
        # A lesion shrunk below one voxel keeps its best-covered voxel instead of vanishing.
        binary = arrays[0] == arrays[0].max()
    mask, box = clean_mask_box(binary)
    return [mask[box]] + [a[box] for a in arrays[1:]]


def apply_transform(lesion_mask: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Replay a record from :func:`random_transform` on the original mask (bit-exact).

    Raises:
        ValueError: an operation of the record is unknown, or the mask is empty.
    """
    return apply_transform_with_hu(lesion_mask, None, params)[0]


def apply_transform_with_hu(
    lesion_mask: np.ndarray, hu_patch: np.ndarray | None, params: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Replay a record on a mask and, through the very same map, on its HU patch.

    The mask comes out exactly as :func:`apply_transform` gives it; the HU patch (same shape
    as the mask on input, linearly interpolated) comes out on the same cropped grid, so a
    real lesion's pixels follow its transformed outline (``copy_paste``).
    """
    mask = np.asarray(lesion_mask, bool)
    if not mask.any():
        raise ValueError("cannot transform an empty lesion mask")
    arrays = [mask.astype(np.float32)]
    if hu_patch is not None:
        if hu_patch.shape != mask.shape:
            raise ValueError(f"HU patch {hu_patch.shape} differs from mask {mask.shape}")
        arrays.append(np.asarray(hu_patch, np.float32))
    if not params["ops"]:
        return mask, (arrays[1] if hu_patch is not None else None)
    sampled = _sample(arrays, params)
    if not sampled[0].any():
        # A lesion of about one voxel fell between the new voxel centres: keep one voxel.
        hu_value = (
            np.full((1, 1, 1), float(arrays[1][mask].mean()), np.float32)
            if hu_patch is not None
            else None
        )
        return np.ones((1, 1, 1), bool), hu_value
    out = _finish(sampled)
    return out[0], (out[1] if hu_patch is not None else None)


def _single(mask: np.ndarray, spacing_mm, op: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    params = {"spacing_mm": [float(s) for s in spacing_mm], "ops": [op]}
    return apply_transform(mask, params), params


def flip(mask: np.ndarray, spacing_mm, axes: list[int]) -> tuple[np.ndarray, dict[str, Any]]:
    """Mirror along ``axes`` (0 z, 1 y, 2 x); returns ``(mask, record)``."""
    return _single(mask, spacing_mm, {"op": "flip", "axes": [int(a) for a in axes]})


def rotate(mask: np.ndarray, spacing_mm, angle_deg: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Rotate by ``angle_deg`` in the axial plane (in mm); returns ``(mask, record)``."""
    return _single(mask, spacing_mm, {"op": "rotate", "angle_deg": float(angle_deg)})


def scale(mask: np.ndarray, spacing_mm, factors) -> tuple[np.ndarray, dict[str, Any]]:
    """Scale by ``factors`` (a number: isotropic, or ``(z, y, x)``); returns ``(mask, record)``."""
    if np.isscalar(factors):
        # np.isscalar's TypeGuard also admits str and complex; a scale factor is a real number.
        f = [float(cast(SupportsFloat, factors))] * 3
    else:
        f = [float(v) for v in factors]
    return _single(mask, spacing_mm, {"op": "scale", "factors": f})


def elastic(
    mask: np.ndarray, spacing_mm, alpha_mm: float, sigma_mm: float, seed: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """Smooth random warp (amplitude ``alpha_mm``, smoothness ``sigma_mm``, ``seed``)."""
    op = {
        "op": "elastic",
        "alpha_mm": float(alpha_mm),
        "sigma_mm": float(sigma_mm),
        "seed": int(seed),
    }
    return _single(mask, spacing_mm, op)


def random_transform(
    lesion_mask: np.ndarray,
    rng: np.random.Generator,
    spacing_mm: SpacingZYX,
    *,
    target_spacing_mm: SpacingZYX | None = None,
    scale_range: tuple[float, float] = (0.8, 1.25),
    anisotropic_scale: float = 0.1,
    elastic_alpha_mm: tuple[float, float] = (0.0, 1.5),
) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw flip/rotate/scale/elastic (plus a resample to ``target_spacing_mm``) and apply them.

    Args:
        lesion_mask: bool ``(z, y, x)``.
        rng: the only source of randomness.
        spacing_mm: voxel size of ``lesion_mask``.
        target_spacing_mm: voxel size of the scan it will be placed in (default: unchanged).
        scale_range: range of the overall scale factor.
        anisotropic_scale: each axis is further scaled by ``1 ± anisotropic_scale``.
        elastic_alpha_mm: range of the elastic amplitude (0 disables it).

    Returns:
        ``(new_mask, params)`` where ``apply_transform(lesion_mask, params)`` equals ``new_mask``.
    """
    spacing = tuple(float(s) for s in spacing_mm)
    target = tuple(float(s) for s in (target_spacing_mm or spacing))
    ops: list[dict[str, Any]] = []
    if not np.allclose(spacing, target):
        ops.append(
            {"op": "resample", "from_spacing_mm": list(spacing), "to_spacing_mm": list(target)}
        )
    axes = [int(a) for a in (0, 1, 2) if rng.random() < 0.5]
    ops.append({"op": "flip", "axes": axes})
    ops.append({"op": "rotate", "angle_deg": round(float(rng.uniform(-180, 180)), 4)})
    base = float(rng.uniform(*scale_range))
    jitter = rng.uniform(1 - anisotropic_scale, 1 + anisotropic_scale, 3)
    ops.append({"op": "scale", "factors": [round(float(base * j), 5) for j in jitter]})
    # The warp may move the outline by at most a tenth of the lesion's smallest extent, so a
    # small lesion (a few slices thick) is deformed, not torn apart or erased.
    extent_mm = min(n * s for n, s in zip(lesion_mask.shape, spacing, strict=True))
    alpha = min(float(rng.uniform(*elastic_alpha_mm)), 0.1 * extent_mm)
    if alpha > 0:
        ops.append(
            {
                "op": "elastic",
                "alpha_mm": round(alpha, 4),
                "sigma_mm": round(float(rng.uniform(3.0, 6.0)), 4),
                "seed": int(rng.integers(0, 2**31 - 1)),
            }
        )
    params = {"spacing_mm": list(spacing), "ops": ops}
    return apply_transform(lesion_mask, params), params
