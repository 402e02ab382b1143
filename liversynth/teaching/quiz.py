"""The quiz folder: ``quiz.json`` (what the trainee sees) and ``key.json`` (what they do not).

``quiz.json`` holds only what a trainee needs to take the quiz: a title, instructions, an
optional time limit, the common grid (spacing, shape, initial window) and, per item, its id,
kind, image file and question. No label, source, filler or "synthetic" flag is in it.

``key.json`` (with the lesion masks under ``key/``) holds the truth per item: whether it is
synthetic, whether it has a lesion, the true long axis, and where it came from (source case,
filler, model hash, appearance, seed). The trainee's copy (:func:`write_trainee_copy`) leaves
``key.json``, ``key/`` and other trainees' answers out.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from liversynth.atomic import atomic_write
from liversynth.errors import LoadError
from liversynth.typing import SpacingZYX

QUIZ_FORMAT = "liversynth-quiz"
KEY_FORMAT = "liversynth-quiz-key"
FORMAT_VERSION = 1
QUIZ_FILE = "quiz.json"
KEY_FILE = "key.json"
KEY_DIR = "key"
ITEMS_DIR = "items"
#: Read no quiz or key file larger than this (they are small JSON).
MAX_JSON_BYTES = 16 * 1024 * 1024

#: Item kinds and the question each shows.
KINDS: dict[str, str] = {
    "find": "Click every lesion you see (scroll through the slab).",
    "real_or_synthetic": "Is the lesion in this image real or synthetic? How sure are you?",
    "measure": "Draw the lesion's long axis (RECIST).",
    "normal": "Is this liver normal or abnormal?",
}


@dataclass(frozen=True)
class QuizItem:
    """One item as the trainee sees it.

    Attributes:
        id: neutral name (``item_001``).
        kind: one of :data:`KINDS`.
        image: path of the NIfTI image, relative to the quiz folder.
        question: the text shown with it.
    """

    id: str
    kind: str
    image: str
    question: str


@dataclass
class Quiz:
    """``quiz.json``.

    Attributes:
        title: shown in the title bar.
        instructions: shown at the start.
        items: in the order the trainee takes them.
        spacing_mm: voxel size of every item ``(z, y, x)``.
        shape_zyx: shape of every item.
        window: initial display window ``{"width": W, "level": L}`` in HU.
        time_limit_s: optional time limit for the whole quiz.
        folder: where it was read from (not stored).
    """

    title: str
    instructions: str
    items: list[QuizItem]
    spacing_mm: SpacingZYX
    shape_zyx: tuple[int, int, int]
    window: dict[str, float] = field(default_factory=lambda: {"width": 400.0, "level": 40.0})
    time_limit_s: float | None = None
    folder: Path | None = None

    def item(self, item_id: str) -> QuizItem:
        """The item called ``item_id`` (``KeyError`` if absent)."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": QUIZ_FORMAT,
            "version": FORMAT_VERSION,
            "title": self.title,
            "instructions": self.instructions,
            "time_limit_s": self.time_limit_s,
            "spacing_mm": list(self.spacing_mm),
            "shape_zyx": list(self.shape_zyx),
            "window": dict(self.window),
            "items": [asdict(it) for it in self.items],
        }


@dataclass
class KeyItem:
    """The truth about one item (never shown to a trainee before review).

    Attributes:
        kind: the item's kind.
        has_lesion: whether any lesion is in the image.
        synthetic: whether the (target) lesion is synthetic; ``None`` without a lesion.
        mask: path (relative to the quiz folder) of the uint8 lesion mask, or ``None``.
        long_axis_mm: RECIST long axis of the target lesion (largest over the slab's slices).
        long_axis: ``{"z": k, "yx": [[y0, x0], [y1, x1]]}`` where that axis lies.
        source: where it came from (case, slice, centre, lesion id, placement).
        filler: the engine that painted a synthetic lesion, else ``None``.
        model: model file name (model engines) and ``model_sha256`` its hash.
        appearance: the requested :class:`~liversynth.fillers.base.Appearance` (as a dict).
        seed: the filler seed of a synthetic lesion.
    """

    kind: str
    has_lesion: bool
    synthetic: bool | None = None
    mask: str | None = None
    long_axis_mm: float | None = None
    long_axis: dict[str, Any] | None = None
    source: dict[str, Any] = field(default_factory=dict)
    filler: str | None = None
    model: str | None = None
    model_sha256: str | None = None
    appearance: dict[str, float | None] | None = None
    seed: int | None = None


@dataclass
class AnswerKey:
    """``key.json``: the truth per item id and the scoring tolerances."""

    items: dict[str, KeyItem]
    tolerance_mm: float = 5.0
    measure_tolerance_mm: float = 3.0
    build: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": KEY_FORMAT,
            "version": FORMAT_VERSION,
            "tolerance_mm": self.tolerance_mm,
            "measure_tolerance_mm": self.measure_tolerance_mm,
            "build": self.build,
            "items": {k: asdict(v) for k, v in self.items.items()},
        }


def _dump(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=False) + "\n").encode("utf-8")


def _read_json(path: Path, fmt: str) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise LoadError(path, f"larger than {MAX_JSON_BYTES // 2**20} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadError(path, "file is missing (is this a LiverSynth quiz folder?)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LoadError(path, f"not readable JSON ({err})") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise LoadError(path, f"not a {fmt} file")
    if int(data.get("version", 0)) > FORMAT_VERSION:
        raise LoadError(path, f"written by a newer LiverSynth (version {data.get('version')})")
    return data


def save_quiz(quiz: Quiz, folder: str | Path) -> Path:
    """Write ``quiz.json`` atomically into ``folder``."""
    return atomic_write(Path(folder) / QUIZ_FILE, _dump(quiz.to_json()))


def load_quiz(folder: str | Path) -> Quiz:
    """Read ``folder/quiz.json``.

    Raises:
        LoadError: missing, malformed, an unknown item kind, or an image outside the folder.
    """
    folder = Path(folder)
    path = folder / QUIZ_FILE
    data = _read_json(path, QUIZ_FORMAT)
    try:
        items = [
            QuizItem(**{k: str(e[k]) for k in ("id", "kind", "image", "question")})
            for e in data["items"]
        ]
        quiz = Quiz(
            title=str(data.get("title", "")),
            instructions=str(data.get("instructions", "")),
            items=items,
            spacing_mm=tuple(float(s) for s in data["spacing_mm"]),  # type: ignore[arg-type]
            shape_zyx=tuple(int(s) for s in data["shape_zyx"]),  # type: ignore[arg-type]
            window={
                k: float(v) for k, v in data.get("window", {"width": 400, "level": 40}).items()
            },
            time_limit_s=None if data.get("time_limit_s") is None else float(data["time_limit_s"]),
            folder=folder,
        )
    except (KeyError, TypeError, ValueError) as err:
        raise LoadError(path, f"malformed quiz ({err!r})") from None
    for it in quiz.items:
        if it.kind not in KINDS:
            raise LoadError(path, f"item {it.id} has unknown kind {it.kind!r}")
        _inside(folder, it.image, path)
    return quiz


def _inside(folder: Path, rel: str, source: Path) -> Path:
    """``folder/rel``, refusing paths that leave the quiz folder (a hostile quiz)."""
    target = (folder / rel).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise LoadError(source, f"path {rel!r} points outside the quiz folder")
    return target


def item_path(quiz: Quiz, item: QuizItem) -> Path:
    """Absolute path of an item's image."""
    assert quiz.folder is not None
    return _inside(quiz.folder, item.image, quiz.folder / QUIZ_FILE)


def save_key(key: AnswerKey, folder: str | Path) -> Path:
    """Write ``folder/key.json`` atomically."""
    return atomic_write(Path(folder) / KEY_FILE, _dump(key.to_json()))


def has_key(folder: str | Path) -> bool:
    """Whether the answer key is in ``folder`` (a teacher's copy)."""
    return (Path(folder) / KEY_FILE).is_file()


def load_key(folder: str | Path) -> AnswerKey:
    """Read ``folder/key.json``.

    Raises:
        LoadError: missing or malformed.
    """
    folder = Path(folder)
    path = folder / KEY_FILE
    data = _read_json(path, KEY_FORMAT)
    try:
        items = {str(k): KeyItem(**v) for k, v in data["items"].items()}
        key = AnswerKey(
            items,
            tolerance_mm=float(data.get("tolerance_mm", 5.0)),
            measure_tolerance_mm=float(data.get("measure_tolerance_mm", 3.0)),
            build=dict(data.get("build", {})),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise LoadError(path, f"malformed answer key ({err!r})") from None
    for it in key.items.values():
        if it.mask is not None:
            _inside(folder, it.mask, path)
    return key


def trainee_files(folder: str | Path) -> list[Path]:
    """Every file the trainee's copy needs: ``quiz.json`` and the item images, nothing else."""
    quiz = load_quiz(folder)
    return [Path(folder) / QUIZ_FILE] + [item_path(quiz, it) for it in quiz.items]


def write_trainee_copy(folder: str | Path, dest: str | Path) -> Path:
    """Copy what a trainee needs into ``dest`` (a ``.zip`` file or a new folder).

    The answer key, its masks and any answers are left out.
    """
    folder, dest = Path(folder).resolve(), Path(dest)
    files = trainee_files(folder)
    if dest.suffix.lower() == ".zip":

        def _zip(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in files:
                    info = zipfile.ZipInfo(f.relative_to(folder).as_posix(), (1980, 1, 1, 0, 0, 0))
                    zf.writestr(info, f.read_bytes(), zipfile.ZIP_DEFLATED)

        return atomic_write(dest, _zip, suffix=".zip")
    for f in files:
        atomic_write(dest / f.relative_to(folder), f.read_bytes())
    return dest
