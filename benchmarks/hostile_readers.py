"""The readers the hostile-input suite attacks: ``name -> read(path) -> output bytes``.

Each function is what the application does with a file of that kind, end to end (a resumed
training state is also restored; a session is also reopened on an in-memory case), so an
exception anywhere in that path counts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from liversynth.authoring.autosave import find_recoverable
from liversynth.authoring.session import load_session
from liversynth.io import Limits, load_labels, load_volume
from liversynth.lesions.bank import LesionBank
from liversynth.volume import Case, Volume

LIMITS = Limits(max_bytes=512 * 2**20, max_scan_seconds=20.0)
LABEL_GRID = (3, 5, 6)


def read_volume(path: Path) -> int:
    return int(load_volume(path, limits=LIMITS).hu.nbytes)


def read_labels(path: Path) -> int:
    like = Volume(np.zeros(LABEL_GRID, np.int16), (2.0, 1.0, 1.0), "grid", {})
    return int(load_labels(path, like, limits=LIMITS).nbytes)


def read_bank(path: Path) -> int:
    bank = LesionBank.load(path)
    return sum(les.mask.nbytes for les in bank)


def read_model(path: Path) -> int:
    from liversynth.checkpoint import load_model

    generator, _ = load_model(path)
    return sum(p.numel() * p.element_size() for p in generator.parameters())


def read_training_state(path: Path) -> int:
    from model_training.state import load_training_state, restore_rng, state_boundary

    loaded = load_training_state(path)
    with state_boundary(path):  # what train() does on --resume
        restore_rng(loaded.tensors)
    return sum(t.numel() * t.element_size() for t in loaded.tensors.values())


def session_case() -> Case:
    """The in-memory case hostile sessions are reopened on (shape 4x16x16)."""
    hu = np.zeros((4, 16, 16), np.int16)
    labels = np.zeros((4, 16, 16), np.uint8)
    labels[:, 4:12, 4:12] = 1
    return Case("memory", Volume(hu, (2.0, 1.0, 1.0), "memory", {}), labels)


def read_session(path: Path) -> int:
    doc = load_session(path, case=session_case())
    return sum(m.nbytes for m in doc.masks_snapshot().values())


def read_autosave(path: Path) -> int:
    return len(find_recoverable(path, is_alive=lambda pid, host: False))


READERS: dict[str, Callable[[Path], int]] = {
    "volume": read_volume,
    "labels": read_labels,
    "lesion_bank": read_bank,
    "model": read_model,
    "training_state": read_training_state,
    "session": read_session,
    "autosave": read_autosave,
}
