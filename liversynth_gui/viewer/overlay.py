"""A binary mask shown as a coloured, semi-transparent layer over the CT."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from scipy import ndimage


def mask_lut(rgb: tuple[int, int, int]) -> np.ndarray:
    """A two-entry RGBA lookup table: 0 → transparent, 1 → ``rgb`` opaque."""
    return np.array([[0, 0, 0, 0], [rgb[0], rgb[1], rgb[2], 255]], dtype=np.uint8)


class MaskLayer(pg.ImageItem):
    """An ImageItem that shows a boolean (row, col) mask in one colour.

    The layer's opacity (``setOpacity``) makes it semi-transparent; the LUT keeps background
    pixels fully transparent, so only the mask is tinted.

    Args:
        rgb: the colour of mask pixels.
        opacity: initial opacity in [0, 1].
        z_value: stacking order above the CT image (which sits at 0).
    """

    def __init__(self, rgb: tuple[int, int, int], opacity: float = 0.4, z_value: float = 1) -> None:
        super().__init__()
        self.rgb = rgb
        self.setLookupTable(mask_lut(rgb))
        self.setOpacity(opacity)
        self.setZValue(z_value)

    def set_mask(self, mask: np.ndarray | None) -> None:
        """Show ``mask`` (any dtype; nonzero = inside) or clear the layer when ``None``."""
        if mask is None:
            self.clear()
            return
        self.setImage(np.asarray(mask != 0, dtype=np.uint8), levels=(0, 1), autoLevels=False)


#: The whitened region: white inside, an orange outline, so it shows under any window (white
#: on a liver that the window already whites out would be invisible).
WHITENED_LUT = np.array([[0, 0, 0, 0], [255, 255, 255, 255], [255, 140, 0, 255]], dtype=np.uint8)


def whitened_labels(mask: np.ndarray) -> np.ndarray:
    """uint8 image for :data:`WHITENED_LUT`: 0 outside, 1 inside the mask, 2 on its edge."""
    inside = np.asarray(mask, dtype=bool)
    out = inside.astype(np.uint8)
    out[inside & ~ndimage.binary_erosion(inside)] = 2
    return out


class WhitenedLayer(pg.ImageItem):
    """The lesion region as the generator sees it (white), drawn above the CT with an outline."""

    def __init__(self, z_value: float = 1) -> None:
        super().__init__()
        self.setLookupTable(WHITENED_LUT)
        self.setZValue(z_value)

    def set_mask(self, mask: np.ndarray | None) -> None:
        """Show ``mask`` whitened, or clear the layer when ``None``."""
        if mask is None:
            self.clear()
            return
        self.setImage(whitened_labels(mask), levels=(0, 2), autoLevels=False)
