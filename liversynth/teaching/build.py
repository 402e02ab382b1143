"""Build a balanced quiz from labelled cases: real tumours, synthetic tumours, healthy liver.

The plan (which kinds, which truth per item) is balanced per kind — half real and half
synthetic lesions for *find*, *real or synthetic* and *measure*; half normal for *normal or
abnormal* — then shuffled with the seed, and item ``k`` is drawn with a generator seeded from
``(seed, k)``. Same cases, options and seed → the same bytes.

Example::

    from liversynth.io import load_case
    quiz = build_quiz("quiz1", real=[load_case(".../3Dircadb1.1")],
                      healthy=[load_case(".../3Dircadb1.7")],
                      options=BuildOptions(count=12, filler="procedural", seed=3))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from liversynth.errors import LiverSynthError
from liversynth.export.provenance import file_sha256
from liversynth.fillers.base import CONTRAST_RANGE_HU, Appearance, SliceFiller
from liversynth.fillers.registry import filler_info, make_filler
from liversynth.lesions.bank import Lesion, extract_lesions
from liversynth.teaching.item_io import write_item
from liversynth.teaching.long_axis import true_long_axis
from liversynth.teaching.quiz import (
    ITEMS_DIR,
    KEY_DIR,
    KINDS,
    AnswerKey,
    KeyItem,
    Quiz,
    QuizItem,
    save_key,
    save_quiz,
)
from liversynth.teaching.sources import (
    Drawn,
    QuizScan,
    normal_item,
    prepare_scan,
    real_item,
    synthetic_item,
)
from liversynth.typing import SpacingZYX
from liversynth.volume import Case

#: Truth cycles per kind (balanced); ``none`` = no lesion.
_CLASSES = {
    "find": ("real", "synthetic"),
    "real_or_synthetic": ("real", "synthetic"),
    "measure": ("real", "synthetic"),
    "normal": ("none", "real", "none", "synthetic"),
}


@dataclass(frozen=True)
class BuildOptions:
    """How to build a quiz (every field is recorded in the key).

    Attributes:
        count: number of items.
        kinds: item kinds, spread evenly.
        seed: same seed → same quiz, byte for byte.
        filler: registry name of the engine for synthetic lesions.
        model_path: model file for model engines (default: the bundled model).
        device: ``auto``/``cpu``/``cuda``.
        contrast_hu: range of :attr:`Appearance.contrast_hu` drawn per synthetic lesion.
        heterogeneity: range of :attr:`Appearance.heterogeneity`.
        spacing_mm: every item's voxel size ``(z, y, x)``.
        crop_px: every item's in-plane size.
        slab_slices: every item's number of slices (scrolled through by the trainee).
        margin_mm: synthetic lesions stay this far inside the liver's edge.
        tumour_gap_mm: and this far from real tumours (so a question has one lesion).
        min_lesion_mm: real lesions smaller than this (equivalent diameter) are not used.
        jitter: in-plane shift of the item centre, as a fraction of the field of view.
        tolerance_mm: a *find* click counts as a hit within this distance of a lesion.
        measure_tolerance_mm: a *measure* answer is right within this error.
        title, instructions, time_limit_s: shown to the trainee.
    """

    count: int = 12
    kinds: tuple[str, ...] = ("find", "real_or_synthetic", "measure")
    seed: int = 0
    filler: str = "gan"
    model_path: str | None = None
    device: str = "auto"
    contrast_hu: tuple[float, float] = (-60.0, -15.0)
    heterogeneity: tuple[float, float] = (0.1, 0.6)
    spacing_mm: SpacingZYX = (2.0, 0.8, 0.8)
    crop_px: int = 96
    slab_slices: int = 5
    margin_mm: float = 3.0
    tumour_gap_mm: float = 15.0
    min_lesion_mm: float = 8.0
    jitter: float = 0.15
    tolerance_mm: float = 5.0
    measure_tolerance_mm: float = 3.0
    title: str = "Liver lesion quiz"
    instructions: str = (
        "Answer each item, then press Submit. Scroll (Page Up/Down) through the slab, "
        "adjust the window, zoom with the wheel. Your answers are saved as you go."
    )
    time_limit_s: float | None = None

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"count must be at least 1, got {self.count}")
        bad = [k for k in self.kinds if k not in KINDS]
        if bad or not self.kinds:
            raise ValueError(f"unknown item kinds {bad}; choose from {', '.join(KINDS)}")
        lo, hi = CONTRAST_RANGE_HU
        if not lo <= self.contrast_hu[0] <= self.contrast_hu[1] <= hi:
            raise ValueError(f"contrast_hu must be an increasing range within {lo}..{hi} HU")
        if not 0 <= self.heterogeneity[0] <= self.heterogeneity[1] <= 1:
            raise ValueError("heterogeneity must be an increasing range within 0..1")
        if self.crop_px < 16 or self.slab_slices < 1:
            raise ValueError("crop_px must be at least 16 and slab_slices at least 1")

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        return (self.slab_slices, self.crop_px, self.crop_px)


def plan_items(options: BuildOptions) -> list[tuple[str, str]]:
    """``(kind, truth)`` per item, balanced per kind and shuffled with the seed."""
    per_kind = {k: 0 for k in options.kinds}
    plan = []
    for i in range(options.count):
        kind = options.kinds[i % len(options.kinds)]
        classes = _CLASSES[kind]
        plan.append((kind, classes[per_kind[kind] % len(classes)]))
        per_kind[kind] += 1
    order = np.random.default_rng(np.random.SeedSequence([options.seed, 0x51])).permutation(
        len(plan)
    )
    return [plan[int(i)] for i in order]


def model_identity(filler: SliceFiller, model_path: str | None) -> tuple[str | None, str | None]:
    """``(file name, sha256)`` of a model engine's weights, ``(None, None)`` for the others."""
    try:
        uses_model = filler_info(filler.name).uses_model
    except ValueError:
        uses_model = False
    path = getattr(filler, "model_path", None) or model_path
    if not uses_model or path is None:
        return None, None
    return Path(path).name, file_sha256(Path(path))


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out}: exists and is not an empty folder")
    (out / ITEMS_DIR).mkdir(parents=True, exist_ok=True)
    (out / KEY_DIR).mkdir(parents=True, exist_ok=True)


def _draw(
    kind: str,
    truth: str,
    k: int,
    scans: list[QuizScan],
    n_real_scans: int,
    real: list[tuple[QuizScan, Lesion]],
    bank: list[Lesion],
    filler: SliceFiller,
    options: BuildOptions,
) -> Drawn:
    rng = np.random.default_rng(np.random.SeedSequence([options.seed, k]))
    sp, shape = options.spacing_mm, options.shape_zyx
    if truth == "real":
        scan, lesion = real[int(rng.integers(len(real)))]
        return real_item(scan, lesion, rng, sp, shape, options.jitter)
    roomy = [s for s in scans if s.region is not None]
    if kind == "real_or_synthetic":
        # The realism question must be decided by the lesion alone: its synthetic lesions go
        # into the scans that give the real ones, so the scan says nothing about the answer.
        roomy = [s for s in scans[:n_real_scans] if s.region is not None] or roomy
    scan = roomy[int(rng.integers(len(roomy)))]
    if truth == "none":
        return normal_item(scan, rng, sp, shape)
    appearance = Appearance(
        contrast_hu=round(float(rng.uniform(*options.contrast_hu)), 1),
        heterogeneity=round(float(rng.uniform(*options.heterogeneity)), 2),
    )
    return synthetic_item(scan, bank, filler, appearance, rng, sp, shape, options.jitter)


def build_quiz(
    out: str | Path,
    *,
    real: Sequence[Case],
    healthy: Sequence[Case] = (),
    lesion_cases: Sequence[Case] = (),
    options: BuildOptions | None = None,
    filler: SliceFiller | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Quiz:
    """Build a quiz folder at ``out`` (new or empty).

    Args:
        out: the quiz folder.
        real: cases with real tumours (label 2); they give the real lesions and, in their
            tumour-free liver, synthetic lesions and normal crops too.
        healthy: tumour-free cases (synthetic lesions and normal crops).
        lesion_cases: where synthetic lesion shapes come from (default: ``real``).
        options: see :class:`BuildOptions`.
        filler: an engine already built (default: ``make_filler(options.filler)``).
        progress: called with ``(done, total)`` after each item.

    Raises:
        LiverSynthError: no real lesion, or no room for synthetic ones.
        FileExistsError: ``out`` is not empty.
    """
    opts = options or BuildOptions()
    out = Path(out)
    plan = plan_items(opts)
    prep = dict(
        margin_mm=opts.margin_mm, tumour_gap_mm=opts.tumour_gap_mm, min_lesion_mm=opts.min_lesion_mm
    )
    scans = [prepare_scan(c, **prep) for c in (*real, *healthy)]
    real_lesions = [(s, les) for s in scans[: len(real)] for les in s.lesions]
    if any(t == "real" for _, t in plan) and not real_lesions:
        raise LiverSynthError(
            f"no real tumour of at least {opts.min_lesion_mm:g} mm in the --real cases"
        )
    bank = [
        les
        for c in lesion_cases
        for les in extract_lesions(c, min_diameter_mm=opts.min_lesion_mm, keep_hu=False)
    ]
    bank = bank or [les for _, les in real_lesions]
    needs_room = any(t in ("synthetic", "none") for _, t in plan)
    if needs_room and not any(s.region is not None for s in scans):
        raise LiverSynthError("no scan has tumour-free liver for synthetic lesions or normal crops")
    if any(t == "synthetic" for _, t in plan) and not bank:
        raise LiverSynthError("no lesion shapes: pass cases with tumours (--lesions or --real)")
    if filler is None:
        filler = make_filler(opts.filler, model_path=opts.model_path, device=opts.device)
    model_name, model_hash = model_identity(filler, opts.model_path)
    _check_out(out)
    items, key_items = [], {}
    for k, (kind, truth) in enumerate(plan):
        drawn = _draw(kind, truth, k, scans, len(real), real_lesions, bank, filler, opts)
        item_id = f"item_{k + 1:03d}"
        image = f"{ITEMS_DIR}/{item_id}.nii.gz"
        write_item(out / image, drawn.hu, opts.spacing_mm)
        key = KeyItem(kind=kind, has_lesion=drawn.target is not None, **drawn.facts)
        if drawn.target is not None:
            key.synthetic = truth == "synthetic"
            key.mask = f"{KEY_DIR}/{item_id}_mask.nii.gz"
            write_item(
                out / key.mask, drawn.lesions.astype(np.uint8) + drawn.target, opts.spacing_mm
            )
            key.long_axis_mm, key.long_axis = true_long_axis(drawn.target, opts.spacing_mm)
        if key.synthetic:
            key.model, key.model_sha256 = model_name, model_hash
        items.append(QuizItem(item_id, kind, image, KINDS[kind]))
        key_items[item_id] = key
        if progress is not None:
            progress(k + 1, len(plan))
    quiz = Quiz(
        opts.title,
        opts.instructions,
        items,
        opts.spacing_mm,
        opts.shape_zyx,
        time_limit_s=opts.time_limit_s,
        folder=out,
    )
    build_record = asdict(opts) | {
        "real": [c.name for c in real],
        "healthy": [c.name for c in healthy],
        "filler_honours": list(filler_info(filler.name).appearance)
        if filler.name in _registered()
        else [],
    }
    save_key(AnswerKey(key_items, opts.tolerance_mm, opts.measure_tolerance_mm, build_record), out)
    save_quiz(quiz, out)
    return quiz


def _registered() -> list[str]:
    from liversynth.fillers.registry import available_fillers

    return available_fillers()
