"""The project's own exceptions: every failure a user can meet is one of these.

Each error names the file (when there is one) and says what was wrong, so the GUI can show
``str(err)`` in a dialog and the CLI can print it without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class LiverSynthError(Exception):
    """Base class of every error LiverSynth raises on purpose."""


class LoadError(LiverSynthError):
    """A file or folder could not be read as what it should be.

    Args:
        path: the file or folder at fault.
        problem: what was wrong, in words a user can act on.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class GridMismatchError(LoadError):
    """Image and labels (or two images) do not share the same voxel grid."""


class UnmappedLabelsError(LoadError):
    """A label map holds ids other than 0/1/2 and no mapping says which is liver or tumour.

    Args:
        path: the label file.
        ids: the unknown stored ids (up to ten), so a GUI can offer them in a mapping dialog.
    """

    def __init__(self, path: str | Path, ids: list[int]) -> None:
        self.ids = list(ids)
        super().__init__(
            path,
            f"label ids {self.ids} are not 0/1/2; say which one is liver and which tumour "
            "(the app asks; in Python pass a mapping, e.g. mapping={5: 1} for "
            "TotalSegmentator's liver)",
        )


class ModelFileError(LoadError):
    """A model file is not a valid LiverSynth checkpoint (never executed, only refused)."""


class PlacementError(LiverSynthError):
    """A lesion fits nowhere plausible in the given liver."""


class ResourceLimitError(LiverSynthError):
    """An input is too large for this machine (refused before memory runs out)."""


class DiskFullError(LiverSynthError):
    """A write failed because the disk (or the user's quota) is full; nothing half-written
    was left under a final name."""
