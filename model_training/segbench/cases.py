"""Cases → liver-centred 2-D crops on a common in-plane grid.

Every slice is resampled to the preset's pixel size and cropped to a square centred on the
case's liver (one centre per case, so a case's crops stack into a 3-D volume on which lesions
are 3-D components). Crops are stored with ``jitter_px`` extra pixels on each side so that
training can shift them (augmentation) and evaluation reads the centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage
from skimage.transform import resize

from liversynth.volume import LIVER, TUMOUR, Case

#: HU window mapped to [0, 1] (liver and its lesions sit inside it).
WINDOW_HU = (-150.0, 250.0)
_AIR_HU = -1024.0


@dataclass
class CaseData:
    """One loaded case reduced to what the benchmark needs.

    Attributes:
        name: case name (``3Dircadb1.1``, ``lits-3``).
        patient_id: the key of patient-level splits.
        source: where it was read from.
        hu: ``(z, y, x)`` HU.
        liver: bool ``(z, y, x)``: label 1 (and tumours touching it).
        lesions: int32 ``(z, y, x)``: 3-D tumour components numbered as
            :func:`liversynth.lesions.bank.extract_lesions` numbers them (26-connected, scan
            order), 0 elsewhere; components that do not touch the liver are dropped.
        spacing_mm: ``(z, y, x)``.
    """

    name: str
    patient_id: str
    source: str
    hu: np.ndarray
    liver: np.ndarray
    lesions: np.ndarray
    spacing_mm: tuple[float, float, float]

    @property
    def lesion_ids(self) -> list[int]:
        return [int(v) for v in np.unique(self.lesions) if v > 0]

    def lesion_key(self, component: int) -> str:
        """``"<case>#<component>"``, the id the lesion bank uses."""
        return f"{self.name}#{component}"


def from_case(case: Case) -> CaseData:
    """Reduce a labelled :class:`Case`; a tumour label outside the liver is not a liver tumour.

    Raises:
        ValueError: the case has no labels or no liver label.
    """
    if case.labels is None or not (case.labels == LIVER).any():
        raise ValueError(f"{case.name}: segbench needs labels with a liver (1)")
    liver = case.labels == LIVER
    comps, _ = ndimage.label(case.labels == TUMOUR, structure=np.ones((3, 3, 3), bool))
    near_liver = ndimage.binary_dilation(liver, iterations=1)
    keep = np.unique(comps[near_liver & (comps > 0)])
    comps[~np.isin(comps, keep)] = 0
    return CaseData(
        case.name,
        case.patient_id or case.name,
        str(case.volume.source),
        np.asarray(case.volume.hu),
        liver | (comps > 0),
        comps.astype(np.int32),
        tuple(float(s) for s in case.volume.spacing_mm),  # type: ignore[arg-type]
    )


def discover(specs: list[str]) -> list[Any]:
    """Cases named on the command line, through the case discovery ``prepare`` uses."""
    from model_training.prepare import discover as prepare_discover

    return prepare_discover([Path(s) for s in specs])


def load(specs: list[str]) -> list[CaseData]:
    """Load every case under ``specs`` (LiTS / MSD / 3D-IRCADb folders, NIfTI pairs...)."""
    from model_training.prepare import load_item

    return [from_case(load_item(item)) for item in discover(specs)]


@dataclass
class SlicePool:
    """Crops ready for training or evaluation (all arrays ``(n, S, S)``, S = crop + 2 jitter).

    Attributes:
        name: the pool's name (manifest).
        image: float32 in [0, 1] (the HU window).
        tumour: bool.
        liver: bool.
        ignore: bool, voxels left out of evaluation (lesions that were trained on).
        lesions: int32 component ids (evaluation only; 0 elsewhere).
        z: source slice index of each crop.
        spacing_mm: ``(z, pixel, pixel)`` of the stacked crops.
        sources: one line per crop (case and slice) for the manifest.
    """

    name: str
    image: np.ndarray
    tumour: np.ndarray
    liver: np.ndarray
    ignore: np.ndarray
    lesions: np.ndarray
    z: np.ndarray
    spacing_mm: tuple[float, float, float]
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.image.shape[0])


def liver_centre_yx(liver_zyx: np.ndarray) -> tuple[float, float]:
    """Centre of the liver's in-plane bounding box (pixels)."""
    ys, xs = np.nonzero(liver_zyx.any(axis=0))
    return (ys.min() + ys.max()) / 2.0, (xs.min() + xs.max()) / 2.0


def _window(hu: np.ndarray) -> np.ndarray:
    lo, hi = WINDOW_HU
    return ((np.clip(hu, lo, hi) - lo) / (hi - lo)).astype(np.float32)


def crop_slice(
    plane: np.ndarray,
    centre_yx: tuple[float, float],
    spacing_yx_mm: tuple[float, float],
    pixel_mm: float,
    side_px: int,
    *,
    labels: bool,
) -> np.ndarray:
    """A ``side_px`` square around ``centre_yx`` resampled to ``pixel_mm`` (outside = air / 0)."""
    fill = 0 if labels else _AIR_HU
    native = [side_px * pixel_mm / s for s in spacing_yx_mm]
    lo = [round(c - n / 2.0) for c, n in zip(centre_yx, native, strict=True)]
    size = [max(1, round(n)) for n in native]
    box = np.full(size, fill, dtype=np.float32)
    src = [
        slice(max(0, a), min(dim, a + n)) for a, n, dim in zip(lo, size, plane.shape, strict=True)
    ]
    dst = [slice(s.start - a, s.stop - a) for s, a in zip(src, lo, strict=True)]
    if all(s.stop > s.start for s in src):
        box[tuple(dst)] = plane[tuple(src)]
    if labels:
        out = resize(box, (side_px, side_px), order=0, preserve_range=True, anti_aliasing=False)
        return np.rint(out).astype(np.int32)
    return resize(box, (side_px, side_px), order=1, preserve_range=True, anti_aliasing=True)


def stack_pool(
    name: str,
    case: CaseData,
    z_list: list[int],
    *,
    pixel_mm: float,
    side_px: int,
    ignore_components: tuple[int, ...] = (),
) -> SlicePool:
    """Crops of ``case`` at slices ``z_list``; ``ignore_components`` are left out of evaluation."""
    centre = liver_centre_yx(case.liver)
    sp = (case.spacing_mm[1], case.spacing_mm[2])
    images, livers, comps = [], [], []
    for z in z_list:
        images.append(
            _window(
                crop_slice(
                    case.hu[z].astype(np.float32), centre, sp, pixel_mm, side_px, labels=False
                )
            )
        )
        livers.append(
            crop_slice(case.liver[z].astype(np.float32), centre, sp, pixel_mm, side_px, labels=True)
            > 0
        )
        comps.append(
            crop_slice(
                case.lesions[z].astype(np.float32), centre, sp, pixel_mm, side_px, labels=True
            )
        )
    n = len(z_list)
    shape = (n, side_px, side_px)
    lesions = np.stack(comps).astype(np.int32) if n else np.zeros(shape, np.int32)
    ignore = (
        np.isin(lesions, list(ignore_components)) if ignore_components else np.zeros(shape, bool)
    )
    if ignore.any():  # a one-pixel rim: resampling blurs the edge of an ignored lesion
        ignore = ndimage.binary_dilation(ignore, structure=np.ones((1, 3, 3), bool))
    return SlicePool(
        name=name,
        image=np.stack(images).astype(np.float32) if n else np.zeros(shape, np.float32),
        tumour=(lesions > 0) & ~ignore,
        liver=np.stack(livers) if n else np.zeros(shape, bool),
        ignore=ignore,
        lesions=np.where(ignore, 0, lesions),
        z=np.asarray(z_list, dtype=np.int64),
        spacing_mm=(case.spacing_mm[0], pixel_mm, pixel_mm),
        sources=[f"{case.name}:z{z}" for z in z_list],
    )


def concat(name: str, pools: list[SlicePool]) -> SlicePool:
    """One training pool out of several (evaluation keeps cases apart)."""
    pools = [p for p in pools if len(p)]
    if not pools:
        raise ValueError(f"pool {name!r} has no slices")
    return SlicePool(
        name=name,
        image=np.concatenate([p.image for p in pools]),
        tumour=np.concatenate([p.tumour for p in pools]),
        liver=np.concatenate([p.liver for p in pools]),
        ignore=np.concatenate([p.ignore for p in pools]),
        lesions=np.concatenate([p.lesions for p in pools]),
        z=np.concatenate([p.z for p in pools]),
        spacing_mm=pools[0].spacing_mm,
        sources=[s for p in pools for s in p.sources],
    )
