"""Backward-compatible entry point for the ``gan`` filler.

The engine lives in :mod:`liversynth.fillers.gan`; ``Filler``, ``Filler.from_checkpoint`` and
:func:`default_model_path` stay importable from here so scripts written against
``liversynth.inference`` keep working.
"""

from liversynth.fillers.gan import (
    DEFAULT_FLIPS,
    Filler,
    default_model_path,
    resolve_device,
    usable_cores,
)

__all__ = ["DEFAULT_FLIPS", "Filler", "default_model_path", "resolve_device", "usable_cores"]
