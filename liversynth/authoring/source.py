"""Where a document's case came from, so a session file can reopen it without embedding the CT."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liversynth.typing import SpacingZYX
from liversynth.volume import Case


@dataclass(frozen=True)
class CaseSource:
    """How to reload a case: from files, or a deterministic phantom.

    Attributes:
        volume_path: the volume (file or folder, as given to ``liversynth.io.load_case``).
        labels_path: a separate labels file, or ``None`` (labels found by the layout, or none).
        phantom_seed: set for a phantom case (``liversynth.phantom.make_phantom``) instead of files.
        phantom_shape: the phantom's ``(z, y, x)`` shape.
        phantom_spacing_mm: the phantom's ``(z, y, x)`` spacing.
        label_mapping: stored label id → 0/1/2 for label maps with other ids (e.g.
            TotalSegmentator's liver 5 → 1), as the user chose it; ``None`` for 0/1/2 files.
    """

    volume_path: str | None = None
    labels_path: str | None = None
    phantom_seed: int | None = None
    phantom_shape: tuple[int, int, int] | None = None
    phantom_spacing_mm: SpacingZYX | None = None
    label_mapping: dict[int, int] | None = None

    @property
    def reloadable(self) -> bool:
        """``False`` for an in-memory case a session cannot reopen by itself."""
        return self.volume_path is not None or self.phantom_seed is not None

    def load(self) -> Case:
        """Load the case again (imports io/phantom lazily: they are optional for the editor).

        Raises:
            LoadError: from :mod:`liversynth.io` when the files are missing or unreadable.
            ValueError: when the source names nothing to load.
        """
        if self.phantom_seed is not None:
            from liversynth.phantom import make_phantom

            kwargs: dict[str, Any] = {"seed": self.phantom_seed}
            if self.phantom_shape is not None:
                kwargs["shape"] = tuple(self.phantom_shape)
            if self.phantom_spacing_mm is not None:
                kwargs["spacing_mm"] = tuple(self.phantom_spacing_mm)
            return make_phantom(**kwargs)
        if self.volume_path is None:
            raise ValueError("this case was built in memory; there is no file to reload it from")
        from liversynth.io import load_case

        return load_case(self.volume_path, labels=self.labels_path, mapping=self.label_mapping)

    def to_json(self) -> dict[str, Any]:
        return {
            "volume_path": self.volume_path,
            "labels_path": self.labels_path,
            "phantom_seed": self.phantom_seed,
            "phantom_shape": list(self.phantom_shape) if self.phantom_shape else None,
            "phantom_spacing_mm": list(self.phantom_spacing_mm)
            if self.phantom_spacing_mm
            else None,
            # JSON keys are strings; from_json turns them back into ints.
            "label_mapping": None
            if self.label_mapping is None
            else {str(k): int(v) for k, v in self.label_mapping.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseSource:
        shape = data.get("phantom_shape")
        spacing = data.get("phantom_spacing_mm")
        mapping = data.get("label_mapping")
        return cls(
            volume_path=data.get("volume_path"),
            labels_path=data.get("labels_path"),
            phantom_seed=data.get("phantom_seed"),
            phantom_shape=(int(shape[0]), int(shape[1]), int(shape[2])) if shape else None,
            phantom_spacing_mm=(
                (float(spacing[0]), float(spacing[1]), float(spacing[2])) if spacing else None
            ),
            label_mapping=(
                {int(k): int(v) for k, v in mapping.items()} if isinstance(mapping, dict) else None
            ),
        )
