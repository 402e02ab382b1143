"""Real lesions cut out of labelled cases, and a bank of them stored as one ``.npz`` file.

A :class:`Lesion` is one 3-D connected component of the tumour label (2), kept as a boolean
mask cropped to its bounding box, with the facts batch synthesis needs: where it came from,
its physical size (the voxels may be anisotropic), its HU statistics and, optionally, its HU
patch (for the ``copy_paste`` filler) with the mean HU of the liver around it.

The bank file holds every array under a numbered name plus a JSON index in a 0-d unicode
array, so it loads with ``np.load(allow_pickle=False)``: nothing in it can execute code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.atomic import atomic_write
from liversynth.errors import LoadError
from liversynth.io.boundary import load_boundary
from liversynth.io.safe_files import ZipBounds, check_npz_members, open_zip, parse_json
from liversynth.typing import SpacingZYX
from liversynth.volume import LIVER, TUMOUR, Case

BANK_FORMAT = "liversynth-lesion-bank"
BANK_VERSION = 1
_PERCENTILES = (5, 25, 50, 75, 95)


@dataclass
class Lesion:
    """One real lesion (a 3-D connected component of label 2).

    Attributes:
        source_case: name of the case it was cut from.
        component: 1-based component number in that case (in scan order, stable).
        mask: bool ``(z, y, x)`` cropped to the lesion's bounding box.
        bbox_start: index of ``mask[0, 0, 0]`` in the source volume.
        spacing_mm: voxel size ``(z, y, x)`` of the source volume.
        hu_stats: ``mean``, ``std`` and ``p5``..``p95`` of the lesion's HU.
        liver_mean_hu: mean HU of the liver in a shell around the lesion (NaN if unknown);
            the reference that ``copy_paste`` shifts to the target liver.
        hu_patch: float32 HU over the same box as ``mask`` (``None`` if not kept).
    """

    source_case: str
    component: int
    mask: np.ndarray
    bbox_start: tuple[int, int, int]
    spacing_mm: SpacingZYX
    hu_stats: dict[str, float] = field(default_factory=dict)
    liver_mean_hu: float = float("nan")
    hu_patch: np.ndarray | None = None

    @property
    def lesion_id(self) -> str:
        """``"<case>#<component>"``: the id recorded in manifests."""
        return f"{self.source_case}#{self.component}"

    @property
    def slice_range(self) -> tuple[int, int]:
        """First and one-past-last slice index in the source volume."""
        return self.bbox_start[0], self.bbox_start[0] + self.mask.shape[0]

    @property
    def slice_masks(self) -> list[np.ndarray]:
        """The per-slice 2-D masks (views into :attr:`mask`), inferior to superior."""
        return [self.mask[i] for i in range(self.mask.shape[0])]

    @property
    def volume_mm3(self) -> float:
        return float(self.mask.sum() * np.prod(self.spacing_mm))

    @property
    def equivalent_diameter_mm(self) -> float:
        """Diameter of the sphere with the lesion's volume."""
        return float((6.0 * self.volume_mm3 / np.pi) ** (1.0 / 3.0))

    @property
    def extent_mm(self) -> tuple[float, float, float]:
        """Bounding-box size ``(z, y, x)`` in mm."""
        return tuple(float(n * s) for n, s in zip(self.mask.shape, self.spacing_mm, strict=True))  # type: ignore[return-value]

    def index_entry(self) -> dict[str, Any]:
        """JSON-able description (everything except the arrays)."""
        return {
            "lesion_id": self.lesion_id,
            "source_case": self.source_case,
            "component": self.component,
            "bbox_start": list(self.bbox_start),
            "shape": list(self.mask.shape),
            "spacing_mm": list(self.spacing_mm),
            "slice_range": list(self.slice_range),
            "equivalent_diameter_mm": round(self.equivalent_diameter_mm, 3),
            "extent_mm": [round(e, 3) for e in self.extent_mm],
            "volume_mm3": round(self.volume_mm3, 3),
            "hu_stats": self.hu_stats,
            "liver_mean_hu": None if np.isnan(self.liver_mean_hu) else self.liver_mean_hu,
            "has_hu_patch": self.hu_patch is not None,
        }


def _hu_stats(values: np.ndarray) -> dict[str, float]:
    stats = {"mean": float(values.mean()), "std": float(values.std())}
    for p, v in zip(_PERCENTILES, np.percentile(values, _PERCENTILES), strict=True):
        stats[f"p{p}"] = float(v)
    return {k: round(v, 3) for k, v in stats.items()}


def _shell_liver_mean(
    hu: np.ndarray, labels: np.ndarray, box: tuple[slice, ...], comp: np.ndarray, spacing_mm
) -> float:
    """Mean HU of liver voxels 2..8 mm outside the lesion (the donor's reference level)."""
    lo = [max(0, s.start - 12) for s in box]
    hi = [min(n, s.stop + 12) for s, n in zip(box, labels.shape, strict=True)]
    big = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    inner = np.zeros(labels[big].shape, bool)
    inner[tuple(slice(s.start - a, s.stop - a) for s, a in zip(box, lo, strict=True))] = comp
    dist = ndimage.distance_transform_edt(~inner, sampling=spacing_mm)
    shell = (dist > 2.0) & (dist <= 8.0) & (labels[big] == LIVER)
    return float(hu[big][shell].mean()) if shell.any() else float("nan")


def extract_lesions(
    case: Case, *, min_diameter_mm: float = 3.0, keep_hu: bool = True
) -> list[Lesion]:
    """Cut every tumour (3-D connected component of label 2, 26-connected) out of ``case``.

    Args:
        case: a labelled case (labels 0/1/2).
        min_diameter_mm: components with a smaller equivalent diameter are skipped (label noise).
        keep_hu: also keep the HU patch and the surrounding liver level (for ``copy_paste``).

    Returns:
        The lesions, ordered by component number (scan order).

    Raises:
        LoadError: the case has no labels.
    """
    if case.labels is None:
        raise LoadError(case.volume.source or case.name, "case has no labels to extract lesions")
    spacing = tuple(float(s) for s in case.volume.spacing_mm)
    comps, n = ndimage.label(case.labels == TUMOUR, structure=np.ones((3, 3, 3), bool))
    lesions: list[Lesion] = []
    for idx, box in enumerate(ndimage.find_objects(comps), start=1):
        if box is None:
            continue
        comp = comps[box] == idx
        lesion = Lesion(
            source_case=case.name,
            component=idx,
            mask=comp.copy(),
            bbox_start=tuple(int(s.start) for s in box),  # type: ignore[arg-type]
            spacing_mm=spacing,  # type: ignore[arg-type]
        )
        if lesion.equivalent_diameter_mm < min_diameter_mm:
            continue
        values = np.asarray(case.volume.hu[box], np.float32)
        lesion.hu_stats = _hu_stats(values[comp])
        if keep_hu:
            lesion.hu_patch = values.copy()
            lesion.liver_mean_hu = _shell_liver_mean(
                case.volume.hu, case.labels, box, comp, spacing
            )
        lesions.append(lesion)
    return lesions


class LesionBank:
    """An ordered collection of :class:`Lesion` saved as ONE ``.npz`` file (no pickle)."""

    def __init__(self, lesions: Iterable[Lesion] = ()) -> None:
        self.lesions: list[Lesion] = list(lesions)

    def __len__(self) -> int:
        return len(self.lesions)

    def __getitem__(self, i: int) -> Lesion:
        return self.lesions[i]

    def __iter__(self):
        return iter(self.lesions)

    @classmethod
    def from_cases(
        cls, paths: Sequence[str | Path], *, min_diameter_mm: float = 3.0, keep_hu: bool = True
    ) -> LesionBank:
        """Load each labelled case (any layout :func:`liversynth.io.load_case` reads) and
        extract its lesions."""
        from liversynth.io import load_case

        lesions: list[Lesion] = []
        for path in paths:
            case = load_case(path)
            lesions.extend(extract_lesions(case, min_diameter_mm=min_diameter_mm, keep_hu=keep_hu))
        return cls(lesions)

    @classmethod
    def from_case_objects(cls, cases: Iterable[Case], **kw: Any) -> LesionBank:
        """Same as :meth:`from_cases` for cases already in memory."""
        return cls(les for case in cases for les in extract_lesions(case, **kw))

    def index(self) -> list[dict[str, Any]]:
        """The JSON index (one entry per lesion)."""
        return [les.index_entry() for les in self.lesions]

    def save(self, path: str | Path) -> Path:
        """Write the bank to ``path`` (``.npz``), atomically."""
        path = Path(path)
        arrays: dict[str, np.ndarray] = {}
        for i, les in enumerate(self.lesions):
            arrays[f"mask_{i}"] = les.mask.astype(bool)
            if les.hu_patch is not None:
                arrays[f"hu_{i}"] = les.hu_patch.astype(np.float32)
        header = {"format": BANK_FORMAT, "version": BANK_VERSION, "lesions": self.index()}
        arrays["index_json"] = np.array(json.dumps(header))
        # numpy's stub puts `allow_pickle: bool` beside `**kwds: ArrayLike`, and mypy checks
        # every value of an unpacked dict against both; the keys here are never allow_pickle.
        atomic_write(
            path,
            lambda tmp: np.savez_compressed(tmp, **arrays),  # type: ignore[arg-type]
            suffix=".npz",
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> LesionBank:
        """Read a bank written by :meth:`save`.

        Raises:
            LoadError: not a readable lesion bank (wrong format, version, or missing arrays).
        """
        path = Path(path)
        # Directory checks first (regular file, member count and sizes, bombs), then a
        # boundary: whatever else is wrong inside is the file's fault, named as such.
        with open_zip(path, _BANK_ZIP) as archive:
            check_npz_members(archive, path)
        with load_boundary(path, "cannot read lesion bank"):
            return cls._load_checked(path)

    @classmethod
    def _load_checked(cls, path: Path) -> LesionBank:
        try:
            with np.load(path, allow_pickle=False) as npz:
                index = npz["index_json"]
                if index.dtype.kind != "U" or index.ndim != 0:
                    raise LoadError(path, "lesion bank index is not one JSON text")
                header = parse_json(str(index[()]), path, what="lesion bank index")
                if header.get("format") != BANK_FORMAT:
                    raise LoadError(path, f"not a lesion bank (format {header.get('format')!r})")
                if header.get("version") != BANK_VERSION:
                    raise LoadError(
                        path, f"unsupported lesion bank version {header.get('version')}"
                    )
                lesions = []
                for i, e in enumerate(header["lesions"]):
                    sz, sy, sx = (float(s) for s in e["spacing_mm"])
                    lesions.append(
                        Lesion(
                            source_case=e["source_case"],
                            component=int(e["component"]),
                            mask=npz[f"mask_{i}"].astype(bool),
                            bbox_start=tuple(e["bbox_start"]),
                            spacing_mm=(sz, sy, sx),
                            hu_stats=dict(e["hu_stats"]),
                            liver_mean_hu=float("nan")
                            if e["liver_mean_hu"] is None
                            else float(e["liver_mean_hu"]),
                            hu_patch=npz[f"hu_{i}"] if e["has_hu_patch"] else None,
                        )
                    )
        except LoadError:
            raise
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as err:
            raise LoadError(path, f"cannot read lesion bank: {err}") from err
        return cls(lesions)


#: A bank is a few hundred small crops; anything far beyond is not one.
_BANK_ZIP = ZipBounds(max_members=20_000, max_member_bytes=512 * 2**20, max_total_bytes=4 * 2**30)
