"""Input mutations for fuzzing the loaders (used by the test suite and ``benchmarks/``).

Pure functions ``bytes -> bytes`` (truncation, bit flips, NIfTI-1 header field edits,
DICOM element edits) plus :func:`run_loader`, which classifies the outcome of one load as
``ok``, ``refused`` (a :class:`~liversynth.errors.LoadError`, as required) or ``escape``
(anything else: a bug).
"""

from __future__ import annotations

import gzip
import io
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from liversynth.errors import LoadError

# NIfTI-1 header: field → (byte offset, little-endian dtype, count).
NIFTI1_FIELDS: dict[str, tuple[int, str, int]] = {
    "sizeof_hdr": (0, "<i4", 1),
    "dim": (40, "<i2", 8),
    "datatype": (70, "<i2", 1),
    "bitpix": (72, "<i2", 1),
    "pixdim": (76, "<f4", 8),
    "vox_offset": (108, "<f4", 1),
    "scl_slope": (112, "<f4", 1),
    "scl_inter": (116, "<f4", 1),
    "qform_code": (252, "<i2", 1),
    "sform_code": (254, "<i2", 1),
    "quatern": (256, "<f4", 6),
    "srow": (280, "<f4", 12),
}
# Real and invalid NIfTI datatype codes (RGB, complex, 128-bit floats, nonsense).
NIFTI_DATATYPES = (
    0,
    1,
    2,
    4,
    8,
    16,
    32,
    64,
    128,
    256,
    512,
    768,
    1024,
    1280,
    1536,
    1792,
    2048,
    2304,
    7,
    9999,
    -4,
)
SPECIAL_FLOATS = (0.0, -0.0, -1.0, 1e-30, 1e30, float("nan"), float("inf"), float("-inf"))
ABSURD_INTS = (-32768, -1, 0, 1, 2, 3, 4, 7, 4096, 4097, 5001, 30000, 32767)


def truncate(data: bytes, keep: int) -> bytes:
    """The first ``keep`` bytes (clamped to the data)."""
    return data[: max(0, min(len(data), keep))]


def flip_bytes(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    """XOR the byte at each ``position % len`` with ``mask`` (1..255)."""
    if not data:
        return data
    out = bytearray(data)
    for position, mask in edits:
        out[position % len(out)] ^= mask & 0xFF or 1
    return bytes(out)


def set_nifti_field(data: bytes, field: str, index: int, value: float) -> bytes:
    """Overwrite element ``index`` of a NIfTI-1 header field (uncompressed bytes)."""
    offset, dtype, count = NIFTI1_FIELDS[field]
    size = np.dtype(dtype).itemsize
    start = offset + (index % count) * size
    if len(data) < start + size:
        return data
    kind = np.dtype(dtype).kind
    if kind == "i":
        info = np.iinfo(dtype)
        value = int(np.clip(value if np.isfinite(value) else 0, info.min, info.max))
    raw = np.array(value, dtype=dtype).tobytes()
    return data[:start] + raw + data[start + size :]


def gunzip_if_needed(data: bytes) -> tuple[bytes, bool]:
    """``(uncompressed, was_gzip)``."""
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data), True
    return data, False


def regzip(data: bytes, was_gzip: bool) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0) if was_gzip else data


def set_dicom_element(data: bytes, keyword: str, value: Any) -> bytes:
    """Re-encode a DICOM file with one element (or file-meta element) set to ``value``.

    Returns the input unchanged when pydicom cannot write that combination.
    """
    import pydicom  # local: only fuzzing needs to write DICOM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            target = ds.file_meta if keyword == "TransferSyntaxUID" else ds
            if value is None:
                if keyword in target:
                    delattr(target, keyword)
            else:
                setattr(target, keyword, value)
            out = io.BytesIO()
            ds.save_as(out, enforce_file_format=False)
            return out.getvalue()
        except Exception:
            return data


# Edits a fuzzer may apply to a DICOM slice: keyword → candidate values.
DICOM_EDITS: dict[str, tuple[Any, ...]] = {
    "Rows": (0, 1, 7, 4097, 65535),
    "Columns": (0, 1, 7, 4097, 65535),
    "BitsAllocated": (0, 1, 8, 12, 32, 64),
    "BitsStored": (0, 1, 12, 16, 33),
    "PixelRepresentation": (0, 1, 2),
    "SamplesPerPixel": (0, 3, 4),
    "NumberOfFrames": (0, 2, 1000),
    "RescaleSlope": ("0", "-1", "NaN", "inf", "1e308", "abc"),
    "RescaleIntercept": ("NaN", "-inf", "1e308", "x"),
    "PixelSpacing": (["0", "0"], ["-1", "1"], ["NaN", "1"], ["1"], None),
    "ImagePositionPatient": (["nan", "0", "0"], ["1"], None),
    "ImageOrientationPatient": (["0"] * 6, ["1", "0", "0", "1", "0", "0"], ["nan"] * 6, None),
    "PhotometricInterpretation": ("RGB", "YBR_FULL", "PALETTE COLOR", "MONOCHROME1"),
    "Modality": ("MR", "SEG", "RTSTRUCT", ""),
    "TransferSyntaxUID": (
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.5",
        "1.2.3.4.5",
    ),
    "PixelData": (None, b"", b"\x00" * 10),
}


def apply_plan(seed: bytes, plan: list[tuple]) -> bytes:
    """Apply a list of mutation steps to a seed file's bytes.

    Steps: ``("flip", [(pos, mask), ...])``, ``("truncate", n)``,
    ``("field", name, index, value)`` (NIfTI-1 header), ``("element", keyword, value)``
    (DICOM), and ``("gz", step)`` applied to the re-compressed bytes of a ``.gz`` seed (the
    other steps act on the uncompressed bytes, so header edits reach the parser).
    """
    data, was_gzip = gunzip_if_needed(seed)
    late = []
    for step in plan:
        if step[0] == "gz":
            late.append(step[1])
        elif step[0] == "flip":
            data = flip_bytes(data, step[1])
        elif step[0] == "truncate":
            data = truncate(data, step[1])
        elif step[0] == "field":
            data = set_nifti_field(data, step[1], step[2], step[3])
        elif step[0] == "element":
            data = set_dicom_element(data, step[1], step[2])
    data = regzip(data, was_gzip)
    for step in late:
        data = flip_bytes(data, step[1]) if step[0] == "flip" else truncate(data, step[1])
    return data


def random_step(rng: np.random.Generator, fmt: str, size: int) -> tuple:
    """One random mutation step for a ``"nifti"`` or ``"dicom"`` seed of ``size`` bytes."""
    families = ["flip", "truncate", "edit", "edit"] + (["gz"] if fmt == "nifti" else [])
    family = families[int(rng.integers(len(families)))]
    if family == "gz":
        return ("gz", _flip_or_cut(rng, size))
    if family in ("flip", "truncate"):
        return _flip_or_cut(rng, size, family)
    if fmt == "nifti":
        field = sorted(NIFTI1_FIELDS)[int(rng.integers(len(NIFTI1_FIELDS)))]
        pool = ABSURD_INTS + SPECIAL_FLOATS
        value = (
            pool[int(rng.integers(len(pool)))] if rng.random() < 0.7 else float(rng.normal(0, 1e4))
        )
        return ("field", field, int(rng.integers(12)), value)
    keyword = sorted(DICOM_EDITS)[int(rng.integers(len(DICOM_EDITS)))]
    values = DICOM_EDITS[keyword]
    return ("element", keyword, values[int(rng.integers(len(values)))])


def _flip_or_cut(rng: np.random.Generator, size: int, family: str | None = None) -> tuple:
    family = family or ("flip" if rng.random() < 0.5 else "truncate")
    if family == "truncate":
        return ("truncate", int(rng.integers(0, max(1, size))))
    header_biased = rng.random() < 0.5
    limit = min(size, 600) if header_biased else size
    edits = [
        (int(rng.integers(0, max(1, limit))), int(rng.integers(1, 256)))
        for _ in range(int(rng.integers(1, 7)))
    ]
    return ("flip", edits)


def random_plan(rng: np.random.Generator, fmt: str, size: int) -> list[tuple]:
    """1–4 random steps (see :func:`apply_plan`)."""
    return [random_step(rng, fmt, size) for _ in range(int(rng.integers(1, 5)))]


@dataclass
class Outcome:
    """What one load did. ``kind`` is ``ok``, ``refused`` or ``escape``."""

    kind: str
    error: str = ""
    reason: str = ""
    seconds: float = 0.0
    detail: str = ""


def run_loader(load: Callable[[], object]) -> Outcome:
    """Call ``load`` and classify the result; never raises (except KeyboardInterrupt)."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load()
    except LoadError as exc:
        return Outcome(
            "refused", type(exc).__name__, _reason(exc.problem), time.perf_counter() - start
        )
    except Exception as exc:
        return Outcome(
            "escape",
            type(exc).__name__,
            _reason(str(exc)),
            time.perf_counter() - start,
            "".join(traceback.format_exception(exc))[-4000:],
        )
    return Outcome("ok", seconds=time.perf_counter() - start)


def _reason(text: str) -> str:
    """A short, stable reason: the message up to the first digit-heavy detail, 60 chars."""
    words = []
    for word in text.replace(":", " :").split():
        if sum(ch.isdigit() for ch in word) > 2 or "/" in word:
            continue
        words.append(word)
    return " ".join(words)[:60]
