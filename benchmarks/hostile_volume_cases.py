"""Hostile volumes and labels: NIfTI, NumPy, DICOM file / series / zip, special files.

Every builder writes one input into the folder it is given and returns its path; sizes are
small on disk (a bomb is zeros behind a compressor, a sparse file, a lying header).
"""

from __future__ import annotations

import gzip
import os
import socket
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from io_factories import ct_slice_dataset, display_to_nifti, display_volume, write_series

from benchmarks.hostile_inputs import Case

MIB = 2**20
ZEROS = bytes(MIB)


def _nifti_bytes(folder: Path, **kw: object) -> bytes:
    path = display_to_nifti(folder / "seed.nii", display_volume((3, 5, 6)), (2.0, 1.0, 1.0), **kw)  # type: ignore[arg-type]
    data = path.read_bytes()
    path.unlink()
    return data


def _write(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)
    return folder / name


def _gz_stream(path: Path, parts: list[bytes | tuple[int, bytes]]) -> Path:
    """gzip of ``parts``; ``(n, chunk)`` repeats ``chunk`` n times (zeros cost nothing)."""
    with gzip.open(path, "wb", compresslevel=1) as handle:
        for part in parts:
            if isinstance(part, tuple):
                for _ in range(part[0]):
                    handle.write(part[1])
            else:
                handle.write(part)
    return path


def fifo(name: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        os.mkfifo(folder / name)
        return folder / name

    return build


def dev_zero_link(name: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        os.symlink("/dev/zero", folder / name)
        return folder / name

    return build


def unix_socket(name: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(folder / name))
        sock.close()
        return folder / name

    return build


def nifti_extension_bomb(folder: Path, ext_mib: int = 300) -> Path:
    """A 300 MB header extension of zeros behind gzip (~0.3 MB on disk)."""
    data = bytearray(_nifti_bytes(folder))
    voxels = bytes(data[352:])
    ext = ext_mib * MIB
    data[108:112] = struct.pack("<f", float(352 + 8 + ext))
    head = bytes(data[:348]) + b"\x01\x00\x00\x00" + struct.pack("<ii", 8 + ext, 0)
    return _gz_stream(folder / "ext.nii.gz", [head, (ext_mib, ZEROS), voxels])


def gz_flipped(folder: Path) -> Path:
    data = bytearray(gzip.compress(_nifti_bytes(folder), compresslevel=0))
    data[len(data) // 2 + 40] ^= 0x10  # a stored block: one voxel byte, CRC now wrong
    return _write(folder, "flip.nii.gz", bytes(data))


def gz_cut(n: int) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        return _write(folder, f"cut{n}.nii.gz", gzip.compress(_nifti_bytes(folder))[:-n])

    return build


def gz_trailing_bomb(folder: Path) -> Path:
    return _gz_stream(folder / "trail.nii.gz", [_nifti_bytes(folder), (1024, ZEROS)])


def nifti_field(name: str, offset: int, fmt: str, value: float) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        data = bytearray(_nifti_bytes(folder))
        struct.pack_into(fmt, data, offset, value)
        return _write(folder, f"{name}.nii", bytes(data))

    return build


def npy_header(name: str, header: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        text = header.encode("latin1")
        text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
        return _write(folder, name, b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text)

    return build


def npz(
    name: str, members: Callable[[zipfile.ZipFile], None], **kw: object
) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        with zipfile.ZipFile(folder / name, "w", **kw) as zf:  # type: ignore[arg-type]
            members(zf)
        return folder / name

    return build


def _npy(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _hu_and(extra: Callable[[zipfile.ZipFile], None]) -> Callable[[zipfile.ZipFile], None]:
    def members(zf: zipfile.ZipFile) -> None:
        zf.writestr("hu.npy", _npy(display_volume((3, 5, 6))))
        extra(zf)

    return members


def _slice_bytes(**kw: object) -> bytes:
    import io

    ds = ct_slice_dataset(display_volume((1, 8, 9))[0], position=(0, 0, 0), **kw)  # type: ignore[arg-type]
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def dicom_deflate_bomb(folder: Path, mib: int = 200) -> Path:
    """Deflated Explicit VR LE: a valid header then a 200 MB private OB element of zeros."""
    import io

    from pydicom.uid import DeflatedExplicitVRLittleEndian

    ds = ct_slice_dataset(display_volume((1, 8, 9))[0], position=(0, 0, 0))
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    deflated = buf.getvalue()
    (group_len,) = struct.unpack("<I", deflated[140:144])
    meta = deflated[: 144 + group_len]
    body = _slice_bytes()
    body = body[body.index(struct.pack("<HH", 0x0008, 0x0016)) :]  # after the plain meta
    element = struct.pack("<HH2sHI", 0x0009, 0x1010, b"OB", 0, mib * MIB)
    at = body.index(struct.pack("<HH", 0x0010, 0x0010))  # keep tag order: group 9 before 10
    comp = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts = [comp.compress(body[:at]), comp.compress(element)]
    parts += [comp.compress(ZEROS) for _ in range(mib)]
    parts += [comp.compress(body[at:]), comp.flush()]
    return _write(folder, "deflate.dcm", meta + b"".join(parts))


def dicom_sparse(folder: Path) -> Path:
    """A small header then an element claiming 1.5 GB, the file extended sparsely to fit."""
    plain = _slice_bytes(with_pixels=False)
    path = _write(
        folder, "sparse.dcm", plain + struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, 1536 * MIB)
    )
    with open(path, "r+b") as handle:
        handle.truncate(len(plain) + 12 + 1536 * MIB)
    return path


def dicom_j2k_lie(folder: Path) -> Path:
    """A JPEG 2000 slice whose codestream says 20000x20000 while Rows/Columns say 64x64."""
    from pydicom.uid import JPEG2000Lossless

    ds = ct_slice_dataset(display_volume((1, 64, 64))[0], position=(0, 0, 0))
    ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
    data = bytearray(ds.PixelData)
    at = bytes(data).find(b"\xff\x4f\xff\x51")
    struct.pack_into(">II", data, at + 8, 20000, 20000)
    ds.PixelData = bytes(data)
    ds.save_as(folder / "j2k.dcm", enforce_file_format=True)
    return folder / "j2k.dcm"


def dicom_element(keyword: str, value: object) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        ds = ct_slice_dataset(display_volume((1, 8, 9))[0], position=(0, 0, 0))
        setattr(ds, keyword, value)
        ds.save_as(folder / f"{keyword}.dcm", enforce_file_format=True)
        return folder / f"{keyword}.dcm"

    return build


def dicom_deep_sequence(folder: Path, depth: int = 5000) -> Path:
    """Nested SQ items 5000 deep (undefined lengths), spliced before the pixel data."""
    plain = _slice_bytes()
    at = plain.index(struct.pack("<HH", 0x7FE0, 0x0010))
    nest = b""
    for _ in range(depth):
        nest += struct.pack("<HH2sHI", 0x0040, 0x0260, b"SQ", 0, 0xFFFFFFFF)
        nest += struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    close = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    return _write(folder, "deep.dcm", plain[:at] + nest + close * depth + plain[at:])


def zip_many(count: int) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        with zipfile.ZipFile(folder / "many.zip", "w", zipfile.ZIP_STORED) as zf:
            for i in range(count):
                zf.writestr(f"s/image_{i}", b"x")
        return folder / "many.zip"

    return build


def zip_zero_members(count: int, mib: int = 120) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        with zipfile.ZipFile(
            folder / "zeros.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1
        ) as zf:
            for i in range(count):
                with zf.open(f"s/image_{i}", "w", force_zip64=True) as handle:
                    for _ in range(mib):
                        handle.write(ZEROS)
        return folder / "zeros.zip"

    return build


def series_with_specials(folder: Path) -> Path:
    series = folder / "series"
    write_series(series, display_volume((3, 8, 9)))
    os.mkfifo(series / "pipe")
    os.symlink("/dev/zero", series / "zero")
    return series


def volume_cases() -> list[Case]:
    v, lab = "volume", "labels"
    cases = [
        Case(v, "fifo .nii", fifo("fifo.nii"), True),
        Case(v, "symlink to /dev/zero .nii.gz", dev_zero_link("z.nii.gz"), True),
        Case(v, "socket .npy", unix_socket("s.npy"), True),
        Case(v, "fifo .dcm", fifo("f.dcm")),
        Case(v, "fifo .zip", fifo("f.zip"), True),
        Case(v, "nifti 300 MB header extension (gz)", nifti_extension_bomb, True),
        Case(v, "gz flipped byte", gz_flipped, True),
        *(Case(v, f"gz cut {n} bytes short", gz_cut(n), n == 4) for n in (1, 2, 3, 4)),
        Case(v, "gz 1 GB of zeros after the voxels", gz_trailing_bomb),
        Case(v, "scl_slope 1e38 overflows float32", nifti_field("slope", 112, "<f", 1e38), True),
        Case(v, "dims 30000^3", lambda f: _dims(f, 30000)),
        Case(v, "vox_offset 2^31", nifti_field("off", 108, "<f", 2.0**31)),
        Case(v, "datatype complex", nifti_field("cplx", 70, "<h", 32)),
        Case(
            v,
            "npy header 10^6 x 10^6",
            npy_header(
                "big.npy",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (10, 1000000, 1000000), }",
            ),
        ),
        Case(
            v,
            "npy object dtype",
            npy_header("obj.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (1, 2, 2), }"),
            True,
        ),
        Case(v, "npz spacing_mm claims 8 TB", npz("sp.npz", _hu_and(_spacing_bomb)), True),
        Case(
            v,
            "npz 200 members",
            npz(
                "many.npz", _hu_and(lambda zf: [zf.writestr(f"x{i}.npy", b"") for i in range(200)])
            ),
        ),
        Case(v, "npz bzip2 bomb member", npz("bz.npz", _hu_and(_bz_bomb))),
        Case(v, "dicom deflate bomb 200 MB", dicom_deflate_bomb, True),
        Case(v, "dicom sparse 1.5 GB element", dicom_sparse, True),
        Case(v, "dicom JPEG 2000 SIZ 20000^2 vs 64x64", dicom_j2k_lie, True),
        Case(v, "dicom Rows/Columns 65535", dicom_element("Rows", 65535)),
        Case(v, "dicom NumberOfFrames 2^31", dicom_element("NumberOfFrames", 2**31 - 1)),
        Case(v, "dicom RescaleSlope 1e300", dicom_element("RescaleSlope", "1e300")),
        Case(v, "dicom nested sequences 5000 deep", dicom_deep_sequence),
        Case(v, "zip 25,000 tiny members", zip_many(25_000), True),
        Case(v, "zip 100,000 tiny members", zip_many(100_000)),
        Case(v, "zip 3 x 120 MB zero members", zip_zero_members(3), True),
        Case(v, "zip 12 x 120 MB zero members", zip_zero_members(12)),
        Case(v, "series folder with a FIFO and /dev/zero", series_with_specials, True),
        Case(lab, "labels fifo .nii.gz", fifo("l.nii.gz"), True),
        Case(lab, "labels gz flipped byte", gz_flipped),
        Case(lab, "labels npz spacing bomb", npz("l.npz", _hu_and(_spacing_bomb))),
    ]
    return cases + real_cases()


DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def real_cases() -> list[Case]:
    """Real scans (when ../shared/data is present): the memory rule for inputs that load."""
    found = [
        ("real IRCAD 1.1 DICOM series", DATA / "3Dircadb1.1" / "PATIENT_DICOM"),
        ("real IRCAD 1.1 mask zip given as a volume", DATA / "3Dircadb1.1" / "MASKS_DICOM.zip"),
        ("real JPEG 2000 DICOM series", DATA / "totalsegmentator-example" / "example_ct_dicom"),
        ("real int32 NIfTI", DATA / "totalsegmentator-example" / "example_ct.nii.gz"),
    ]
    return [Case("volume", name, lambda folder, p=path: p) for name, path in found if path.exists()]


def _npy_raw(shape: tuple[int, ...]) -> bytes:
    text = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}".encode("latin1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def _spacing_bomb(zf: zipfile.ZipFile) -> None:
    zf.writestr("spacing_mm.npy", _npy_raw((10**12,)))


def _bz_bomb(zf: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("junk.npy")
    info.compress_type = zipfile.ZIP_BZIP2
    with zf.open(info, "w", force_zip64=True) as handle:
        for _ in range(256):
            handle.write(ZEROS)


def _dims(folder: Path, n: int) -> Path:
    data = bytearray(_nifti_bytes(folder))
    struct.pack_into("<hhhh", data, 40, 3, n, n, n)
    return _write(folder, "dims.nii", bytes(data))
