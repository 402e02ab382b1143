"""The one interface every filler implements (DESIGN.md "Fillers").

A filler takes a CT slice in HU and a lesion mask and returns a new slice in HU where the
lesion region has been painted; pixels outside the lesion (and its narrow blending band)
are returned unchanged. The GUI, ``evaluate`` and batch synthesis only use this interface.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class SliceFiller(Protocol):
    """Paints a lesion into a slice.

    Attributes:
        name: registry name (``gan``, ``mean``, ``biharmonic``, ``procedural``, ``copy_paste``).
        device: where it computes, shown in the GUI (``"cpu"``, ``"cuda"``).
    """

    name: str
    device: str

    def fill(
        self,
        slice_hu: np.ndarray,
        mask: np.ndarray,
        *,
        liver_mask: np.ndarray | None = None,
        seed: int | None = None,
    ) -> np.ndarray:
        """Return a float32 copy of ``slice_hu`` (2-D, HU) with ``mask`` (2-D bool) filled.

        Args:
            slice_hu: the slice, HU, shape ``(H, W)``.
            mask: lesion region, same shape, bool (non-zero = lesion).
            liver_mask: optional liver region, used by fillers that match liver intensity.
            seed: makes stochastic fillers reproducible; ``None`` = filler's own default.
        """
        ...
