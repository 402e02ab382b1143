"""A tiny Qt-free signal: the document announces changes, widgets listen.

The core must not import Qt (DESIGN.md), yet widgets need to hear about model changes. This is
the napari habit: the model is plain Python that emits events; a thin Qt binding connects a
widget to them and updates the widget under a blocker so the update does not echo back.

Example:
    >>> sig = Signal("slice_changed")
    >>> seen = []
    >>> _ = sig.connect(seen.append)
    >>> sig.emit(3)
    >>> with sig.blocked():
    ...     sig.emit(4)
    >>> seen
    [3]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Callback = Callable[..., Any]


class Signal:
    """A list of callbacks called synchronously, in connection order, by :meth:`emit`.

    Emission happens in the caller's thread; the document is only touched from the GUI thread,
    so no locking is needed (results from the worker hop to the GUI thread first).

    Args:
        name: for ``repr`` and error messages only.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._callbacks: list[Callback] = []
        self._blocked = 0

    def connect(self, callback: Callback) -> Callback:
        """Call ``callback(*args)`` on every emit; returns it (usable as a decorator).

        Connecting the same callback twice has no effect.
        """
        if not callable(callback):
            raise TypeError(f"{self.name or 'signal'}: cannot connect non-callable {callback!r}")
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback | None = None) -> None:
        """Remove ``callback`` (or every callback when ``None``); unknown callbacks are ignored."""
        if callback is None:
            self._callbacks.clear()
        elif callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        """Call every connected callback with ``args``, unless the signal is blocked."""
        if self._blocked:
            return
        # Iterate over a copy: a callback may disconnect itself.
        for callback in list(self._callbacks):
            callback(*args)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Suppress emission inside the ``with`` block (nestable)."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1

    @property
    def is_blocked(self) -> bool:
        return self._blocked > 0

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"Signal({self.name!r}, {len(self._callbacks)} callbacks)"


class DocumentEvents:
    """The signals a :class:`~liversynth.authoring.document.Document` emits (``doc.events``).

    Payloads:
        volume_changed(): a new case was opened (everything else changed too).
        slice_changed(z: int): the shown slice index.
        window_changed(window: Window): the display window.
        mask_changed(z: int): the lesion mask of slice ``z`` changed (stroke, undo, fill holes...).
        history_changed(): ``can_undo`` / ``can_redo`` may have changed.
        stamp_changed(stamp: LesionStamp | None): the floating stamp (or its pose) changed.
        fill_changed(): ``last_fill`` changed (new result, or cleared).
        metrics_changed(metrics: dict | None): ``last_metrics`` changed.
        filler_changed(name: str, model_path: str | None): the chosen filler.
        brush_changed(radius_px: int): the brush radius.
        dirty_changed(dirty: bool): unsaved work appeared / was saved.
        fill_progress(done: int, total: int): slices filled so far by a volume fill.
        bank_changed(): the lesion bank offered as stamp sources changed.
    """

    NAMES: tuple[str, ...] = (
        "volume_changed",
        "slice_changed",
        "window_changed",
        "mask_changed",
        "history_changed",
        "stamp_changed",
        "fill_changed",
        "metrics_changed",
        "filler_changed",
        "brush_changed",
        "dirty_changed",
        "fill_progress",
        "bank_changed",
    )

    def __init__(self) -> None:
        self.volume_changed = Signal("volume_changed")
        self.slice_changed = Signal("slice_changed")
        self.window_changed = Signal("window_changed")
        self.mask_changed = Signal("mask_changed")
        self.history_changed = Signal("history_changed")
        self.stamp_changed = Signal("stamp_changed")
        self.fill_changed = Signal("fill_changed")
        self.metrics_changed = Signal("metrics_changed")
        self.filler_changed = Signal("filler_changed")
        self.brush_changed = Signal("brush_changed")
        self.dirty_changed = Signal("dirty_changed")
        self.fill_progress = Signal("fill_progress")
        self.bank_changed = Signal("bank_changed")

    def all(self) -> list[Signal]:
        """Every signal, in :attr:`NAMES` order."""
        return [getattr(self, name) for name in self.NAMES]

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Block every signal of the document at once (e.g. while loading a session)."""
        signals = self.all()
        for sig in signals:
            sig._blocked += 1
        try:
            yield
        finally:
            for sig in signals:
                sig._blocked -= 1
