"""The label mapping a user chose for a label file (which value is liver, which tumour),
remembered in QSettings per file so the question is asked once per file."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6 import QtCore

#: QSettings group of the remembered mappings (key: the file's absolute path).
MAPPING_GROUP = "label_mappings"


class LabelMappingMemory:
    """Remembers ``{stored id: 0/1/2}`` per label file.

    Args:
        settings: where to persist (default: the application's QSettings).
    """

    def __init__(self, settings: QtCore.QSettings | None = None) -> None:
        self.settings = settings or QtCore.QSettings()

    @staticmethod
    def _key(path: str | Path) -> str:
        # QSettings keys treat "/" as groups: keep the path readable but flat.
        return f"{MAPPING_GROUP}/{str(Path(path).resolve()).replace('/', '|')}"

    def get(self, path: str | Path) -> dict[int, int] | None:
        """The mapping chosen for ``path`` before, or ``None``."""
        raw = self.settings.value(self._key(path))
        if not raw:
            return None
        try:
            return {int(k): int(v) for k, v in json.loads(str(raw)).items()}
        except (ValueError, TypeError, AttributeError):
            return None  # a damaged entry: ask again

    def remember(self, path: str | Path, mapping: dict[int, int]) -> None:
        """Store ``mapping`` for ``path``."""
        self.settings.setValue(self._key(path), json.dumps({str(k): v for k, v in mapping.items()}))
