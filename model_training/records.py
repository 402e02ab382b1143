"""One tumour (or healthy-liver) slice of a prepared dataset: arrays, where it came from, and its split.

A prepared dataset is a folder of ``slices/<case>_z<k>.npz`` files plus ``manifest.json``
(:mod:`model_training.prepare`). Each npz holds

* ``hu``: int16 HU, the slice cropped to the liver (and lesion) bounding box plus a margin,
  or the whole slice for held-out splits (so evaluation sees the full slice, as in the paper);
* ``lesion``: uint8/uint16 3-D tumour component ids (0 = no tumour) on the same grid;
* ``liver``: uint8 0/1, the liver including its tumours (LiTS labels >= 1);
* ``offset_yx``: int64 (2,), the crop's top-left corner in the full slice (px).

Component ids are the 3-D connected components (26-connectivity) of the case's tumour label,
so a slice knows which lesions it shows and a split can hold out whole lesions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.atomic import atomic_write
from liversynth.errors import LoadError
from liversynth.typing import SpacingZYX
from liversynth.volume import LIVER, TUMOUR, Case


@dataclass
class SliceRecord:
    """A tumour slice and its bookkeeping (arrays may be None when only the manifest is read).

    Attributes:
        case: case name (unique within the dataset).
        patient: patient id (the split unit when there are enough patients).
        z: slice index in the source volume.
        spacing_mm: source voxel spacing (z, y, x) in mm.
        full_shape: (H, W) of the whole slice.
        offset_yx: top-left corner of the stored arrays in the whole slice (px).
        components: 3-D tumour component ids present in this slice.
        eval_components: the components this slice is evaluated on (its split's components).
        split: ``train``, ``val`` or ``test`` ("" before splitting).
        file: npz path relative to the dataset folder ("" before saving).
        lesion_px, liver_px: pixel counts on the slice (all components / liver incl. tumour).
        kind: ``tumour`` (real tumours) or ``healthy`` (whitened regions of tumour-free liver,
            :mod:`model_training.healthy`; the components are those regions).
        hu, lesion, liver: the arrays (see the module docstring).
    """

    case: str
    patient: str
    z: int
    spacing_mm: SpacingZYX
    full_shape: tuple[int, int]
    offset_yx: tuple[int, int] = (0, 0)
    components: list[int] = field(default_factory=list)
    eval_components: list[int] = field(default_factory=list)
    split: str = ""
    file: str = ""
    lesion_px: int = 0
    liver_px: int = 0
    kind: str = "tumour"
    hu: np.ndarray | None = field(default=None, repr=False)
    lesion: np.ndarray | None = field(default=None, repr=False)
    liver: np.ndarray | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ masks
    def lesion_mask(self, components: list[int] | None = None) -> np.ndarray:
        """Boolean lesion mask of the given components (default: all of this slice's)."""
        assert self.lesion is not None, "arrays not loaded"
        ids = self.components if components is None else components
        return np.isin(self.lesion, np.asarray(ids, dtype=self.lesion.dtype))

    def eval_mask(self) -> np.ndarray:
        """Boolean mask of the lesions this slice is evaluated on."""
        return self.lesion_mask(self.eval_components)

    # ------------------------------------------------------------------ (de)serialisation
    def meta(self) -> dict[str, Any]:
        """The JSON-able bookkeeping (everything but the arrays)."""
        out = asdict(self)
        for key in ("hu", "lesion", "liver"):
            out.pop(key)
        out["shape"] = list(self.hu.shape) if self.hu is not None else None
        out["eval_lesion_px"] = int(self.eval_mask().sum()) if self.lesion is not None else None
        return out

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> SliceRecord:
        """Rebuild the bookkeeping part from :meth:`meta` (arrays not loaded)."""
        keys = {f for f in cls.__dataclass_fields__ if f not in ("hu", "lesion", "liver")}
        data = {k: v for k, v in meta.items() if k in keys}
        data["spacing_mm"] = tuple(data["spacing_mm"])
        data["full_shape"] = tuple(data["full_shape"])
        data["offset_yx"] = tuple(data["offset_yx"])
        return cls(**data)

    def save(self, root: Path) -> None:
        """Write the arrays to ``root / self.file`` (compressed npz)."""
        assert self.hu is not None and self.lesion is not None and self.liver is not None
        path = root / self.file
        arrays = {
            "hu": self.hu,
            "lesion": self.lesion,
            "liver": self.liver,
            "offset_yx": np.asarray(self.offset_yx, dtype=np.int64),
        }
        atomic_write(path, lambda tmp: np.savez_compressed(tmp, **arrays), suffix=".npz")

    def load_arrays(self, root: Path) -> SliceRecord:
        """Read the arrays from ``root / self.file`` into this record (returns self)."""
        path = root / self.file
        try:
            with np.load(path, allow_pickle=False) as data:
                self.hu = data["hu"]
                self.lesion = data["lesion"]
                self.liver = data["liver"]
        except (OSError, KeyError, ValueError) as err:
            raise LoadError(path, f"not a readable prepared slice ({err})") from None
        if self.hu.shape != self.lesion.shape or self.hu.shape != self.liver.shape:
            raise LoadError(path, "hu, lesion and liver arrays differ in shape")
        return self


def tumour_components(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """3-D connected components (26-connectivity) of the tumour label.

    Returns:
        (component ids, uint8 when there are < 256 components else uint16; number of components)
    """
    structure = ndimage.generate_binary_structure(3, 3)
    comp, n = ndimage.label(labels == TUMOUR, structure=structure)
    dtype = np.uint8 if n < 256 else np.uint16
    return comp.astype(dtype), int(n)


def stored_slice_hu(case: Case, z: int) -> np.ndarray:
    """Slice ``z`` of ``case`` as stored in a prepared dataset: int16 HU (a copy, clipped)."""
    hu = np.asarray(case.volume.hu[z])
    return np.clip(hu, -32768, 32767).astype(np.int16) if hu.dtype != np.int16 else hu.copy()


def extract_case(case: Case) -> list[SliceRecord]:
    """Every slice of ``case`` that shows tumour, as whole-slice records (not split, not saved).

    Raises:
        ValueError: the case has no labels.
    """
    if case.labels is None:
        raise ValueError(f"case {case.name} has no labels (tumour slices cannot be found)")
    comp, _ = tumour_components(case.labels)
    patient = case.patient_id or case.name
    sz, sy, sx = (float(s) for s in case.volume.spacing_mm)
    records = []
    for z in np.flatnonzero((comp > 0).any(axis=(1, 2))):
        lesion = comp[z]
        liver = (case.labels[z] >= LIVER).astype(np.uint8)
        hu = stored_slice_hu(case, int(z))
        ids = sorted(int(i) for i in np.unique(lesion) if i)
        records.append(
            SliceRecord(
                case=case.name,
                patient=str(patient),
                z=int(z),
                spacing_mm=(sz, sy, sx),
                full_shape=(int(hu.shape[0]), int(hu.shape[1])),
                components=ids,
                eval_components=list(ids),
                lesion_px=int((lesion > 0).sum()),
                liver_px=int(liver.sum()),
                hu=hu,
                lesion=lesion.copy(),
                liver=liver,
            )
        )
    return records


def crop_to_liver(record: SliceRecord, margin_px: int) -> SliceRecord:
    """Crop the arrays to the bounding box of liver ∪ lesion plus ``margin_px`` (in place).

    A negative margin keeps the whole slice.
    """
    assert record.hu is not None and record.lesion is not None and record.liver is not None
    if margin_px < 0:
        return record
    fg = (record.liver > 0) | (record.lesion > 0)
    ys, xs = np.nonzero(fg)
    h, w = record.hu.shape
    y0, y1 = max(0, int(ys.min()) - margin_px), min(h, int(ys.max()) + 1 + margin_px)
    x0, x1 = max(0, int(xs.min()) - margin_px), min(w, int(xs.max()) + 1 + margin_px)
    record.hu = record.hu[y0:y1, x0:x1].copy()
    record.lesion = record.lesion[y0:y1, x0:x1].copy()
    record.liver = record.liver[y0:y1, x0:x1].copy()
    oy, ox = record.offset_yx
    record.offset_yx = (oy + y0, ox + x0)
    return record


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, crash-safe (:func:`liversynth.atomic.atomic_write`)."""
    atomic_write(path, (json.dumps(data, indent=2, sort_keys=False) + "\n").encode("utf-8"))
