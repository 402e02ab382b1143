"""Filler names → factories: the one place the GUI, ``evaluate`` and synthesis look fillers up.

Example:
    >>> "mean" in available_fillers() and "biharmonic" in available_fillers()
    True
    >>> make_filler("mean").name
    'mean'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import torch

from liversynth.fillers.base import SliceFiller


class _Entry(NamedTuple):
    module: str  # imported first; the filler is "available" only if this imports
    build: Callable[..., SliceFiller]  # called with (module, model_path, device, **kwargs)


def _gan(
    module: Any, model_path: Path | None, device: str | torch.device, **kw: Any
) -> SliceFiller:
    path = model_path if model_path is not None else module.default_model_path()
    return module.Filler.from_checkpoint(path, device=device, **kw)


def _cpu_class(class_name: str) -> Callable[..., SliceFiller]:
    # CPU-only fillers ignore model_path and device, so one call works for every name.
    def build(
        module: Any, model_path: Path | None, device: str | torch.device, **kw: Any
    ) -> SliceFiller:
        del model_path, device
        return getattr(module, class_name)(**kw)

    return build


#: name → where it lives and how to build it. Modules are imported lazily, on use.
_FILLERS: dict[str, _Entry] = {
    "gan": _Entry("liversynth.inference", _gan),
    "mean": _Entry("liversynth.fillers.classical", _cpu_class("MeanFiller")),
    "biharmonic": _Entry("liversynth.fillers.classical", _cpu_class("BiharmonicFiller")),
    # --- synthesis engineer's fillers: listed only once their modules exist and import. ---
    "procedural": _Entry("liversynth.fillers.procedural", _cpu_class("ProceduralFiller")),
    "copy_paste": _Entry("liversynth.fillers.copy_paste", _cpu_class("CopyPasteFiller")),
}


def _import(name: str) -> Any:
    entry = _FILLERS[name]
    return importlib.import_module(entry.module)


def available_fillers() -> list[str]:
    """Names of the fillers whose code is importable here, in registry order."""
    names = []
    for name in _FILLERS:
        try:
            _import(name)
        except ImportError:
            continue
        names.append(name)
    return names


def make_filler(
    name: str,
    *,
    model_path: str | Path | None = None,
    device: str | torch.device = "auto",
    **kwargs: Any,
) -> SliceFiller:
    """Build the filler called ``name``.

    Args:
        name: ``gan``, ``mean``, ``biharmonic``, ``procedural`` or ``copy_paste``.
        model_path: the ``gan`` model file (default:
            :func:`liversynth.inference.default_model_path`);
            ignored by the other fillers.
        device: ``auto``/``cpu``/``cuda`` for ``gan``; CPU-only fillers ignore it.
        **kwargs: passed to the filler's constructor.

    Raises:
        ValueError: an unknown name, or a filler whose code is not importable.
        ModelFileError: the ``gan`` model file is missing or invalid.
    """
    if name not in _FILLERS:
        raise ValueError(f"unknown filler {name!r}; available: {', '.join(available_fillers())}")
    try:
        module = _import(name)
    except ImportError as err:
        raise ValueError(f"filler {name!r} is not available here: {err}") from None
    path = Path(model_path) if model_path is not None else None
    return _FILLERS[name].build(module, path, device, **kwargs)
