"""DICOM CT loading: a series folder, a ``.zip`` of one, or a single file.

Two passes: headers (``stop_before_pixels``) to group, validate and sort; then pixels,
decoded by a small thread pool straight into the preallocated ``(z, y, x)`` array (JPEG 2000
and other compressed syntaxes decode through pydicom's pylibjpeg / Pillow plugins).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from liversynth.errors import LoadError
from liversynth.geometry import lps_from_ras_xyz
from liversynth.io.boundary import load_boundary, short_reason
from liversynth.io.dicom_guard import check_encoded_size
from liversynth.io.dicom_series import (
    SeriesGeometry,
    SliceHeader,
    check_ct,
    read_dataset,
    scan_headers,
    series_geometry,
    single_series,
)
from liversynth.io.dicom_source import DicomSource
from liversynth.io.limits import Limits, check_volume_size
from liversynth.io.orientation import (
    axcodes_of,
    display_needs_copy,
    spacing_zyx_mm,
    to_display,
)
from liversynth.volume import Volume

_INT16 = np.iinfo(np.int16)
# Converts one decoded slice into the output plane; returns False when it does not fit.
SliceWriter = Callable[[np.ndarray, SliceHeader, np.ndarray], bool]


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def decode_slice(source: DicomSource, header: SliceHeader) -> np.ndarray:
    """Read and decode one member's pixels as a ``(rows, cols)`` array of stored values."""
    where = source.display_name(header.member)
    # Even uncompressed float64 pixels need no more than this: a larger member is refused
    # before it is read (a sparse file claiming a huge element, padding, a bomb).
    most = header.rows * header.cols * 8 + 2**20
    if source.member_size(header.member) > most:
        raise LoadError(
            source.error_path(header.member),
            f"{where} holds {source.member_size(header.member)} bytes, more than a "
            f"{header.rows}x{header.cols} slice can need",
        )
    ds = read_dataset(source, header.member, pixels=True)
    if ds is None:
        raise LoadError(source.error_path(header.member), f"{where} is no longer readable as DICOM")
    if not any(tag in ds for tag in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        raise LoadError(source.error_path(header.member), f"{where} has no pixel data")
    try:
        check_encoded_size(ds, header.rows, header.cols)  # before the decoder allocates
        arr = ds.pixel_array
    except Exception as exc:
        raise LoadError(
            source.error_path(header.member),
            f"cannot decode pixels of {where} (transfer syntax {header.transfer_syntax}): "
            f"{short_reason(exc)}",
        ) from exc
    if arr.shape != (header.rows, header.cols):
        raise LoadError(
            source.error_path(header.member),
            f"{where}: decoded pixels are {arr.shape}, header says {(header.rows, header.cols)}",
        )
    return arr


def hu_writer(raw: np.ndarray, header: SliceHeader, plane: np.ndarray) -> bool:
    """Write ``raw * slope + intercept`` into ``plane``; False when int16 cannot hold it."""
    if plane.dtype == np.int16 and raw.dtype.kind in "iu":
        slope, inter = int(header.slope), int(header.inter)
        lo, hi = (int(raw.min()), int(raw.max())) if raw.size else (0, 0)
        ends = (lo * slope + inter, hi * slope + inter)
        if min(ends) < _INT16.min or max(ends) > _INT16.max:
            return False
        # int16 arithmetic wraps modulo 2**16; since every final value fits int16 (checked
        # above), the wrapped result is exact, with no int32 temporaries.
        np.copyto(plane, raw, casting="unsafe")
        if slope != 1:
            plane *= np.int16(slope)
        if inter != 0:
            plane += np.int16(inter)
        return True
    hu_f = raw.astype(np.float64) * header.slope + header.inter
    if not np.all(np.isfinite(hu_f)):
        raise ValueError("pixel values are NaN or infinite after rescale")
    if plane.dtype == np.int16:
        return False
    with np.errstate(over="ignore"):  # detected and refused just below
        plane[...] = hu_f
    if not np.all(np.isfinite(plane)):  # finite in float64, inf in float32
        raise ValueError("pixel values overflow float32 after rescale")
    return True


def read_series_pixels(
    source: DicomSource,
    ordered: list[SliceHeader],
    dtype: np.dtype | type,
    writer: SliceWriter,
    limits: Limits | None = None,
) -> np.ndarray:
    """Decode the sorted slices into a new ``(z, y, x)`` array of ``dtype``.

    When ``writer`` reports that a slice does not fit an int16 array, the array becomes
    float32 (one copy, rare, checked against ``limits`` first: both arrays are alive then)
    and those slices are written again.
    """
    first = ordered[0]
    out = np.empty((len(ordered), first.rows, first.cols), dtype=dtype)

    def work(k: int) -> bool:
        raw = decode_slice(source, ordered[k])
        try:
            return writer(raw, ordered[k], out[k])
        except ValueError as exc:
            raise LoadError(
                source.error_path(ordered[k].member),
                f"{source.display_name(ordered[k].member)}: {exc}",
            ) from exc

    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        fitted = list(pool.map(work, range(len(ordered))))
    if not all(fitted):
        check_volume_size(source.path, out.shape, out.itemsize + 4, limits)
        out = out.astype(np.float32)
        for k, ok in enumerate(fitted):
            if not ok:
                writer(decode_slice(source, ordered[k]), ordered[k], out[k])
    return out


def _hu_dtype(series: list[SliceHeader]) -> type:
    integral = all(
        float(v).is_integer() and abs(v) < 2**15 for h in series for v in (h.slope, h.inter)
    )
    return np.int16 if integral and all(h.bits_allocated <= 16 for h in series) else np.float32


def scan_series(source: DicomSource, members: list[str] | None = None) -> list[SliceHeader]:
    """Headers of the single series in ``source`` (or the given members)."""
    headers, skipped = scan_headers(source, members)
    return single_series(source, headers, skipped)


def load_dicom(path: str | Path, limits: Limits | None = None) -> Volume:
    """Load a DICOM CT series (folder or zip) or single file as a display-oriented Volume.

    Raises:
        LoadError: no DICOM inside, several series, non-CT modality, inconsistent or
            degenerate geometry, missing or undecodable pixels, NaN/inf values.
        VolumeLimitError: the series exceeds ``limits``.
    """
    path = Path(path)
    with load_boundary(path, "cannot read DICOM"), DicomSource(path, limits) as source:
        series = scan_series(source)
        check_ct(source, series)
        for h in series:
            if h.slope == 0:
                raise LoadError(source.error_path(h.member), "RescaleSlope is 0")
        geometry = series_geometry(source, series)
        dtype = _hu_dtype(series)
        first = geometry.ordered[0]
        # A reorientation that permutes axes makes one more output-sized copy.
        copies = 2 if display_needs_copy(geometry.affine_ras) else 1
        check_volume_size(
            path, (len(series), first.rows, first.cols), np.dtype(dtype).itemsize * copies, limits
        )
        hu = read_series_pixels(source, geometry.ordered, dtype, hu_writer, limits)
        hu, display_affine = to_display(hu, geometry.affine_ras, inplace=True)
        metadata = _metadata(source, geometry)
        return Volume(
            hu,
            spacing_zyx_mm(display_affine),
            str(path),
            metadata,
            affine_lps=lps_from_ras_xyz(display_affine),
        )


def _metadata(source: DicomSource, geometry: SeriesGeometry) -> dict:
    first = geometry.ordered[0]
    return {
        "format": "dicom",
        "dicom_source": source.kind,
        "modality": first.modality or "CT",
        "series_uid": first.series_uid,
        "series_description": first.description,
        "transfer_syntaxes": sorted({h.transfer_syntax for h in geometry.ordered}),
        "n_files": len(geometry.ordered),
        "orientation": axcodes_of(geometry.affine_ras),
        "sorted_by": geometry.sorted_by,
        "notes": list(geometry.notes),
        # A flag only: names and ids themselves never enter metadata.
        "had_patient_identifiers": any(h.identifiers for h in geometry.ordered),
    }
