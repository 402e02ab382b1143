"""``procedural``: a textured, soft-edged synthetic tumour drawn relative to the liver around it.

In the spirit of SyntheticTumors (Hu et al., CVPR 2023): the lesion's level is the
surrounding liver's median HU plus a contrast (hypodense by default, −60..−20 HU; a hyperdense
option), modulated by a smooth low-frequency heterogeneity (darker necrotic-looking core in
large lesions), a correlated fine texture and, optionally, a brighter or darker rim. The
scanner's own fine grain from the original pixels is kept, so the lesion's noise matches
the scan. The edge is softened by a short ramp inside the mask and the shared blending band
outside it (:mod:`liversynth.fillers.compositing`).

All randomness comes from ``seed``; for a lesion spanning several slices,
:meth:`ProceduralFiller.fill_slices` draws one 3-D texture field for the whole lesion and
samples it slice by slice, so neighbouring slices stay coherent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import ndimage

from liversynth.fillers.appearance import apply_appearance
from liversynth.fillers.base import Appearance, FillHints
from liversynth.fillers.compositing import (
    fill_one_slice,
    lesion_bbox,
    paste_slices,
)
from liversynth.fillers.surroundings import lesion_crops
from liversynth.typing import SpacingZYX

Mode = Literal["hypo", "hyper", "mixed"]


@dataclass(frozen=True)
class TextureParams:
    """Everything that makes one procedural lesion look the way it does (all HU / mm)."""

    delta_hu: float
    texture_std_hu: float
    texture_sigma_mm: float
    blob_std_hu: float
    blob_sigma_mm: float
    core_delta_hu: float
    rim_delta_hu: float
    rim_width_mm: float
    edge_mm: float
    grain: float
    noise_seed: int


def draw_texture_params(
    rng: np.random.Generator, *, mode: Mode = "hypo", rim_probability: float = 0.3
) -> TextureParams:
    """Draw the appearance of one lesion."""
    sign = {"hypo": -1.0, "hyper": 1.0}.get(mode, -1.0 if rng.random() < 0.7 else 1.0)
    rim = rng.random() < rim_probability
    return TextureParams(
        delta_hu=float(sign * rng.uniform(20.0, 60.0)),
        texture_std_hu=float(rng.uniform(4.0, 11.0)),
        texture_sigma_mm=float(rng.uniform(0.5, 1.5)),
        blob_std_hu=float(rng.uniform(4.0, 12.0)),
        blob_sigma_mm=float(rng.uniform(3.0, 7.0)),
        core_delta_hu=float(-rng.uniform(0.0, 25.0))
        if sign < 0
        else float(rng.uniform(-10.0, 10.0)),
        # An enhancing rim is brighter than the lesion (often than the liver too).
        rim_delta_hu=float(-sign * rng.uniform(15.0, 40.0)) if rim else 0.0,
        rim_width_mm=float(rng.uniform(1.0, 3.0)),
        edge_mm=float(rng.uniform(0.5, 1.8)),
        grain=float(rng.uniform(0.7, 1.0)),
        noise_seed=int(rng.integers(0, 2**31 - 1)),
    )


def _field(rng: np.random.Generator, shape: tuple[int, ...], sigma_vox: list[float]) -> np.ndarray:
    """Zero-mean, unit-std Gaussian-correlated noise."""
    f = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma_vox)
    return (f - f.mean()) / (f.std() + 1e-6)


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def lesion_pixels(
    crops_hu: np.ndarray,
    masks: np.ndarray,
    spacing_mm: SpacingZYX,
    params: TextureParams,
    liver_mean_hu: float,
) -> np.ndarray:
    """New HU for a stack of crops ``(nz, S, S)`` (a single slice is ``nz = 1``).

    Inside the masks: the lesion; outside: the lesion's edge values continued, for the
    blending band (the composite decides how much of it is used).
    """
    spacing = np.asarray(spacing_mm, float)
    rng = np.random.default_rng(params.noise_seed)
    # For one slice there is no z neighbour: a zero z-sigma keeps the field 2-D.
    zs = 0.0 if masks.shape[0] == 1 else 1.0
    tex = _field(
        rng,
        masks.shape,
        [zs * params.texture_sigma_mm / spacing[0], *(params.texture_sigma_mm / spacing[1:])],
    )
    blob = _field(
        rng,
        masks.shape,
        [zs * params.blob_sigma_mm / spacing[0], *(params.blob_sigma_mm / spacing[1:])],
    )
    sampling = spacing if masks.shape[0] > 1 else (1e6, *spacing[1:])
    depth = ndimage.distance_transform_edt(
        np.pad(masks, ((1, 1), (0, 0), (0, 0))), sampling=sampling
    )[1:-1]
    depth = np.maximum(depth - 0.5 * spacing[1], 0.0)  # depth of the boundary pixel ~ 0
    max_depth = float(depth.max()) if depth.max() > 0 else 1.0
    level = (
        liver_mean_hu + params.delta_hu + params.blob_std_hu * blob + params.texture_std_hu * tex
    )
    # A larger lesion gets a core that differs from its periphery (necrosis / heterogeneity).
    level += (
        params.core_delta_hu
        * _smoothstep(depth / (0.6 * max_depth + 1e-6))
        * min(1.0, max_depth / 8.0)
    )
    if params.rim_delta_hu:
        level += params.rim_delta_hu * np.exp(-((depth / params.rim_width_mm) ** 2))
    # Keep the scanner's grain: replace the original's local level, not its fine noise.
    sig = [0.0, 1.5, 1.5]
    low = ndimage.gaussian_filter(crops_hu, sig)
    grain = np.clip(crops_hu - low, -40.0, 40.0)
    lesion = level + params.grain * grain
    # Short ramp inside the mask: the lesion's contrast builds up over edge_mm.
    ramp = 0.55 + 0.45 * _smoothstep(depth / params.edge_mm)
    ramp = np.where(masks, ramp, 0.55)
    return (low + grain + ramp * (lesion - low - grain)).astype(np.float32)


class ProceduralFiller:
    """Synthetic tumour texture drawn relative to the surrounding liver.

    Args:
        mode: ``"hypo"`` (darker than liver, the default), ``"hyper"`` or ``"mixed"``.
        rim_probability: chance of an enhancing/darker rim.
        spacing_mm: default in-plane pixel size ``(y, x)`` when ``fill`` is not told it.
        band_px: width of the soft blending band outside the mask.
    """

    name = "procedural"
    device = "cpu"

    def __init__(
        self,
        *,
        mode: Mode = "hypo",
        rim_probability: float = 0.3,
        spacing_mm: tuple[float, float] = (0.8, 0.8),
        band_px: int = 2,
    ) -> None:
        if mode not in ("hypo", "hyper", "mixed"):
            raise ValueError(f"mode must be hypo, hyper or mixed, got {mode!r}")
        self.mode: Mode = mode
        self.rim_probability = float(rim_probability)
        sy, sx = spacing_mm
        self.spacing_mm = (float(sy), float(sx))
        self.band_px = int(band_px)

    def params(self, seed: int | None) -> TextureParams:
        """The appearance drawn for ``seed`` (recorded in manifests)."""
        rng = np.random.default_rng(0 if seed is None else seed)
        return draw_texture_params(rng, mode=self.mode, rim_probability=self.rim_probability)

    def describe(self, seed: int | None) -> dict[str, Any]:
        return {"filler": self.name, "mode": self.mode, **asdict(self.params(seed))}

    def fill(
        self,
        slice_hu: np.ndarray,
        mask: np.ndarray,
        *,
        liver_mask: np.ndarray | None = None,
        seed: int | None = None,
        spacing_mm: tuple[float, float] | None = None,
        appearance: Appearance | None = None,
    ) -> np.ndarray:
        """Paint one lesion into one slice (see :class:`~liversynth.fillers.base.SliceFiller`).

        ``appearance`` is applied to the painted lesion (:mod:`liversynth.fillers.appearance`).
        """
        yx = spacing_mm or self.spacing_mm
        out = fill_one_slice(self.fill_slices, slice_hu, mask, liver_mask, yx, seed=seed)
        return apply_appearance(out, mask, liver_mask, appearance, seed=seed, spacing_mm=yx)

    def fill_slices(
        self,
        hu_zyx: np.ndarray,
        mask_zyx: np.ndarray,
        liver_zyx: np.ndarray | None = None,
        *,
        seed: int | None = None,
        spacing_mm: SpacingZYX = (1.0, 0.8, 0.8),
    ) -> dict[int, np.ndarray]:
        """Fill a 3-D lesion; returns ``{z: new float32 slice}`` for every slice it touches."""
        mask_zyx = np.asarray(mask_zyx, bool)
        zs = np.flatnonzero(mask_zyx.any(axis=(1, 2)))
        if zs.size == 0:
            return {}
        z0, z1 = int(zs[0]), int(zs[-1]) + 1
        params = self.params(seed)
        sz, sy, sx = spacing_mm
        spacing = (float(sz), float(sy), float(sx))
        union = np.asarray(mask_zyx[z0:z1].any(axis=0))
        bbox = lesion_bbox(union)
        assert bbox is not None  # zs is non-empty, so the union covers at least one pixel
        crops = lesion_crops(hu_zyx, mask_zyx, liver_zyx, bbox, (z0, z1), spacing, self.band_px)
        new = lesion_pixels(crops.hu, crops.mask, spacing, params, crops.reference.mean_hu)
        return crops.composite(hu_zyx, mask_zyx, new, self.band_px)

    def fill_volume(
        self,
        hu_zyx: np.ndarray,
        mask_zyx: np.ndarray,
        *,
        liver_zyx: np.ndarray | None = None,
        seed: int | None = None,
        spacing_mm: SpacingZYX | None = None,
        appearance: Appearance | None = None,
        hints: FillHints | None = None,
    ) -> np.ndarray:
        """A float32 copy of the volume with the 3-D lesion painted (one 3-D texture field)."""
        del hints
        spacing = spacing_mm if spacing_mm is not None else (1.0, 0.8, 0.8)
        out = paste_slices(
            hu_zyx, self.fill_slices(hu_zyx, mask_zyx, liver_zyx, seed=seed, spacing_mm=spacing)
        )
        return apply_appearance(
            out, mask_zyx, liver_zyx, appearance, seed=seed, spacing_mm=tuple(spacing)
        )
