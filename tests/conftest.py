"""Shared fixtures: the real data folder (skipped when absent) and a small phantom case."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

# GUI tests must run without a screen; set before any Qt import happens.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LIVERSYNTH_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real CT (``../shared/data``); the test is skipped where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (a fresh clone has no ../shared)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def ircad11(shared_data: Path) -> Path:
    path = shared_data / "3Dircadb1.1"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def ircad17(shared_data: Path) -> Path:
    path = shared_data / "3Dircadb1.7"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def totalseg(shared_data: Path) -> Path:
    path = shared_data / "totalsegmentator-example"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture
def toy_engine() -> Iterator[SimpleNamespace]:
    """A new engine, added the way a contributor adds one: one class and one ``register`` line.

    Yields ``name`` and ``level_hu`` (every lesion pixel it paints has exactly that value) while
    it is registered; it is unregistered afterwards (and checked gone).
    """
    import numpy as np

    from liversynth.fillers.base import SliceWiseVolumeMixin
    from liversynth.fillers.registry import FillerInfo, available_fillers, register, unregister

    class ToyFiller(SliceWiseVolumeMixin):
        """Paints the lesion at a flat 42 HU."""

        name = "toy"
        device = "cpu"

        def fill(
            self,
            slice_hu: np.ndarray,
            mask: np.ndarray,
            *,
            liver_mask: np.ndarray | None = None,
            seed: int | None = None,
        ) -> np.ndarray:
            out = np.array(slice_hu, dtype=np.float32)
            out[np.asarray(mask, bool)] = 42.0
            return out

    register(FillerInfo("toy", lambda _path, _device, **kw: ToyFiller(), "a flat toy fill"))
    try:
        yield SimpleNamespace(name="toy", level_hu=42.0)
    finally:
        unregister("toy")
    assert "toy" not in available_fillers()
