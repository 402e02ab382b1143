"""The paper's "whitening": lesion pixels are set to white (+1) in the network range.

The generator sees the windowed slice with the lesion region painted white and, optionally, the
mask as a second channel (a white pixel alone is ambiguous: bone and contrast are white too).

Example:
    >>> import numpy as np
    >>> from liversynth.windowing import PRESETS
    >>> hu = np.zeros((4, 4), np.float32); m = np.zeros((4, 4), bool); m[1, 1] = True
    >>> x = generator_input(hu, m, PRESETS["network"], mask_channel=True)
    >>> x.shape, float(x[0, 1, 1]), float(x[1, 1, 1]), float(x[1, 0, 0])
    ((2, 4, 4), 1.0, 1.0, -1.0)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from liversynth.windowing import Window, hu_to_unit


def _as_bool_mask(mask: npt.ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    m = np.asarray(mask)
    if m.shape != shape:
        raise ValueError(f"mask shape {m.shape} differs from image shape {shape}")
    return m if m.dtype == np.bool_ else m != 0


def whiten(unit: npt.ArrayLike, mask: npt.ArrayLike) -> np.ndarray:
    """Set the lesion pixels of a network-range image to +1.

    Args:
        unit: image already scaled to [-1, 1] (any shape).
        mask: same shape; non-zero / True marks the lesion.

    Returns:
        a new float32 array, equal to ``unit`` outside the mask and 1.0 inside.
    """
    out = np.array(unit, dtype=np.float32, copy=True)
    out[_as_bool_mask(mask, out.shape)] = 1.0
    return out


def whiten_hu(slice_hu: npt.ArrayLike, mask: npt.ArrayLike, window: Window) -> np.ndarray:
    """Whiten in HU for display: lesion pixels become ``window.high`` (white in that window).

    Args:
        slice_hu: a slice in HU.
        mask: same shape; non-zero marks the lesion.
        window: the network window (its upper bound is the "white" HU).

    Returns:
        a new float32 array of HU (not clipped outside the mask).
    """
    out = np.array(slice_hu, dtype=np.float32, copy=True)
    out[_as_bool_mask(mask, out.shape)] = np.float32(window.high)
    return out


def mask_to_unit(mask: npt.ArrayLike) -> np.ndarray:
    """Encode a mask as float32 -1 outside / +1 inside (the generator's mask channel)."""
    m = np.asarray(mask)
    m = m if m.dtype == np.bool_ else m != 0
    return np.where(m, np.float32(1.0), np.float32(-1.0)).astype(np.float32, copy=False)


def generator_input(
    slice_hu: npt.ArrayLike, mask: npt.ArrayLike, window: Window, *, mask_channel: bool
) -> np.ndarray:
    """Build the generator input for one slice.

    Args:
        slice_hu: ``(H, W)`` slice in HU.
        mask: ``(H, W)`` lesion mask (non-zero / True inside).
        window: the network window (stored in the checkpoint).
        mask_channel: add the mask as a second channel (-1 outside, +1 inside).

    Returns:
        float32 ``(C, H, W)`` with C = 2 if ``mask_channel`` else 1. Channel 0 is the windowed slice
        in [-1, 1] with the lesion pixels set to +1.
    """
    hu = np.asarray(slice_hu)
    if hu.ndim != 2:
        raise ValueError(f"slice must be 2-D (H, W), got shape {hu.shape}")
    m = _as_bool_mask(mask, hu.shape)
    channels = 2 if mask_channel else 1
    out = np.empty((channels, *hu.shape), dtype=np.float32)
    out[0] = hu_to_unit(hu, window)
    out[0][m] = 1.0
    if mask_channel:
        out[1] = -1.0
        out[1][m] = 1.0
    return out
