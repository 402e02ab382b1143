"""Lesions for batch synthesis: a bank of real ones, procedural shapes, recorded transforms
and plausible placement in a liver.

Modules: :mod:`~liversynth.lesions.bank` (:class:`Lesion`, :func:`extract_lesions`,
:class:`LesionBank`), :mod:`~liversynth.lesions.shapes` (procedural shapes),
:mod:`~liversynth.lesions.transforms` (flip/rotate/scale/elastic, replayable),
:mod:`~liversynth.lesions.placement` (:func:`place_lesion`), :mod:`~liversynth.lesions.masks`
(small mask helpers).

Example:
    >>> import numpy as np
    >>> from liversynth.lesions import place_lesion, procedural_lesion
    >>> liver = np.zeros((20, 80, 80), bool); liver[2:18, 10:70, 10:70] = True
    >>> rng = np.random.default_rng(0)
    >>> mask, params = procedural_lesion(rng, (2.5, 1.0, 1.0), max_diameter_mm=20)
    >>> p = place_lesion(liver, None, mask, rng, margin_mm=3, spacing_mm=(2.5, 1.0, 1.0))
    >>> bool(liver[p.slices()][mask].all())
    True
"""

from liversynth.lesions.bank import Lesion, LesionBank, extract_lesions
from liversynth.lesions.placement import (
    AllowedRegion,
    Placement,
    allowed_region,
    place_in_region,
    place_lesion,
)
from liversynth.lesions.shapes import make_shape, procedural_lesion, random_shape_params
from liversynth.lesions.transforms import (
    apply_transform,
    apply_transform_with_hu,
    elastic,
    flip,
    random_transform,
    rotate,
    scale,
)

__all__ = [
    "AllowedRegion",
    "Lesion",
    "LesionBank",
    "Placement",
    "allowed_region",
    "apply_transform",
    "apply_transform_with_hu",
    "elastic",
    "extract_lesions",
    "flip",
    "make_shape",
    "place_in_region",
    "place_lesion",
    "procedural_lesion",
    "random_shape_params",
    "random_transform",
    "rotate",
    "scale",
]
