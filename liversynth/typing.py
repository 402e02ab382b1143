"""Type aliases shared across the project (one place, as in torchio's ``typing.py``)."""

from __future__ import annotations

from typing import TypeAlias

#: Voxel size in millimetres, in array order ``(z, y, x)``.
SpacingZYX: TypeAlias = tuple[float, float, float]
#: Pixel size in millimetres of a slice, ``(y, x)``.
SpacingYX: TypeAlias = tuple[float, float]
