"""PNG writers: 8-bit windowed images for display, 16-bit lossless HU for data.

The 16-bit variant stores ``HU + 32768`` as ``uint16`` (:data:`HU_OFFSET`), so every int16 HU
value survives exactly (−1024 HU is stored as 31744). Non-integral HU are rounded to the nearest
integer. Writes are atomic (temporary file in the same folder, fsync, rename).

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.png"
    >>> hu = np.array([[-1000, 0], [40, 1500]], dtype=np.int16)
    >>> _ = save_png16(hu, p)
    >>> read_png16(p).tolist()
    [[-1000.0, 0.0], [40.0, 1500.0]]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from liversynth.errors import LoadError
from liversynth.export import atomic_write
from liversynth.windowing import PRESETS, Window, to_uint8

#: Added to HU before storing them as uint16 (and subtracted on reading).
HU_OFFSET = 32768


def _save(image: Image.Image, path: str | Path) -> Path:
    return atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))


def save_png(
    slice_hu: npt.ArrayLike, path: str | Path, window: Window = PRESETS["abdomen"]
) -> Path:
    """Save a slice as an 8-bit greyscale PNG in a display window.

    Args:
        slice_hu: ``(H, W)`` HU.
        path: destination ``.png``.
        window: display window (``low`` → black, ``high`` → white).

    Returns:
        the written path.
    """
    arr = np.asarray(slice_hu)
    if arr.ndim != 2:
        raise ValueError(f"{path}: a PNG slice must be 2-D, got shape {arr.shape}")
    return _save(Image.fromarray(to_uint8(arr, window)), path)


def save_mask_png(mask: npt.ArrayLike, path: str | Path) -> Path:
    """Save a mask as an 8-bit PNG, 0 outside and 255 inside."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"{path}: a mask must be 2-D, got shape {m.shape}")
    return _save(Image.fromarray(np.where(m != 0, np.uint8(255), np.uint8(0))), path)


def hu_to_png16(slice_hu: npt.ArrayLike) -> np.ndarray:
    """HU → ``uint16`` PNG values (``HU + 32768``, rounded, clipped to the int16 range)."""
    arr = np.rint(np.asarray(slice_hu, dtype=np.float64))
    np.clip(arr, -HU_OFFSET, HU_OFFSET - 1, out=arr)
    return (arr + HU_OFFSET).astype(np.uint16)


def save_png16(slice_hu: npt.ArrayLike, path: str | Path) -> Path:
    """Save a slice losslessly as a 16-bit greyscale PNG (``HU + 32768``).

    Args:
        slice_hu: ``(H, W)`` HU; integral values in −32768..32767 round-trip exactly.
        path: destination ``.png``.

    Returns:
        the written path.
    """
    arr = np.asarray(slice_hu)
    if arr.ndim != 2:
        raise ValueError(f"{path}: a PNG slice must be 2-D, got shape {arr.shape}")
    return _save(Image.fromarray(hu_to_png16(arr)), path)


def _open(path: str | Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            image.load()
            return np.asarray(image)
    except FileNotFoundError as err:
        raise LoadError(path, "file not found") from err
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise LoadError(path, f"not a readable PNG ({err})") from err


def read_png16(path: str | Path) -> np.ndarray:
    """Read a 16-bit PNG written by :func:`save_png16` back to float32 HU.

    Raises:
        LoadError: unreadable file, or not a 16-bit single-channel PNG.
    """
    arr = _open(path)
    if arr.ndim != 2 or arr.dtype not in (np.uint16, np.int32):
        raise LoadError(path, f"expected a 16-bit greyscale PNG, got {arr.dtype} {arr.shape}")
    return (arr.astype(np.int32) - HU_OFFSET).astype(np.float32)


def read_mask_png(path: str | Path) -> np.ndarray:
    """Read an 8-bit mask PNG as ``bool`` (non-zero inside).

    Raises:
        LoadError: unreadable file or not a single-channel image.
    """
    arr = _open(path)
    if arr.ndim != 2:
        raise LoadError(path, f"expected a greyscale mask PNG, got shape {arr.shape}")
    return arr != 0
