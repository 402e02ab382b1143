"""A writer killed mid-write leaves a temporary that one pattern finds and removes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from liversynth.atomic import remove_stale_temps, stale_temps

KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from liversynth.atomic import atomic_write
def die(tmp):
    tmp.write_bytes(b"x" * 1000)
    os.kill(os.getpid(), signal.SIGKILL)
atomic_write(Path(sys.argv[1]), die, suffix=sys.argv[2])
"""


@pytest.mark.parametrize(
    ("name", "suffix"),
    [("best.safetensors", ".tmp"), ("losses.png", ".tmp"), ("item.nii.gz", ".nii.gz")],
)
def test_killed_write_leaves_a_temp_the_cleanup_removes(tmp_path: Path, name, suffix) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path / name), suffix])
    assert proc.returncode != 0
    left = stale_temps(tmp_path)
    assert len(left) == 1 and not (tmp_path / name).exists()
    (tmp_path / "keep.txt").write_text("mine")  # the user's files are never touched
    assert remove_stale_temps(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
