"""``copy_paste``: a real lesion's pixels moved into the target mask (in the spirit of TumorCP).

The donor is a lesion from a :class:`~liversynth.lesions.bank.LesionBank` (or from a source
case given at construction). Its HU patch is resampled onto the target mask's bounding box,
its lesion values continued outward (nearest lesion voxel) so that the resampled patch is
lesion everywhere the target mask is, and its level shifted so the liver around the donor
matches the liver around the target: ``shift = target liver median - donor liver mean``.
The result is pasted with the shared soft-edge composite.

Donor choice is drawn from ``seed`` unless a donor is named; for a lesion spanning several
slices, :meth:`CopyPasteFiller.fill_slices` resamples the donor's whole 3-D patch once and
pastes it slice by slice, so neighbouring slices stay coherent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.errors import LiverSynthError
from liversynth.fillers.appearance import apply_appearance
from liversynth.fillers.base import Appearance, FillHints
from liversynth.fillers.compositing import (
    fill_one_slice,
    lesion_bbox,
    paste_slices,
)
from liversynth.fillers.surroundings import lesion_crops
from liversynth.lesions.bank import Lesion, LesionBank, extract_lesions
from liversynth.lesions.transforms import apply_transform_with_hu
from liversynth.typing import SpacingZYX
from liversynth.volume import Case


def _continued(patch_hu: np.ndarray, known: np.ndarray, sigma_px: float = 1.5) -> np.ndarray:
    """``patch_hu`` where ``known``; elsewhere the nearest known value, smoothed (no streaks)."""
    if known.all():
        return patch_hu
    idx = ndimage.distance_transform_edt(~known, return_distances=False, return_indices=True)
    nearest = patch_hu[tuple(idx)]
    sigma = [0.0] * (nearest.ndim - 2) + [sigma_px, sigma_px]
    return np.where(known, patch_hu, ndimage.gaussian_filter(nearest, sigma)).astype(np.float32)


def _resample_to(patch: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    zoom = [t / s for t, s in zip(shape, patch.shape, strict=True)]
    out = ndimage.zoom(patch, zoom, order=1, mode="nearest", grid_mode=True)
    # zoom can be off by one voxel from rounding; pad/crop to the exact target shape.
    pads = [(0, max(0, t - o)) for t, o in zip(shape, out.shape, strict=True)]
    out = np.pad(out, pads, mode="edge")
    return out[tuple(slice(0, t) for t in shape)]


class CopyPasteFiller:
    """Moves a real lesion's pixels into the target mask, matched to the target liver.

    Args:
        bank: a :class:`LesionBank`, or the path of a bank file (loaded at first use).
        source_case: a labelled case whose tumours are used when no bank is given.
        band_px: width of the soft blending band outside the mask.

    Raises:
        LiverSynthError: neither a bank nor a source case with tumours (at first fill).
    """

    name = "copy_paste"
    device = "cpu"

    def __init__(
        self,
        bank: LesionBank | str | Path | None = None,
        *,
        source_case: Case | None = None,
        band_px: int = 2,
    ) -> None:
        self._bank_path = None if isinstance(bank, LesionBank) else bank
        self._source_case = source_case
        self._bank: LesionBank | None = bank if isinstance(bank, LesionBank) else None
        self.band_px = int(band_px)

    @property
    def bank(self) -> LesionBank:
        """The donor lesions (with HU patches), built or loaded on first use."""
        if self._bank is None:
            if self._bank_path is not None:
                self._bank = LesionBank.load(self._bank_path)
            elif self._source_case is not None:
                self._bank = LesionBank(extract_lesions(self._source_case, keep_hu=True))
            else:
                raise LiverSynthError(
                    "the copy_paste filler needs real lesions to copy: give a lesion bank "
                    "(--lesions bank.npz or labelled cases) or a source case with tumours"
                )
        donors = [les for les in self._bank if les.hu_patch is not None]
        if not donors:
            raise LiverSynthError(
                "the copy_paste filler found no lesion with HU pixels in its bank "
                "(a bank built with keep_hu=False, or cases without tumours)"
            )
        if len(donors) != len(self._bank):
            self._bank = LesionBank(donors)
        return self._bank

    def choose_donor(self, seed: int | None, target_voxels_mm3: float | None = None) -> int:
        """Index of the donor lesion drawn for ``seed``.

        With the target's volume (mm³) given, the draw is among the two donors closest in
        size: stretching a small donor over a large lesion magnifies its texture unnaturally.
        """
        rng = np.random.default_rng(0 if seed is None else seed)
        if target_voxels_mm3 is None or len(self.bank) < 3:
            return int(rng.integers(len(self.bank)))
        gaps = [abs(np.log(les.volume_mm3 / max(target_voxels_mm3, 1e-6))) for les in self.bank]
        nearest = np.argsort(gaps, kind="stable")[:2]
        return int(nearest[int(rng.integers(2))])

    def describe(self, seed: int | None, donor: int | None = None) -> dict[str, Any]:
        """What is recorded in manifests: the donor (when it is known up front)."""
        if donor is None:
            return {"filler": self.name, "donor": "drawn by size and seed"}
        return {"filler": self.name, "donor_lesion_id": self.bank[donor].lesion_id}

    def _shift(self, donor: Lesion, target_ref_hu: float) -> float:
        source = donor.liver_mean_hu
        if np.isnan(source):
            # No liver around the donor was measured: keep its contrast to a typical liver.
            source = donor.hu_stats.get("mean", target_ref_hu) + 30.0
        return float(target_ref_hu - source)

    def fill(
        self,
        slice_hu: np.ndarray,
        mask: np.ndarray,
        *,
        liver_mask: np.ndarray | None = None,
        seed: int | None = None,
        spacing_mm: tuple[float, float] = (0.8, 0.8),
        donor: int | None = None,
        appearance: Appearance | None = None,
    ) -> np.ndarray:
        """Paste a donor slice (its largest cross-section) into one slice.

        ``appearance`` re-levels / mottles the pasted lesion (:mod:`liversynth.fillers.appearance`).
        """
        out = fill_one_slice(
            self.fill_slices, slice_hu, mask, liver_mask, spacing_mm, seed=seed, donor=donor
        )
        return apply_appearance(
            out, mask, liver_mask, appearance, seed=seed, spacing_mm=tuple(spacing_mm)
        )

    def fill_slices(
        self,
        hu_zyx: np.ndarray,
        mask_zyx: np.ndarray,
        liver_zyx: np.ndarray | None = None,
        *,
        seed: int | None = None,
        spacing_mm: SpacingZYX = (1.0, 0.8, 0.8),
        donor: int | None = None,
        donor_transform: dict[str, Any] | None = None,
        donor_offset_zyx: tuple[int, int, int] | None = None,
    ) -> dict[int, np.ndarray]:
        """Paste a donor lesion into a 3-D mask; returns ``{z: new float32 slice}``.

        Args:
            donor: bank index of the donor (default: drawn from ``seed``).
            donor_transform: when the target mask IS the donor's mask transformed by this
                record (:func:`~liversynth.lesions.transforms.random_transform`), the donor's
                pixels are transformed the same way and put at ``donor_offset_zyx`` (index in
                ``hu_zyx`` of the transformed patch's first voxel), so they follow the outline.
                Otherwise the donor is resampled onto the target's bounding box.
        """
        mask_zyx = np.asarray(mask_zyx, bool)
        zs = np.flatnonzero(mask_zyx.any(axis=(1, 2)))
        if zs.size == 0:
            return {}
        z0, z1 = int(zs[0]), int(zs[-1]) + 1
        if donor is None:
            voxel_mm3 = float(np.prod(spacing_mm))
            if z1 - z0 == 1:
                # One slice: compare as if the lesion were as deep as it is wide.
                side = np.sqrt(mask_zyx[z0].sum() * voxel_mm3 / spacing_mm[0])
                size_mm3 = float(np.pi / 6 * side**3)
            else:
                size_mm3 = float(mask_zyx.sum() * voxel_mm3)
            donor = self.choose_donor(seed, size_mm3)
        les = self.bank[donor]
        union = np.asarray(mask_zyx[z0:z1].any(axis=0))
        bbox = lesion_bbox(union)
        assert bbox is not None  # zs is non-empty, so the union covers at least one pixel
        y0, y1, x0, x1 = bbox
        donor_hu, (oz, oy, ox) = self._donor_patch(
            les, (z0, z1, y0, y1, x0, x1), donor_transform, donor_offset_zyx
        )
        sz, sy, sx = spacing_mm
        spacing = (float(sz), float(sy), float(sx))
        crops = lesion_crops(hu_zyx, mask_zyx, liver_zyx, bbox, (z0, z1), spacing, self.band_px)
        box, masks = crops.box, crops.mask
        shift = self._shift(les, crops.reference.mean_hu)
        # The donor in crop coordinates, continued outward for the blending band.
        full = np.zeros(masks.shape, bool)
        placed = np.zeros(masks.shape, np.float32)
        # Paste the donor patch (donor grid -> crop grid), clipped to the crop.
        src = [
            slice(max(0, -a), min(n, m - a))
            for a, n, m in zip(
                (oz - z0, oy - box.y0, ox - box.x0), donor_hu.shape, masks.shape, strict=True
            )
        ]
        dst = tuple(
            slice(s.start + a, s.stop + a)
            for s, a in zip(src, (oz - z0, oy - box.y0, ox - box.x0), strict=True)
        )
        placed[dst] = donor_hu[tuple(src)] + shift
        full[dst] = True
        if not full.any():
            raise ValueError("donor_offset_zyx puts the donor patch outside the target lesion")
        return crops.composite(hu_zyx, mask_zyx, _continued(placed, full), self.band_px)

    def _donor_patch(
        self,
        les: Lesion,
        target_box: tuple[int, int, int, int, int, int],
        transform: dict[str, Any] | None,
        offset: tuple[int, int, int] | None,
    ) -> tuple[np.ndarray, tuple[int, int, int]]:
        """The donor's HU (lesion values continued outward) and where its first voxel goes."""
        z0, z1, y0, y1, x0, x1 = target_box
        if les.hu_patch is None:
            raise LiverSynthError(f"donor lesion {les.lesion_id} has no HU pixels to copy")
        continued = _continued(les.hu_patch.astype(np.float32), les.mask)
        if transform is not None:
            if offset is None:
                raise ValueError("donor_transform needs donor_offset_zyx")
            _, patch = apply_transform_with_hu(les.mask, continued, transform)
            return patch, tuple(int(v) for v in offset)  # type: ignore[return-value]
        if z1 - z0 == 1:
            # One target slice: use the donor's largest cross-section.
            k = int(np.argmax(les.mask.sum(axis=(1, 2))))
            donor_box = lesion_bbox(les.mask[k])
            if donor_box is None:
                raise LiverSynthError(f"donor lesion {les.lesion_id} has an empty mask")
            y_a, y_b, x_a, x_b = donor_box
            # Crop to that slice's own outline, so the donor fills the target's box.
            continued = continued[k : k + 1, y_a:y_b, x_a:x_b]
        return _resample_to(continued, (z1 - z0, y1 - y0, x1 - x0)), (z0, y0, x0)

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
        """A float32 copy of the volume with a donor lesion pasted slice by slice.

        ``hints`` names the donor, its transform and offset (chosen by ``seed`` otherwise).
        """
        h = hints or FillHints()
        slices = self.fill_slices(
            hu_zyx,
            mask_zyx,
            liver_zyx,
            seed=seed,
            spacing_mm=spacing_mm if spacing_mm is not None else (1.0, 0.8, 0.8),
            donor=h.donor,
            donor_transform=h.donor_transform,
            donor_offset_zyx=h.donor_offset_zyx,
        )
        spacing = tuple(spacing_mm) if spacing_mm is not None else None
        return apply_appearance(
            paste_slices(hu_zyx, slices),
            mask_zyx,
            liver_zyx,
            appearance,
            seed=seed,
            spacing_mm=spacing,
        )
