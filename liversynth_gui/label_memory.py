"""The label mapping a user chose for a label file (which value is liver, which tumour),
remembered in QSettings per file so the question is asked once per file.

A load runs through :func:`mapping_guard` (an unmapped label file comes back as its result);
:meth:`LabelMappingMemory.asking` turns that result into the question and a retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from liversynth.errors import UnmappedLabelsError

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

    def asking(
        self,
        parent: QtWidgets.QWidget | None,
        retry: Callable[[dict[int, int]], None],
        done: Callable[[object], None],
    ) -> Callable[[object], None]:
        """A load callback: an :class:`UnmappedLabelsError` result asks the user for a mapping
        (``dialogs.ask_label_mapping``), remembers it and calls ``retry(mapping)``; any other
        result goes to ``done``."""
        from liversynth_gui import dialogs

        def on_done(result: object) -> None:
            if not isinstance(result, UnmappedLabelsError):
                done(result)
                return
            mapping = dialogs.ask_label_mapping(parent, result.path, result.ids)
            if mapping is not None:
                self.remember(result.path, mapping)
                retry(mapping)

        return on_done


def mapping_guard(work: Callable[[], object]) -> Callable[[], object]:
    """``work`` whose "labels need a mapping" error comes back as its result (not a failure)."""

    def guarded() -> object:
        try:
            return work()
        except UnmappedLabelsError as err:
            return err

    return guarded
