"""Cheap DICOM checks made before pydicom does anything expensive with a member.

* Deflated transfer syntax: pydicom inflates the whole dataset in one call, headers only or
  not, so a 1 MB file can become 1 GB. :func:`check_deflated` inflates in bounded chunks,
  keeping nothing, and refuses a dataset that would inflate beyond a slice's worth.
* Compressed pixels: a JPEG 2000 (or JPEG) codestream states its own image size. A decoder
  allocates what the codestream says, not what Rows/Columns say, so
  :func:`check_encoded_size` compares the two from the first fragment before decoding.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

import pydicom
from pydicom.encaps import generate_fragments

DEFLATED_UID = "1.2.840.10008.1.2.1.99"
#: Largest inflated size of a deflated dataset (a 4096² 16-bit slice plus generous headers).
MAX_INFLATED_BYTES = 64 * 2**20
_CHUNK = 256 * 1024


class GuardError(ValueError):
    """A member fails a pre-check; the caller names the member in a LoadError."""


def _meta_end(handle: BinaryIO) -> tuple[int, str] | None:
    """``(offset after the file meta group, transfer syntax)``; ``None`` without a preamble."""
    start = handle.tell()
    head = handle.read(132)
    if len(head) < 132 or head[128:132] != b"DICM":
        handle.seek(start)
        return None
    # File meta: explicit VR little endian group 0002 elements; read them by hand (pydicom's
    # reader for the meta group is private).
    syntax = ""
    while True:
        pos = handle.tell()
        tag = handle.read(8)
        if len(tag) < 8:
            break
        group, elem = struct.unpack("<HH", tag[:4])
        if group != 0x0002:
            handle.seek(pos)
            break
        vr = tag[4:6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            extra = handle.read(4)
            if len(extra) < 4:
                break
            (length,) = struct.unpack("<I", extra)
        else:
            (length,) = struct.unpack("<H", tag[6:8])
        if length > 1 << 20:
            raise GuardError(f"file meta element ({group:04X},{elem:04X}) claims {length} bytes")
        value = handle.read(length)
        if (group, elem) == (0x0002, 0x0010):
            syntax = value.rstrip(b"\x00 ").decode("ascii", "replace")
    end = handle.tell()
    handle.seek(start)
    return end, syntax


def check_deflated(handle: BinaryIO, max_inflated: int = MAX_INFLATED_BYTES) -> None:
    """Refuse a deflated-syntax dataset that inflates beyond ``max_inflated`` bytes.

    The stream is left at its original position; memory stays one chunk large.
    """
    found = _meta_end(handle)
    if found is None or found[1] != DEFLATED_UID:
        return
    start = handle.tell()
    handle.seek(found[0])
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    inflated = 0
    try:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            data = inflater.decompress(chunk, _CHUNK)
            while True:
                inflated += len(data)
                if inflated > max_inflated:
                    raise GuardError(
                        f"deflated dataset inflates beyond {max_inflated} bytes (a bomb?)"
                    )
                if not inflater.unconsumed_tail:
                    break
                data = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            if inflater.eof:
                break
    except zlib.error as err:
        raise GuardError(f"corrupt deflated dataset ({err})") from None
    finally:
        handle.seek(start)


def _j2k_size(data: bytes) -> tuple[int, int] | None:
    """``(rows, cols)`` from a JPEG 2000 SIZ marker (raw codestream or inside a JP2 file)."""
    at = data.find(b"\xff\x4f\xff\x51")
    if at < 0 or len(data) < at + 4 + 2 + 2 + 16:
        return None
    xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", data[at + 8 : at + 24])
    return ysiz - yosiz, xsiz - xosiz


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """``(rows, cols)`` from the first JPEG / JPEG-LS start-of-frame marker."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _SOF and pos + 9 <= len(data):
            rows, cols = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return rows, cols
        pos += 2 + length
    return None


def encoded_size(ds: pydicom.Dataset) -> tuple[int, int] | None:
    """The image size a compressed frame's codestream announces (``None``: not found)."""
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
    if not syntax or not pydicom.uid.UID(syntax).is_compressed or "PixelData" not in ds:
        return None
    fragments: list[bytes] = []
    try:
        # The first item is the Basic Offset Table; the codestream starts in the second.
        for fragment in generate_fragments(ds.PixelData):
            fragments.append(bytes(fragment[:65536]))
            if len(fragments) == 2:
                break
    except (ValueError, struct.error):
        raise GuardError("encapsulated pixel data cannot be split into fragments") from None
    if not fragments:
        return None
    head = fragments[-1]
    if syntax.startswith("1.2.840.10008.1.2.4.9") or syntax.startswith("1.2.840.10008.1.2.4.20"):
        return _j2k_size(head)
    return _jpeg_size(head)


def check_encoded_size(ds: pydicom.Dataset, rows: int, cols: int) -> None:
    """Refuse a compressed frame whose codestream size disagrees with Rows/Columns."""
    size = encoded_size(ds)
    if size is not None and size != (rows, cols):
        raise GuardError(
            f"the compressed image is {size[0]}x{size[1]} px but Rows/Columns say {rows}x{cols}"
        )
