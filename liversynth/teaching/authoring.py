"""A teacher adds the slice on screen to a quiz: "Add this slice as an item" (Qt-free).

The item is cut from the case around the slice (same spacing and size as the quiz's other
items, see :mod:`liversynth.teaching.patches`), written under the next neutral name, and its
truth (the current mask; real, synthetic or none) goes into the key. A folder without
``quiz.json`` becomes a new quiz.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.teaching.build import BuildOptions
from liversynth.teaching.item_io import write_item
from liversynth.teaching.long_axis import true_long_axis
from liversynth.teaching.patches import PatchGeometry, sample_hu, sample_mask
from liversynth.teaching.quiz import (
    ITEMS_DIR,
    KEY_DIR,
    KINDS,
    QUIZ_FILE,
    AnswerKey,
    KeyItem,
    Quiz,
    QuizItem,
    load_key,
    load_quiz,
    save_key,
    save_quiz,
)
from liversynth.typing import SpacingZYX


def open_or_create(folder: str | Path, title: str = "Teacher's quiz") -> tuple[Quiz, AnswerKey]:
    """The quiz and key in ``folder``, or a new empty quiz with the default grid."""
    folder = Path(folder)
    if (folder / QUIZ_FILE).is_file():
        return load_quiz(folder), load_key(folder)
    o = BuildOptions()
    quiz = Quiz(title, o.instructions, [], o.spacing_mm, o.shape_zyx, folder=folder)
    return quiz, AnswerKey({}, o.tolerance_mm, o.measure_tolerance_mm, {"made_by": "teacher"})


def add_slice_item(
    folder: str | Path,
    *,
    hu_zyx: np.ndarray,
    spacing_mm: SpacingZYX,
    z: int,
    kind: str,
    lesion_zyx: np.ndarray | None,
    synthetic: bool | None,
    source: dict[str, Any] | None = None,
    filler: str | None = None,
    appearance: dict[str, float | None] | None = None,
    model: tuple[str | None, str | None] = (None, None),
) -> str:
    """Cut an item around slice ``z`` of a case and append it to the quiz in ``folder``.

    Args:
        hu_zyx: the case (HU), with the synthetic fill already in place if any.
        spacing_mm: its voxel size.
        z: the slice on screen (the item's middle slice).
        kind: the item kind.
        lesion_zyx: the lesion on the case's grid (``None`` or empty: no lesion).
        synthetic: whether that lesion is synthetic (ignored without a lesion).
        source, filler, appearance, model: provenance for the key.

    Returns:
        The new item's id.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown item kind {kind!r}")
    folder = Path(folder)
    quiz, key = open_or_create(folder)
    has_lesion = lesion_zyx is not None and bool(np.any(lesion_zyx[z]))
    if has_lesion:
        assert lesion_zyx is not None
        cy, cx = ndimage.center_of_mass(lesion_zyx[z])
    else:
        cy, cx = (np.asarray(hu_zyx.shape[1:]) - 1) / 2.0
    geo = PatchGeometry(
        (float(z), float(cy), float(cx)), spacing_mm, quiz.spacing_mm, quiz.shape_zyx
    )
    box = geo.source_box(hu_zyx.shape)
    off = tuple(s.start for s in box)
    item_id = f"item_{len(quiz.items) + 1:03d}"
    while (folder / ITEMS_DIR / f"{item_id}.nii.gz").exists():
        item_id = f"item_{int(item_id[5:]) + 1:03d}"
    image = f"{ITEMS_DIR}/{item_id}.nii.gz"
    write_item(folder / image, sample_hu(hu_zyx[box], geo, offset=off), quiz.spacing_mm)
    entry = KeyItem(kind=kind, has_lesion=has_lesion, source=dict(source or {}))
    if has_lesion:
        assert lesion_zyx is not None
        target = sample_mask(lesion_zyx[box], geo, offset=off)
        entry.synthetic = bool(synthetic)
        entry.mask = f"{KEY_DIR}/{item_id}_mask.nii.gz"
        write_item(folder / entry.mask, 2 * target.astype(np.uint8), quiz.spacing_mm)
        entry.long_axis_mm, entry.long_axis = true_long_axis(target, quiz.spacing_mm)
        if synthetic:
            entry.filler, entry.appearance = filler, appearance
            entry.model, entry.model_sha256 = model
    quiz.items.append(QuizItem(item_id, kind, image, KINDS[kind]))
    key.items[item_id] = entry
    save_key(key, folder)
    save_quiz(quiz, folder)
    return item_id
