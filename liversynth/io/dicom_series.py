"""DICOM series logic from headers only: scan, group, refuse mixtures, sort, geometry.

Pixels are never touched here (``stop_before_pixels``), so scanning a folder is cheap.
Slices are sorted by ImagePositionPatient projected on the slice normal (the cross product
of the ImageOrientationPatient row and column cosines), with InstanceNumber as a fallback.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from liversynth.errors import LoadError
from liversynth.geometry import LPS_TO_RAS
from liversynth.io.boundary import short_reason
from liversynth.io.dicom_guard import check_deflated
from liversynth.io.dicom_source import HEADER_PREFIX_BYTES, DicomSource

_DEFER_BYTES = 64 * 1024
CT_SOP_CLASSES = {"1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.2.1"}


@dataclass
class SliceHeader:
    """What one file says about itself (no pixels, no patient identifiers)."""

    member: str
    series_uid: str
    description: str
    modality: str
    sop_class: str
    rows: int
    cols: int
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    pixel_spacing: tuple[float, float] | None
    instance: int | None
    slope: float
    inter: float
    transfer_syntax: str
    frames: int
    samples: int
    bits_allocated: int
    thickness: float | None
    between: float | None
    identifiers: bool

    @property
    def series_key(self) -> str:
        if self.series_uid:
            return self.series_uid
        return f"(no SeriesInstanceUID) {self.description or '-'} {self.rows}x{self.cols}"


class InvalidElementError(ValueError):
    """An element is present but its value is unusable (NaN, wrong count, not a number)."""


def _present(value: object) -> bool:
    return value is not None and value != "" and value != []


def _floats(ds: pydicom.Dataset, keyword: str, n: int) -> tuple[float, ...] | None:
    """``n`` finite numbers, ``None`` when absent; present but unusable values are refused."""
    value = ds.get(keyword)
    if not _present(value):
        return None
    try:
        items = [float(v) for v in (value if isinstance(value, list | tuple) else list(value))]
    except (TypeError, ValueError):
        items = []
    if len(items) != n or not all(np.isfinite(items)):
        raise InvalidElementError(f"invalid {keyword} {str(value)[:60]!r}")
    return tuple(items)


def _float(ds: pydicom.Dataset, keyword: str, default: float | None) -> float | None:
    """One finite number; ``default`` when absent; present but unusable values are refused."""
    value = ds.get(keyword)
    if not _present(value):
        return default
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = float("nan")
    if not np.isfinite(out):
        raise InvalidElementError(f"invalid {keyword} {str(value)[:60]!r}")
    return out


def _int(value: object, default: int | None) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default


def _optional_float(ds: pydicom.Dataset, keyword: str) -> float | None:
    """Informative values (thickness): unusable ones are ignored rather than refused."""
    try:
        return _float(ds, keyword, None)
    except InvalidElementError:
        return None


def header_from_dataset(ds: pydicom.Dataset, member: str) -> SliceHeader:
    """Extract the fields the loader needs; tolerant of absent or malformed values."""
    meta = getattr(ds, "file_meta", None)
    syntax = str(getattr(meta, "TransferSyntaxUID", "") or "") if meta is not None else ""
    sop = str(
        ds.get("SOPClassUID", "") or (getattr(meta, "MediaStorageSOPClassUID", "") if meta else "")
    )
    pixel_spacing = _floats(ds, "PixelSpacing", 2)
    return SliceHeader(
        member=member,
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        description=str(ds.get("SeriesDescription", "") or ""),
        modality=str(ds.get("Modality", "") or "").upper(),
        sop_class=sop,
        rows=_int(ds.get("Rows"), 0) or 0,
        cols=_int(ds.get("Columns"), 0) or 0,
        position=_floats(ds, "ImagePositionPatient", 3),  # type: ignore[arg-type]
        orientation=_floats(ds, "ImageOrientationPatient", 6),
        pixel_spacing=pixel_spacing,  # type: ignore[arg-type]
        instance=_int(ds.get("InstanceNumber"), None),
        slope=_float(ds, "RescaleSlope", 1.0) or 0.0,
        inter=_float(ds, "RescaleIntercept", 0.0) or 0.0,
        transfer_syntax=syntax,
        frames=_int(ds.get("NumberOfFrames"), 1) or 1,
        samples=_int(ds.get("SamplesPerPixel"), 1) or 1,
        bits_allocated=_int(ds.get("BitsAllocated"), 16) or 16,
        thickness=_optional_float(ds, "SliceThickness"),
        between=_optional_float(ds, "SpacingBetweenSlices"),
        identifiers=bool(
            str(ds.get("PatientName", "") or "") or str(ds.get("PatientID", "") or "")
        ),
    )


def _parse(handle: object, *, pixels: bool, force: bool = False) -> pydicom.Dataset:
    # defer_size: large values are not read while scanning (they are seeked over), so a
    # member claiming a huge element costs nothing until it is actually used.
    return pydicom.dcmread(
        handle,  # type: ignore[arg-type]
        stop_before_pixels=not pixels,
        force=force,
        defer_size=None if pixels else _DEFER_BYTES,
    )


def _read_member(source: DicomSource, member: str, *, pixels: bool, force: bool) -> pydicom.Dataset:
    """Parse a member; a header scan reads only the member's first bytes when it can.

    Inflating a whole archive member, or walking a large file of zeros element by element,
    only to learn that it is not a DICOM header is what makes hostile folders slow.
    """
    if not pixels and source.member_size(member) > HEADER_PREFIX_BYTES:
        with source.open(member, prefix_bytes=HEADER_PREFIX_BYTES) as handle:
            check_deflated(handle)
            try:
                ds = _parse(handle, pixels=False, force=force)
                # Stopped before the end of the prefix: the pixel data tag was reached, the
                # header is complete. A forced parse (no DICM preamble) never reads further:
                # what does not show an image header in its first bytes is not a slice.
                if handle.tell() < HEADER_PREFIX_BYTES or force:
                    return ds
            except InvalidDicomError:
                raise  # no DICM preamble: reading the whole member cannot change that
            except Exception:  # the whole member is parsed below, errors then
                if force:
                    raise
    with source.open(member) as handle:
        check_deflated(handle)
        return _parse(handle, pixels=pixels, force=force)


def read_dataset(source: DicomSource, member: str, *, pixels: bool) -> pydicom.Dataset | None:
    """Parse one member; ``None`` when it is not DICOM at all (folder/zip scans skip it).

    A file that starts like DICOM but cannot be parsed is an error, not a skip.
    """
    source.budget.tick(0)  # the scan's time budget
    try:
        return _read_member(source, member, pixels=pixels, force=False)
    except InvalidDicomError:
        if source.kind == "file":
            raise LoadError(source.path, "not a DICOM file (no DICM marker)") from None
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(
            source.error_path(member),
            f"cannot read DICOM {source.display_name(member)}: {short_reason(exc)}",
        ) from exc
    # No DICM preamble: accept only what parses into an image header when forced.
    try:
        ds = _read_member(source, member, pixels=pixels, force=True)
    except Exception:
        return None
    if "SOPClassUID" in ds and "Rows" in ds and "Columns" in ds:
        return ds
    return None


def scan_headers(
    source: DicomSource, members: list[str] | None = None
) -> tuple[list[SliceHeader], int]:
    """Read every member's header. Returns ``(headers, number_of_non_dicom_files_skipped)``."""
    headers: list[SliceHeader] = []
    skipped = 0
    for member in source.members if members is None else members:
        ds = read_dataset(source, member, pixels=False)
        if ds is None:
            skipped += 1
            continue
        try:
            headers.append(header_from_dataset(ds, member))
        except InvalidElementError as exc:
            raise LoadError(
                source.error_path(member), f"{source.display_name(member)}: {exc}"
            ) from exc
    return headers, skipped


def single_series(
    source: DicomSource, headers: list[SliceHeader], skipped: int
) -> list[SliceHeader]:
    """Return the headers of the one series present; refuse none or several."""
    if not headers:
        what = (
            "folder" if source.kind == "folder" else "archive" if source.kind == "zip" else "file"
        )
        raise LoadError(
            source.path, f"no DICOM files in this {what} ({skipped} other files skipped)"
        )
    groups: dict[str, list[SliceHeader]] = {}
    for header in headers:
        groups.setdefault(header.series_key, []).append(header)
    if len(groups) > 1:
        lines = [
            f"{key} ({group[0].modality or '?'}, '{group[0].description}', {len(group)} files)"
            for key, group in sorted(groups.items(), key=lambda kv: -len(kv[1]))
        ]
        raise LoadError(
            source.path,
            f"{len(groups)} DICOM series found, load one at a time: " + "; ".join(lines),
        )
    return headers


def check_ct(source: DicomSource, series: list[SliceHeader]) -> None:
    """Refuse any modality other than CT (MR, SEG, RTSTRUCT, ...), naming it."""
    first = series[0]
    modality = first.modality
    if modality == "CT" or (not modality and first.sop_class in CT_SOP_CLASSES):
        return
    raise LoadError(
        source.path,
        f"modality {modality or 'unknown'} (SOP class {first.sop_class or '?'}) is not CT; "
        "LiverSynth only loads CT series",
    )


@dataclass
class SeriesGeometry:
    """Sorted slices and the voxel → RAS affine of the stacked ``(i=col, j=row, k=slice)`` grid."""

    ordered: list[SliceHeader]
    affine_ras: np.ndarray
    sorted_by: str
    notes: list[str] = field(default_factory=list)


def _check_consistent(source: DicomSource, series: list[SliceHeader]) -> None:
    first = series[0]
    for header in series:
        if header.frames > 1:
            raise LoadError(
                source.path, f"multi-frame DICOM ({header.frames} frames) is not supported"
            )
        if header.samples != 1:
            raise LoadError(
                source.path, f"colour images ({header.samples} samples per pixel) are not CT"
            )
        if (header.rows, header.cols) != (first.rows, first.cols):
            raise LoadError(
                source.path,
                f"slices differ in size: {first.rows}x{first.cols} vs {header.rows}x{header.cols} "
                f"({source.display_name(header.member)})",
            )
        if (
            header.orientation
            and first.orientation
            and not np.allclose(header.orientation, first.orientation, atol=1e-3)
        ):
            raise LoadError(source.path, "slices have different ImageOrientationPatient")
        if header.pixel_spacing != first.pixel_spacing and not (
            header.pixel_spacing
            and first.pixel_spacing
            and np.allclose(header.pixel_spacing, first.pixel_spacing, rtol=1e-3)
        ):
            raise LoadError(source.path, "slices have different PixelSpacing")


def series_geometry(source: DicomSource, series: list[SliceHeader]) -> SeriesGeometry:
    """Sort the slices and build the grid's affine; refuse inconsistent geometry."""
    _check_consistent(source, series)
    notes: list[str] = []
    first = series[0]
    if first.pixel_spacing is None:
        notes.append("PixelSpacing missing: 1 mm assumed")
        row_mm, col_mm = 1.0, 1.0
    else:
        row_mm, col_mm = first.pixel_spacing
    if row_mm <= 0 or col_mm <= 0:
        raise LoadError(source.path, f"zero or negative PixelSpacing ({row_mm}, {col_mm}) mm")
    orient: tuple[float, ...]
    if first.orientation is None:
        notes.append("ImageOrientationPatient missing: axial assumed")
        orient = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    else:
        orient = first.orientation
    row_cos = np.asarray(orient[:3])
    col_cos = np.asarray(orient[3:])
    normal = np.cross(row_cos, col_cos)
    if np.linalg.norm(normal) < 1e-3:
        raise LoadError(source.path, f"ImageOrientationPatient {orient} is degenerate")
    normal = normal / np.linalg.norm(normal)
    positioned = all(h.position is not None for h in series)
    if positioned:
        dist = {id(h): float(np.dot(h.position, normal)) for h in series}  # type: ignore[arg-type]
        ordered = sorted(series, key=lambda h: dist[id(h)])
        sorted_by = "ImagePositionPatient"
    elif all(h.instance is not None for h in series):
        ordered = sorted(series, key=lambda h: h.instance)  # type: ignore[arg-type, return-value]
        sorted_by = "InstanceNumber"
        notes.append("ImagePositionPatient missing: sorted by InstanceNumber")
    else:
        ordered = list(series)
        sorted_by = "file name"
        notes.append("no position or instance number: sorted by file name")
    n = len(ordered)
    if positioned and n > 1:
        d = np.array([dist[id(h)] for h in ordered])
        steps = np.diff(d)
        if np.any(steps < 1e-3):
            dupes = int(np.sum(steps < 1e-3))
            raise LoadError(
                source.path,
                f"{dupes} slices share a position with another slice (two acquisitions in one series?)",
            )
        median = float(np.median(steps))
        if np.max(np.abs(steps - median)) > 0.1 * median + 0.01:
            raise LoadError(
                source.path,
                f"irregular slice spacing ({steps.min():.3f}..{steps.max():.3f} mm): a slice may be missing",
            )
        step_vec = (np.asarray(ordered[-1].position) - np.asarray(ordered[0].position)) / (n - 1)
    else:
        dz = first.between or first.thickness
        if dz is None or dz <= 0:
            notes.append("slice spacing unknown: 1 mm assumed")
            dz = 1.0
        step_vec = normal * dz
    origin = np.asarray(ordered[0].position) if positioned else np.zeros(3)
    affine_lps = np.eye(4)
    affine_lps[:3, 0] = row_cos * col_mm  # i: along a row, i.e. column index
    affine_lps[:3, 1] = col_cos * row_mm  # j: down a column, i.e. row index
    affine_lps[:3, 2] = step_vec
    affine_lps[:3, 3] = origin
    return SeriesGeometry(ordered, LPS_TO_RAS @ affine_lps, sorted_by, notes)
