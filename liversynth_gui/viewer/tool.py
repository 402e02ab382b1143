"""The interaction modes of the authoring view (a view state, not document state)."""

from __future__ import annotations

from enum import Enum


class Tool(str, Enum):
    """What a left-drag on the authoring view does."""

    PAN = "pan"
    BRUSH = "brush"
    ERASER = "eraser"
    STAMP = "stamp"

    @property
    def paints(self) -> bool:
        """True for the tools whose left-drag is a stroke."""
        return self in (Tool.BRUSH, Tool.ERASER)
