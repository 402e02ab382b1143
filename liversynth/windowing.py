"""CT display/network windows: HU ↔ [-1, 1] ↔ 8-bit.

A window is a (centre, width) pair in HU, as on every CT console. The network works on HU clipped
to a window and scaled to [-1, 1]; the display works on the same clip scaled to 0..255.

Example:
    >>> import numpy as np
    >>> w = PRESETS["network"]            # -200..300 HU
    >>> hu_to_unit(np.array([-1000.0, 50.0, 300.0]), w).tolist()
    [-1.0, 0.0, 1.0]
    >>> unit_to_hu(np.array([0.0]), w).tolist()
    [50.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Window:
    """A CT window.

    Attributes:
        center_hu: window level (centre) in HU.
        width_hu: window width in HU (must be > 0).
    """

    center_hu: float
    width_hu: float

    def __post_init__(self) -> None:
        if not self.width_hu > 0:
            raise ValueError(f"window width must be > 0 HU, got {self.width_hu}")

    @property
    def low(self) -> float:
        """Lowest HU shown (maps to -1 / 0)."""
        return float(self.center_hu) - float(self.width_hu) / 2.0

    @property
    def high(self) -> float:
        """Highest HU shown (maps to +1 / 255)."""
        return float(self.center_hu) + float(self.width_hu) / 2.0

    @classmethod
    def from_range(cls, low_hu: float, high_hu: float) -> Window:
        """Build a window from its lower and upper HU bounds."""
        return cls((low_hu + high_hu) / 2.0, high_hu - low_hu)


#: Liver parenchyma in portal-venous CT enhances to ~100-110 HU (3D-IRCADb 1.1: 113 HU); the
#: liver window is centred there when a case has no liver label to measure it on.
PORTAL_VENOUS_LIVER_HU = 100.0
#: Width of the liver window, HU: narrow, so a 20-40 HU lesion contrast is plain.
LIVER_WIDTH_HU = 150.0

#: Standard presets. ``network`` is the default range the generator works in (−200..300 HU).
#: ``liver`` is the portal-venous default; :func:`liver_window` centres it on a case's liver.
PRESETS: dict[str, Window] = {
    "abdomen": Window(40.0, 400.0),
    "liver": Window(PORTAL_VENOUS_LIVER_HU, LIVER_WIDTH_HU),
    "bone": Window(400.0, 1800.0),
    "lung": Window(-600.0, 1500.0),
    "network": Window(50.0, 500.0),
}


def hu_to_unit(hu: npt.ArrayLike, window: Window) -> np.ndarray:
    """Clip HU to ``window`` and scale linearly to [-1, 1].

    Args:
        hu: any-shaped array of HU.
        window: the window; ``window.low`` → -1, ``window.high`` → +1.

    Returns:
        float32 array of the same shape, in [-1, 1].
    """
    # Exactly one float32 allocation (the result), then in-place arithmetic; copy=True also
    # protects views/memmaps of the caller's data from the in-place operations.
    out = np.array(hu, dtype=np.float32, copy=True)
    np.clip(out, window.low, window.high, out=out)
    out -= np.float32(window.center_hu)
    out *= np.float32(2.0 / window.width_hu)
    # Rounding can leave 1 + 1e-7; keep the documented range exact.
    np.clip(out, -1.0, 1.0, out=out)
    return out


def unit_to_hu(unit: npt.ArrayLike, window: Window) -> np.ndarray:
    """Inverse of :func:`hu_to_unit` (values outside [-1, 1] are clipped first).

    Args:
        unit: any-shaped array in [-1, 1].
        window: the window the values were scaled with.

    Returns:
        float32 array of HU in ``[window.low, window.high]``.
    """
    out = np.array(unit, dtype=np.float32, copy=True)
    np.clip(out, -1.0, 1.0, out=out)
    out *= np.float32(window.width_hu / 2.0)
    out += np.float32(window.center_hu)
    return out


def to_uint8(hu: npt.ArrayLike, window: Window) -> np.ndarray:
    """Map HU to 8-bit grey levels for display: ``window.low`` → 0, ``window.high`` → 255.

    Args:
        hu: any-shaped array of HU.
        window: the display window.

    Returns:
        uint8 array of the same shape (rounded to nearest).
    """
    out = np.array(hu, dtype=np.float32, copy=True)
    np.clip(out, window.low, window.high, out=out)
    out -= np.float32(window.low)
    out *= np.float32(255.0 / window.width_hu)
    np.rint(out, out=out)
    return out.astype(np.uint8)


def liver_window(
    hu: npt.ArrayLike, liver_mask: npt.ArrayLike | None, *, max_samples: int = 200_000
) -> Window:
    """A liver window centred on this scan's own liver: W150, L = median liver HU.

    A fixed level suits one contrast phase only (W150/L30 whites out enhanced liver); the
    median of the labelled parenchyma suits them all. Without a mask (or an empty one) the
    portal-venous default :data:`PORTAL_VENOUS_LIVER_HU` is used.

    Args:
        hu: HU array (a slice or a volume).
        liver_mask: same shape; True on liver parenchyma (exclude tumour), or ``None``.
        max_samples: at most this many liver voxels (an even subsample) enter the median.

    Example:
        >>> hu = np.full((4, 4), 112.0); m = np.zeros((4, 4), bool); m[1:3, 1:3] = True
        >>> liver_window(hu, m)
        Window(center_hu=112.0, width_hu=150.0)
        >>> liver_window(hu, None).center_hu
        100.0
    """
    if liver_mask is None:
        return PRESETS["liver"]
    values = np.asarray(hu)[np.asarray(liver_mask, dtype=bool)]
    if values.size == 0:
        return PRESETS["liver"]
    step = max(1, values.size // max_samples)
    return Window(float(np.round(np.median(values[::step]))), LIVER_WIDTH_HU)


#: Smallest window width reachable by dragging, HU.
MIN_DRAG_WIDTH_HU = 1.0


def dragged_window(window: Window, dx_px: float, dy_px: float) -> Window:
    """The window after a right-drag of (dx, dy) screen pixels, as on a CT console.

    Dragging right widens the window, dragging down raises the level (the image darkens).
    The step scales with the current width (a 400 HU window moves ~2 HU per pixel), so both
    narrow liver windows and wide bone windows are easy to adjust.

    Example:
        >>> dragged_window(Window(40.0, 400.0), 10, -10)
        Window(center_hu=20.0, width_hu=420.0)
    """
    hu_per_px = max(window.width_hu / 200.0, 0.5)
    width = max(window.width_hu + dx_px * hu_per_px, MIN_DRAG_WIDTH_HU)
    return Window(window.center_hu + dy_px * hu_per_px, width)
