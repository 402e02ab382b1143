"""The one interface every filler implements (DESIGN.md "Fillers").

A filler takes CT in HU and a lesion mask and returns a new image in HU where the lesion
region has been painted; pixels outside the lesion (and its narrow blending band) are returned
unchanged. The GUI, ``evaluate``, batch synthesis and the quiz builder only use this interface.

Two levels:

- :meth:`SliceFiller.fill` paints one 2-D slice;
- :meth:`SliceFiller.fill_volume` paints a 3-D lesion over every slice it touches. Engines that
  are 2-D only inherit :func:`fill_volume_slicewise` (via :class:`SliceWiseVolumeMixin`), which
  calls ``fill`` slice by slice with per-slice seeds derived from the one ``seed``.

Appearance requests (:class:`Appearance`) and engine-specific extras (:class:`FillHints`) are
typed values, never positional arguments, so every front end calls every engine the same way.

Example:
    >>> import numpy as np
    >>> from liversynth.fillers.classical import MeanFiller
    >>> hu = np.full((3, 32, 32), 100.0, np.float32); hu[:, 10:20, 10:20] = 40.0
    >>> m = np.zeros(hu.shape, bool); m[1, 12:18, 12:18] = True
    >>> out = MeanFiller().fill_volume(hu, m, seed=0)
    >>> out.shape, bool((out[0] == hu[0]).all())
    ((3, 32, 32), True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from liversynth.typing import SpacingZYX

#: Range of :attr:`Appearance.contrast_hu` the engines are asked to honour (HU).
CONTRAST_RANGE_HU = (-100.0, 60.0)


@dataclass(frozen=True)
class Appearance:
    """What the lesion should look like, where the engine can honour it.

    Attributes:
        contrast_hu: mean lesion HU minus the mean HU of the surrounding liver; negative =
            hypodense, positive = hyperdense. ``None``: the engine decides.
        heterogeneity: 0 = uniform lesion, 1 = strongly mottled / necrotic-looking; the
            lesion's HU spread grows monotonically with it. ``None``: the engine decides.
    """

    contrast_hu: float | None = None
    heterogeneity: float | None = None

    def __post_init__(self) -> None:
        if self.contrast_hu is not None:
            c = float(self.contrast_hu)
            if not math.isfinite(c) or not -400.0 <= c <= 400.0:
                raise ValueError(f"contrast_hu must be a finite HU difference, got {c!r}")
        if self.heterogeneity is not None:
            h = float(self.heterogeneity)
            if not math.isfinite(h) or not 0.0 <= h <= 1.0:
                raise ValueError(f"heterogeneity must be in [0, 1], got {h!r}")

    @property
    def is_default(self) -> bool:
        """True when nothing is requested (the engine decides everything)."""
        return self.contrast_hu is None and self.heterogeneity is None

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready form, recorded in every provenance record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Appearance:
        """Inverse of :meth:`to_dict`; ``None`` or ``{}`` is the default appearance."""
        data = data or {}
        return cls(
            contrast_hu=None if data.get("contrast_hu") is None else float(data["contrast_hu"]),
            heterogeneity=(
                None if data.get("heterogeneity") is None else float(data["heterogeneity"])
            ),
        )


#: The appearance that requests nothing.
DEFAULT_APPEARANCE = Appearance()


@dataclass(frozen=True)
class FillHints:
    """Engine-specific extras, typed, so that no front end passes positional odds and ends.

    Attributes:
        donor: ``copy_paste``: index of the donor lesion in its bank (``None``: chosen by seed).
        donor_transform: ``copy_paste``: the transform applied to the donor (recorded form).
        donor_offset_zyx: ``copy_paste``: where the donor's first voxel lands.
        focus_z: volume fills: the slice to fill first (the one on screen).
        extra: anything a new engine needs, keyed by its own names.
    """

    donor: int | None = None
    donor_transform: dict[str, Any] | None = None
    donor_offset_zyx: tuple[int, int, int] | None = None
    focus_z: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class SliceFiller(Protocol):
    """Paints a lesion into a slice, and into a volume.

    Attributes:
        name: registry name (``gan``, ``mean``, ``biharmonic``, ``procedural``, ``copy_paste``).
        device: where it computes, shown in the GUI (``"cpu"``, ``"cuda"``).
    """

    name: str

    @property
    def device(self) -> str:
        """Where it computes (``"cpu"``, ``"cuda"``)."""
        ...

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

        Engines that honour appearance also take ``appearance=`` (an :class:`Appearance`).
        """
        ...

    def fill_volume(
        self,
        hu_zyx: np.ndarray,
        mask_zyx: np.ndarray,
        *,
        liver_zyx: np.ndarray | None = None,
        seed: int | None = None,
        spacing_mm: SpacingZYX | None = None,
        appearance: Appearance | None = None,
        hints: FillHints | None = None,
    ) -> np.ndarray:
        """Return a float32 copy of ``hu_zyx`` with the 3-D lesion ``mask_zyx`` painted."""
        ...


def slice_seed(seed: int | None, z: int) -> int | None:
    """The seed of slice ``z`` of a volume fill: distinct per slice, fixed for a seed."""
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(z)]).generate_state(1)[0])


def fill_volume_slicewise(
    filler: Any,
    hu_zyx: np.ndarray,
    mask_zyx: np.ndarray,
    *,
    liver_zyx: np.ndarray | None = None,
    seed: int | None = None,
    appearance: Appearance | None = None,
    hints: FillHints | None = None,
    pass_appearance: bool = False,
) -> np.ndarray:
    """The shared ``fill_volume`` of 2-D engines: ``fill`` on every slice the lesion touches.

    Slices without lesion are copied unchanged (bit-identical, as float32). With
    ``hints.focus_z`` set, that slice is computed first (the GUI shows it while the rest run).
    """
    hu_zyx = np.asarray(hu_zyx)
    mask_zyx = np.asarray(mask_zyx, bool)
    if hu_zyx.ndim != 3 or mask_zyx.shape != hu_zyx.shape:
        raise ValueError(
            f"fill_volume needs a 3-D volume and a mask of the same shape, got "
            f"{hu_zyx.shape} and {mask_zyx.shape}"
        )
    out = hu_zyx.astype(np.float32, copy=True)
    zs = [int(z) for z in np.flatnonzero(mask_zyx.any(axis=(1, 2)))]
    focus = hints.focus_z if hints is not None else None
    if focus in zs:
        zs.remove(focus)
        zs.insert(0, focus)
    for z in zs:
        kwargs: dict[str, Any] = {
            "liver_mask": None if liver_zyx is None else np.asarray(liver_zyx[z], bool),
            "seed": slice_seed(seed, z),
        }
        if pass_appearance and appearance is not None:
            kwargs["appearance"] = appearance
        out[z] = filler.fill(out[z], mask_zyx[z], **kwargs)
    return out


class SliceWiseVolumeMixin:
    """Gives a 2-D engine the shared :func:`fill_volume_slicewise` as its ``fill_volume``.

    Set ``honours_appearance = True`` on an engine whose ``fill`` takes ``appearance=``.
    """

    honours_appearance: bool = False

    def fill_volume(
        self,
        hu_zyx: np.ndarray,
        mask_zyx: np.ndarray,
        *,
        liver_zyx: np.ndarray | None = None,
        seed: int | None = None,
        spacing_mm: SpacingZYX | None = None,
        appearance: Appearance | None = None,
        hints: FillHints | None = None,
    ) -> np.ndarray:
        """Fill a 3-D lesion slice by slice (see :func:`fill_volume_slicewise`)."""
        del spacing_mm  # 2-D engines work in pixels
        return fill_volume_slicewise(
            self,
            hu_zyx,
            mask_zyx,
            liver_zyx=liver_zyx,
            seed=seed,
            appearance=appearance,
            hints=hints,
            pass_appearance=self.honours_appearance,
        )
