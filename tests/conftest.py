"""Shared fixtures: the real data folder (skipped when absent) and a small phantom case."""

from __future__ import annotations

import os
from pathlib import Path

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
