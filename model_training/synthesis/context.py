"""What every synthetic item draws from: prepared healthy scans and the lesion bank.

Preparing a healthy scan (liver mask, the region where lesions may go) is the costly part,
so it is done once; for worker processes the prepared context is written to one ``.npz``
file that each worker reads once (no pickle, no re-reading DICOM).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from liversynth.errors import LiverSynthError, PlacementError
from liversynth.fillers.surroundings import auto_vessel_hu
from liversynth.lesions.bank import LesionBank
from liversynth.lesions.placement import AllowedRegion, allowed_region
from liversynth.typing import SpacingZYX
from liversynth.volume import LIVER, TUMOUR, Case


@dataclass
class HealthyScan:
    """A healthy case ready for synthesis.

    Attributes:
        name: case name (manifests).
        source: where it was loaded from.
        hu: int16 ``(z, y, x)``.
        spacing_mm: voxel size.
        labels: uint8 base labels of every output: 1 liver, 2 pre-existing tumours inside the
            liver (none in a healthy case), 0 elsewhere.
        region: where lesions may be placed.
        vessel_hu: the threshold used to avoid large bright vessels (None: not avoided).
        affine_lps: the scan's patient geometry (``Volume.affine_lps``); outputs keep it.
        source_axcodes: the source file's voxel order (NIfTI outputs are written in it).
    """

    name: str
    source: str
    hu: np.ndarray
    spacing_mm: SpacingZYX
    labels: np.ndarray
    region: AllowedRegion
    vessel_hu: float | None
    affine_lps: np.ndarray
    source_axcodes: str | None = None

    @property
    def liver(self) -> np.ndarray:
        return self.labels >= LIVER


def prepare_scan(
    case: Case, *, margin_mm: float, vessel_hu: float | str | None = "auto"
) -> HealthyScan:
    """Liver labels and allowed region of one healthy case.

    Raises:
        LiverSynthError: the case has no liver label.
        PlacementError: no room for any lesion (liver too small for the margin).
    """
    if case.labels is None or not (case.labels == LIVER).any():
        raise LiverSynthError(
            f"{case.name}: a healthy case needs a liver label (1) to place lesions in"
        )
    hu = np.asarray(case.volume.hu)
    hu = hu if hu.dtype == np.int16 else np.clip(np.round(hu), -32768, 32767).astype(np.int16)
    liver = case.labels == LIVER
    # Tumour voxels inside the (filled) liver are real tumours and stay labelled 2; a mass
    # outside the liver (3Dircadb1.7's "tumor" mask) is not a liver tumour: background.
    tumour = (case.labels == TUMOUR) & _filled(liver)
    labels = np.where(liver, np.uint8(LIVER), np.uint8(0)).astype(np.uint8)
    labels[tumour] = TUMOUR
    threshold = auto_vessel_hu(hu, liver) if vessel_hu == "auto" else vessel_hu
    spacing = tuple(float(s) for s in case.volume.spacing_mm)
    region = allowed_region(
        liver | tumour,
        tumour,
        margin_mm=margin_mm,
        spacing_mm=spacing,  # type: ignore[arg-type]
        avoid_hu=None if threshold is None else float(threshold),
        hu_volume=hu,
    )
    return HealthyScan(
        case.name,
        case.volume.source,
        hu,
        spacing,  # type: ignore[arg-type]
        labels,
        region,
        threshold,  # type: ignore[arg-type]
        case.volume.affine_lps,
        case.volume.source_axcodes,
    )


def _filled(liver: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return np.stack([ndimage.binary_fill_holes(s) for s in liver])


@dataclass
class SynthContext:
    """Prepared healthy scans plus the optional lesion bank (and where it is stored).

    ``bank_name`` is what records call the bank: its file name when that file outlives the
    run, else ``None`` (a bank built from cases into a temporary file).
    """

    scans: list[HealthyScan]
    bank: LesionBank | None
    bank_path: str | None
    bank_name: str | None = None

    def save(self, path: Path) -> Path:
        """Store the context for worker processes (one ``.npz``, no pickle)."""
        arrays: dict[str, np.ndarray] = {}
        index: list[dict[str, Any]] = []
        for i, s in enumerate(self.scans):
            arrays[f"hu_{i}"] = s.hu
            arrays[f"labels_{i}"] = s.labels
            arrays[f"allowed_{i}"] = s.region.mask
            arrays[f"depth_{i}"] = s.region.depth_mm
            arrays[f"affine_{i}"] = s.affine_lps
            index.append(
                {
                    "name": s.name,
                    "source": s.source,
                    "spacing_mm": list(s.spacing_mm),
                    "vessel_hu": s.vessel_hu,
                    "region_offset": list(s.region.offset),
                    "margin_mm": s.region.margin_mm,
                    "source_axcodes": s.source_axcodes,
                }
            )
        arrays["index_json"] = np.array(
            json.dumps({"scans": index, "bank_path": self.bank_path, "bank_name": self.bank_name})
        )
        np.savez(path, **arrays)
        return path

    @staticmethod
    def load(path: str | Path) -> SynthContext:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["index_json"][()]))
            scans = []
            for i, e in enumerate(meta["scans"]):
                hu = npz[f"hu_{i}"]
                region = AllowedRegion(
                    mask=npz[f"allowed_{i}"],
                    offset=tuple(e["region_offset"]),
                    shape=tuple(hu.shape),
                    spacing_mm=tuple(e["spacing_mm"]),
                    depth_mm=npz[f"depth_{i}"],
                    margin_mm=e["margin_mm"],
                )
                scans.append(
                    HealthyScan(
                        e["name"],
                        e["source"],
                        hu,
                        tuple(e["spacing_mm"]),
                        npz[f"labels_{i}"],
                        region,
                        e["vessel_hu"],
                        npz[f"affine_{i}"],
                        e["source_axcodes"],
                    )
                )
        bank = LesionBank.load(meta["bank_path"]) if meta["bank_path"] else None
        return SynthContext(scans, bank, meta["bank_path"], meta["bank_name"])


@lru_cache(maxsize=2)
def cached_context(path: str) -> SynthContext:
    """A worker process reads the stored context once, then reuses it for every item."""
    return SynthContext.load(path)


def build_context(
    healthy: list[Case],
    bank: LesionBank | None,
    bank_path: str | None,
    *,
    margin_mm: float,
    vessel_hu: float | str | None,
    bank_name: str | None = None,
) -> SynthContext:
    """Prepare every healthy case (skipping none: a case with no room is an error)."""
    scans = []
    for case in healthy:
        try:
            scans.append(prepare_scan(case, margin_mm=margin_mm, vessel_hu=vessel_hu))
        except PlacementError as err:
            raise PlacementError(f"{case.name}: {err}") from None
    return SynthContext(scans, bank, bank_path, bank_name)
