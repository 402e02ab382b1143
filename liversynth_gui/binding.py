"""Connections from a widget to one document at a time (the napari habit, made re-bindable).

Opening a session gives a new :class:`~liversynth.authoring.Document`; every panel then drops
its callbacks on the old one and connects to the new one through :class:`Connections`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from liversynth.authoring import Signal


class Connections:
    """Remembers ``(signal, callback)`` pairs so they can all be disconnected at once."""

    def __init__(self) -> None:
        self._pairs: list[tuple[Signal, Callable[..., Any]]] = []

    def listen(self, signal: Signal, callback: Callable[..., Any]) -> None:
        """Connect ``callback`` to ``signal`` and remember it."""
        signal.connect(callback)
        self._pairs.append((signal, callback))

    def clear(self) -> None:
        """Disconnect everything connected through :meth:`listen`."""
        for signal, callback in self._pairs:
            signal.disconnect(callback)
        self._pairs.clear()
