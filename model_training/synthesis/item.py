"""One synthetic item, a pure function of (context, filler, run seed, item index).

The item's random generator is seeded from ``(run seed, item index)``, so item K comes out
the same whether it is made alone (``--only-item K``), in a full run, or on any worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from liversynth.errors import PlacementError
from liversynth.fillers.appearance import apply_appearance
from liversynth.fillers.base import Appearance
from liversynth.geometry import crop_affine_lps
from liversynth.lesions.placement import Placement, place_in_region
from liversynth.lesions.shapes import MAX_DIAMETER_MM, MIN_DIAMETER_MM, procedural_lesion
from liversynth.lesions.transforms import random_transform
from liversynth.volume import TUMOUR
from model_training.synthesis.context import HealthyScan, SynthContext

_MAX_ATTEMPTS = 8
# Each failed placement shrinks the next lesion: a liver too small for a 60 mm lesion
# still gets a smaller one, and the record says how many attempts it took.
_SHRINK = 0.75


def item_seed(run_seed: int, index: int) -> int:
    """The seed of item ``index`` of a run (recorded in the manifest)."""
    return int(np.random.SeedSequence([int(run_seed), int(index)]).generate_state(1)[0])


@dataclass
class Item:
    """A synthetic result before it is written.

    Attributes:
        hu: int16 volume ``(z, y, x)`` (volume formats) or slice ``(1, y, x)`` (png).
        labels: uint8, same shape: 0 background, 1 liver, 2 tumour (= the placed lesion).
        record: the manifest entry (JSON-able).
        z_range: which slices of the source ``hu``/``labels`` hold (first, one-past-last).
    """

    hu: np.ndarray
    labels: np.ndarray
    record: dict[str, Any]
    scan: HealthyScan
    z_range: tuple[int, int] = (0, 0)
    changed: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def affine_lps(self) -> np.ndarray:
        """Patient geometry of ``hu`` (the source scan's, moved to the first written slice)."""
        return crop_affine_lps(self.scan.affine_lps, (self.z_range[0], 0, 0))


def _draw_lesion(
    ctx: SynthContext, scan: HealthyScan, rng: np.random.Generator, shrink: float
) -> tuple[np.ndarray, dict[str, Any], dict[str, Any]]:
    """``(mask on the scan's grid, lesion record, transform record)``."""
    if ctx.bank is not None and len(ctx.bank):
        i = int(rng.integers(len(ctx.bank)))
        les = ctx.bank[i]
        lo, hi = 0.8 * shrink, 1.25 * shrink
        mask, params = random_transform(
            les.mask, rng, les.spacing_mm, target_spacing_mm=scan.spacing_mm, scale_range=(lo, hi)
        )
        info = {
            "kind": "bank",
            "bank": ctx.bank_name,
            "bank_index": i,
            "lesion_id": les.lesion_id,
            "source_case": les.source_case,
            "component": les.component,
        }
        return mask, info, params
    max_d = max(MIN_DIAMETER_MM, MAX_DIAMETER_MM * shrink)
    mask, shape_params = procedural_lesion(rng, scan.spacing_mm, max_diameter_mm=max_d)
    return (
        mask,
        {"kind": "procedural", "shape": shape_params},
        {"spacing_mm": list(scan.spacing_mm), "ops": []},
    )


def _place(ctx: SynthContext, scan: HealthyScan, rng: np.random.Generator):
    errors = []
    for attempt in range(_MAX_ATTEMPTS):
        mask, info, params = _draw_lesion(ctx, scan, rng, _SHRINK**attempt)
        try:
            return mask, info, params, place_in_region(scan.region, mask, rng), attempt + 1
        except PlacementError as err:
            errors.append(str(err))
    raise PlacementError(
        f"{scan.name}: no lesion could be placed after {_MAX_ATTEMPTS} attempts; last: {errors[-1]}"
    )


def draw_appearance(
    rng: np.random.Generator, ranges: dict[str, tuple[float, float] | None] | None
) -> Appearance:
    """The item's appearance: each requested field drawn uniformly from its ``(lo, hi)`` range.

    Nothing is drawn when no range is given, so runs without ``--contrast-hu`` /
    ``--heterogeneity`` keep their random stream (and their bytes) unchanged.
    """
    ranges = ranges or {}
    values: dict[str, float | None] = {}
    for key in ("contrast_hu", "heterogeneity"):
        r = ranges.get(key)
        values[key] = None if r is None else round(float(rng.uniform(r[0], r[1])), 3)
    return Appearance(**values)


def _fill(
    filler: Any,
    scan: HealthyScan,
    lesion_zyx: np.ndarray,
    z0: int,
    z_list: list[int],
    seed: int,
    lesion_info: dict[str, Any],
    transform: dict[str, Any],
    placement: Placement,
    donor: int | None,
    appearance: Appearance,
) -> dict[int, np.ndarray]:
    """New float32 slices for every ``z`` in ``z_list``.

    ``lesion_zyx`` is the placed lesion over slices ``z0 ..`` (full rows and columns). A lesion
    on several slices is filled with the engine's ``fill_volume`` (3-D coherent for ``gan``).
    """
    lo, hi = min(z_list), max(z_list) + 1
    sub = np.zeros((hi - lo, *lesion_zyx.shape[1:]), bool)
    for z in z_list:
        sub[z - lo] = lesion_zyx[z - z0]
    liver = scan.labels[lo:hi] >= 1
    if not hasattr(filler, "fill_slices"):
        if len(z_list) == 1:
            z = z_list[0]
            kwargs: dict[str, Any] = {"liver_mask": liver[0], "seed": seed}
            if not appearance.is_default:
                kwargs["appearance"] = appearance
            return {z: filler.fill(scan.hu[z].astype(np.float32), sub[0], **kwargs)}
        out = filler.fill_volume(
            scan.hu[lo:hi].astype(np.float32),
            sub,
            liver_zyx=liver,
            seed=seed,
            spacing_mm=tuple(scan.spacing_mm),
            appearance=appearance,
        )
        return {z: out[z - lo] for z in z_list}
    kw: dict[str, Any] = {"seed": seed, "spacing_mm": scan.spacing_mm}
    if donor is not None:
        kw["donor"] = donor
    if filler.name == "copy_paste" and lesion_info["kind"] == "bank":
        # The target outline IS the bank lesion transformed: move its pixels the same way.
        kw["donor_transform"] = transform
        oz, oy, ox = placement.offset
        kw["donor_offset_zyx"] = (oz - lo, oy, ox)
    new = filler.fill_slices(scan.hu[lo:hi], sub, liver, **kw)
    if not appearance.is_default and new:
        stack = np.stack(
            [new.get(lo + k, scan.hu[lo + k].astype(np.float32)) for k in range(hi - lo)]
        )
        stack = apply_appearance(
            stack, sub, liver, appearance, seed=seed, spacing_mm=tuple(scan.spacing_mm)
        )
        return {z: stack[z - lo] for z in new}
    return {lo + k: v for k, v in new.items()}


def make_item(
    ctx: SynthContext,
    filler: Any,
    run_seed: int,
    index: int,
    *,
    volume: bool,
    appearance_ranges: dict[str, tuple[float, float] | None] | None = None,
) -> Item:
    """Draw and fill item ``index``.

    Args:
        ctx: prepared healthy scans and bank.
        filler: any :class:`~liversynth.fillers.base.SliceFiller`.
        run_seed: the run's ``--seed``.
        index: item number.
        volume: whole volume (nifti/nnunet/dicom) or the one slice through the lesion's
            largest cross-section (png).
        appearance_ranges: ``{"contrast_hu": (lo, hi) | None, "heterogeneity": ...}``; each
            item draws its :class:`Appearance` from them (:func:`draw_appearance`).

    Raises:
        PlacementError: no lesion fits the drawn scan.
    """
    seed = item_seed(run_seed, index)
    rng = np.random.default_rng(seed)
    scan = ctx.scans[int(rng.integers(len(ctx.scans)))]
    mask, lesion_info, transform, placement, attempts = _place(ctx, scan, rng)
    filler_seed = int(rng.integers(0, 2**31 - 1))
    z0, z1 = placement.bbox[0], placement.bbox[3]
    # The lesion over its own slices only (a whole-volume mask per item is costly).
    lesion_zyx = np.zeros((z1 - z0, *scan.hu.shape[1:]), bool)
    _, y0, x0 = placement.offset
    lesion_zyx[:, y0 : y0 + mask.shape[1], x0 : x0 + mask.shape[2]] = mask
    areas = mask.sum(axis=(1, 2))
    z_list = list(range(z0, z1)) if volume else [z0 + int(np.argmax(areas))]
    donor = None
    if filler.name == "copy_paste":
        # The donor is the bank lesion itself, or (procedural shape) one of similar volume.
        donor = lesion_info.get("bank_index")
        if donor is None:
            donor = filler.choose_donor(filler_seed, float(mask.sum() * np.prod(scan.spacing_mm)))
    appearance = draw_appearance(rng, appearance_ranges)
    new = _fill(
        filler,
        scan,
        lesion_zyx,
        z0,
        z_list,
        filler_seed,
        lesion_info,
        transform,
        placement,
        donor,
        appearance,
    )
    lo, hi = (0, scan.hu.shape[0]) if volume else (z_list[0], z_list[0] + 1)
    hu = scan.hu[lo:hi].copy()
    labels = scan.labels[lo:hi].copy()
    for z, sl in new.items():
        hu[z - lo] = np.clip(np.round(sl), -1024, 3071).astype(np.int16)
    for z in range(max(lo, z0), min(hi, z1)):
        labels[z - lo][lesion_zyx[z - z0]] = TUMOUR
    record = _record(
        index,
        seed,
        scan,
        lesion_info,
        transform,
        placement,
        attempts,
        filler,
        filler_seed,
        mask,
        z_list,
        volume,
        donor,
    )
    record["appearance"] = appearance.to_dict()
    return Item(hu, labels, record, scan, (lo, hi), new)


def _record(
    index,
    seed,
    scan,
    lesion_info,
    transform,
    placement: Placement,
    attempts,
    filler,
    filler_seed,
    mask,
    z_list,
    volume,
    donor,
) -> dict[str, Any]:
    spacing = np.asarray(scan.spacing_mm)
    voxels = int(mask.sum())
    filler_info: dict[str, Any] = {"filler": filler.name, "seed": filler_seed}
    if filler.name == "copy_paste":
        filler_info.update(filler.describe(filler_seed, donor))
    elif hasattr(filler, "describe"):
        filler_info.update(filler.describe(filler_seed))
    return {
        "index": index,
        "seed": seed,
        "source_case": scan.name,
        "slice": None if volume else z_list[0],
        "slices": [z_list[0], z_list[-1] + 1],
        "lesion": lesion_info,
        "transform": transform,
        "placement": placement.to_json(),
        "placement_attempts": attempts,
        "lesion_voxels": voxels,
        "lesion_equivalent_diameter_mm": round(
            float((6 * voxels * spacing.prod() / np.pi) ** (1 / 3)), 3
        ),
        "filler": filler_info,
        "vessel_hu": scan.vessel_hu,
    }
