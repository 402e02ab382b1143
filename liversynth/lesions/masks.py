"""Small mask helpers shared by the lesion modules (keep one component, fill holes, crop)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def clean_mask(mask: np.ndarray) -> np.ndarray:
    """Keep the largest component, fill holes, crop tight (see :func:`clean_mask_box`)."""
    cleaned, box = clean_mask_box(mask)
    return cleaned[box]


def clean_mask_box(mask: np.ndarray) -> tuple[np.ndarray, tuple[slice, ...]]:
    """Keep the largest 26-connected component and fill its holes; also return its box.

    Resampling and warping a mask can split off specks or leave pin-holes; a lesion is one
    solid object, and the label must equal what the filler paints.
    """
    labels, n = ndimage.label(mask, structure=np.ones((3,) * mask.ndim, bool))
    if n == 0:
        return mask.astype(bool), tuple(slice(0, 0) for _ in mask.shape)
    if n > 1:
        sizes = np.bincount(labels.ravel())[1:]
        mask = labels == (int(np.argmax(sizes)) + 1)
    mask = ndimage.binary_fill_holes(mask)
    if mask.ndim == 3:
        # A slice-wise hole would show as a liver-coloured island inside a 2-D lesion.
        mask = np.stack([ndimage.binary_fill_holes(m) for m in mask])
    return mask, ndimage.find_objects(mask.astype(np.uint8))[0]
