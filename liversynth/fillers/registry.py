"""Filler names → what they are and how to build them: the one list every front end reads.

``synthesize``, ``evaluate``, the GUI filler panel, the grid renderer and the quiz builder all
take their list of engines from :func:`filler_infos`. Adding an engine is one file in
``liversynth/fillers/`` plus one :func:`register` call below. Engines are imported lazily, in
their ``build`` function, so importing this module loads neither torch nor a model.

Example:
    >>> "mean" in available_fillers() and "biharmonic" in available_fillers()
    True
    >>> make_filler("mean").name
    'mean'
    >>> filler_info("procedural").stochastic
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liversynth.fillers.base import SliceFiller

#: ``build(model_path, device, **kwargs)`` → a filler. CPU engines ignore path and device.
BuildFn = Callable[..., SliceFiller]


@dataclass(frozen=True)
class FillerInfo:
    """One registry entry.

    Attributes:
        name: the name users type (``--filler NAME``) and the GUI lists.
        build: ``build(model_path, device, **kwargs)`` → the engine.
        description: one line for a user (GUI tooltip, ``--help``).
        stochastic: different seeds give different fills (same seed → bit-identical).
        appearance: which :class:`~liversynth.fillers.base.Appearance` fields it honours
            (``()`` = none; the GUI greys the controls out).
        uses_model: takes a model file (``--model``).
        needs_bank: needs a lesion bank (``copy_paste``).
    """

    name: str
    build: BuildFn
    description: str
    stochastic: bool = False
    appearance: tuple[str, ...] = ()
    uses_model: bool = False
    needs_bank: bool = False

    @property
    def honours_appearance(self) -> bool:
        return bool(self.appearance)


_REGISTRY: dict[str, FillerInfo] = {}


def register(info: FillerInfo, *, replace: bool = False) -> FillerInfo:
    """Add an engine to the registry (tests register toy engines; ``unregister`` removes)."""
    if info.name in _REGISTRY and not replace:
        raise ValueError(f"a filler called {info.name!r} is already registered")
    _REGISTRY[info.name] = info
    return info


def unregister(name: str) -> None:
    """Remove an engine (for tests that registered a toy engine)."""
    _REGISTRY.pop(name, None)


def filler_infos() -> list[FillerInfo]:
    """Every registered engine, in registration order."""
    return list(_REGISTRY.values())


def available_fillers() -> list[str]:
    """Names of every registered engine, in registration order."""
    return list(_REGISTRY)


def filler_info(name: str) -> FillerInfo:
    """The entry called ``name``.

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown filler {name!r}; available: {', '.join(available_fillers())}"
        ) from None


def make_filler(
    name: str,
    *,
    model_path: str | Path | None = None,
    device: Any = "auto",
    **kwargs: Any,
) -> SliceFiller:
    """Build the filler called ``name``.

    Args:
        name: a registered name (see :func:`available_fillers`).
        model_path: the model file for engines that use one (default: the bundled model);
            ignored by the others.
        device: ``auto``/``cpu``/``cuda`` (or a ``torch.device``) for model engines.
        **kwargs: passed to the engine's constructor.

    Raises:
        ValueError: an unknown name.
        ModelFileError: the ``gan`` model file is missing or invalid.
    """
    info = filler_info(name)
    path = Path(model_path) if model_path is not None else None
    return info.build(path, device, **kwargs)


# --- the engines ----------------------------------------------------------------------------

#: Every engine honours both controls through :mod:`liversynth.fillers.appearance` (the mean and
#: biharmonic baselines too: a flat or smooth lesion at the requested contrast, mottled on
#: request); an engine that cannot would list fewer fields here.
_ALL_APPEARANCE = ("contrast_hu", "heterogeneity")


def _build_gan(model_path: Path | None, device: Any, **kw: Any) -> SliceFiller:
    from liversynth.fillers.gan import Filler, default_model_path

    return Filler.from_checkpoint(model_path or default_model_path(), device=device, **kw)


def _build_mean(model_path: Path | None, device: Any, **kw: Any) -> SliceFiller:
    from liversynth.fillers.classical import MeanFiller

    return MeanFiller(**kw)


def _build_biharmonic(model_path: Path | None, device: Any, **kw: Any) -> SliceFiller:
    from liversynth.fillers.classical import BiharmonicFiller

    return BiharmonicFiller(**kw)


def _build_procedural(model_path: Path | None, device: Any, **kw: Any) -> SliceFiller:
    from liversynth.fillers.procedural import ProceduralFiller

    return ProceduralFiller(**kw)


def _build_copy_paste(model_path: Path | None, device: Any, **kw: Any) -> SliceFiller:
    from liversynth.fillers.copy_paste import CopyPasteFiller

    return CopyPasteFiller(**kw)


register(
    FillerInfo(
        "gan",
        _build_gan,
        "pix2pix structure + the scan's own grain (noise power spectrum of the liver around it)",
        stochastic=True,
        appearance=_ALL_APPEARANCE,
        uses_model=True,
    )
)
register(
    FillerInfo(
        "mean",
        _build_mean,
        "flat fill with the surrounding liver's mean HU",
        appearance=_ALL_APPEARANCE,
    )
)
register(
    FillerInfo(
        "biharmonic",
        _build_biharmonic,
        "biharmonic in-painting from the lesion's rim",
        appearance=_ALL_APPEARANCE,
    )
)
register(
    FillerInfo(
        "procedural",
        _build_procedural,
        "shape-aware synthetic tumour texture (SyntheticTumors-style)",
        stochastic=True,
        appearance=_ALL_APPEARANCE,
    )
)
register(
    FillerInfo(
        "copy_paste",
        _build_copy_paste,
        "a real lesion from the bank, moved here (TumorCP-style)",
        stochastic=True,
        appearance=_ALL_APPEARANCE,
        needs_bank=True,
    )
)
