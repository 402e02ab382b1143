"""Fillers: one interface (:class:`SliceFiller`), several engines, one registry.

Use :func:`make_filler` / :func:`available_fillers` from ``liversynth.fillers.registry``;
the engines are imported lazily so that listing them does not load torch models.
"""

from liversynth.fillers.base import SliceFiller

__all__ = ["SliceFiller"]
