"""Building a quiz: deterministic, every item alike but for its voxels, no answer in the
trainee's files; real data: synthetic lesions also in the scan that gives the real tumours."""

from __future__ import annotations

import gzip
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from liversynth.teaching.authoring import add_slice_item
from liversynth.teaching.build import BuildOptions, build_quiz, plan_items
from liversynth.teaching.item_io import header_bytes, read_item
from liversynth.teaching.quiz import KINDS, load_key, load_quiz, write_trainee_copy
from liversynth.volume import TUMOUR, Case, Volume

ALL_KINDS = tuple(KINDS)
#: Words that would give an answer away if a trainee's file contained them.
TELLTALE = re.compile(
    rb"synthetic|procedural|filler|phantom|3dircadb|lesion_shape|appearance|mask|label", re.I
)


@pytest.fixture(scope="module")
def phantom_cases() -> tuple[Case, Case]:
    from liversynth.phantom import make_phantom

    real = make_phantom(0, shape=(24, 128, 128), spacing_mm=(2.5, 1.5, 1.5))
    healthy = make_phantom(1, shape=(24, 128, 128), spacing_mm=(2.5, 1.5, 1.5))
    assert healthy.labels is not None
    healthy.labels[healthy.labels == TUMOUR] = 1  # its tumours are not there for this test
    return real, healthy


def _options(seed: int = 3, **kw) -> BuildOptions:
    base = dict(
        count=8,
        kinds=ALL_KINDS,
        seed=seed,
        filler="procedural",
        crop_px=32,
        slab_slices=3,
        min_lesion_mm=4.0,
        spacing_mm=(2.5, 1.2, 1.2),
    )
    base.update(kw)
    return BuildOptions(**base)


@pytest.fixture(scope="module")
def phantom_quiz(tmp_path_factory: pytest.TempPathFactory, phantom_cases) -> Path:
    out = tmp_path_factory.mktemp("quiz") / "q"
    build_quiz(out, real=[phantom_cases[0]], healthy=[phantom_cases[1]], options=_options())
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_plan_is_balanced_and_shuffled() -> None:
    plan = plan_items(BuildOptions(count=12, kinds=("real_or_synthetic", "normal"), seed=1))
    ros = [t for k, t in plan if k == "real_or_synthetic"]
    normal = [t for k, t in plan if k == "normal"]
    assert sorted(ros) == ["real"] * 3 + ["synthetic"] * 3
    assert normal.count("none") == 3 and len(normal) == 6
    assert plan != plan_items(BuildOptions(count=12, kinds=("real_or_synthetic", "normal"), seed=2))


def test_same_seed_same_bytes(tmp_path: Path, phantom_cases, phantom_quiz: Path) -> None:
    again = tmp_path / "again"
    build_quiz(again, real=[phantom_cases[0]], healthy=[phantom_cases[1]], options=_options())
    assert _files(again) == _files(phantom_quiz)
    other = tmp_path / "other"
    build_quiz(other, real=[phantom_cases[0]], healthy=[phantom_cases[1]], options=_options(seed=4))
    assert _files(other) != _files(phantom_quiz)


def test_items_are_alike_but_for_their_voxels(phantom_quiz: Path) -> None:
    quiz, key = load_quiz(phantom_quiz), load_key(phantom_quiz)
    truths = {
        ("synthetic" if k.synthetic else "real") if k.has_lesion else "none"
        for k in key.items.values()
    }
    assert truths == {"real", "synthetic", "none"}
    assert {k.source["case"] for k in key.items.values() if k.synthetic} <= {
        "phantom-0",
        "phantom-1",
    }
    headers = {header_bytes(phantom_quiz / it.image) for it in quiz.items}
    assert len(headers) == 1  # identical header bytes: shape, spacing, affine, descrip...
    header = headers.pop()
    assert header[148:228] == b"\0" * 80  # descrip empty
    assert [it.id for it in quiz.items] == [f"item_{i:03d}" for i in range(1, 9)]
    for it in quiz.items:
        raw = (phantom_quiz / it.image).read_bytes()
        assert raw[3] == 0 and raw[4:8] == b"\0\0\0\0"  # gzip: no file name, no time stamp
        hu, spacing = read_item(phantom_quiz / it.image)
        assert hu.shape == (3, 32, 32) and spacing == pytest.approx((2.5, 1.2, 1.2))
        assert hu.dtype == np.int16 and len(np.unique(hu)) > 20  # CT, not a mask
        assert it.question == KINDS[it.kind]
    for item_id, k in key.items.items():
        assert k.has_lesion == (k.mask is not None)
        if k.synthetic:
            assert (
                k.filler == "procedural"
                and k.appearance
                and k.appearance["contrast_hu"] is not None
            )
            assert k.seed is not None and "placement" in k.source
        if k.has_lesion:
            mask, _ = read_item(phantom_quiz / k.mask)
            assert (mask == 2).any(), item_id  # the target lesion is in the item
            assert k.long_axis_mm and k.long_axis_mm > 3.0


def test_trainee_copy_holds_no_answer(tmp_path: Path, phantom_quiz: Path) -> None:
    zpath = write_trainee_copy(phantom_quiz, tmp_path / "trainee.zip")
    with zipfile.ZipFile(zpath) as zf:
        names = sorted(zf.namelist())
        contents = {n: zf.read(n) for n in names}
    assert names == [f"items/item_{i:03d}.nii.gz" for i in range(1, 9)] + ["quiz.json"]
    quiz_json = json.loads(contents["quiz.json"])
    assert set(quiz_json) == {
        "format",
        "version",
        "title",
        "instructions",
        "time_limit_s",
        "spacing_mm",
        "shape_zyx",
        "window",
        "items",
    }
    for entry in quiz_json["items"]:
        assert set(entry) == {"id", "kind", "image", "question"}
        assert entry["question"] == KINDS[entry["kind"]]
    # Every byte the trainee gets, with the fixed question texts and kind names (the same for
    # every item of a kind) taken out, is free of telltales.
    text = contents["quiz.json"].replace(b'"real_or_synthetic"', b"")
    for q in KINDS.values():
        text = text.replace(q.encode(), b"")
    assert not TELLTALE.search(text)
    for name in names[:-1]:
        raw = contents[name]
        assert not TELLTALE.search(raw[:64])
        assert not TELLTALE.search(gzip.decompress(raw)[:352])  # header + extension flag
        assert gzip.decompress(raw)[348:352] == b"\0\0\0\0"  # no NIfTI extensions


def test_teacher_adds_the_slice_on_screen(
    tmp_path: Path, phantom_cases, phantom_quiz: Path
) -> None:
    case = phantom_cases[0]
    tumour = case.labels == TUMOUR
    z = int(np.argmax(tumour.sum(axis=(1, 2))))
    folder = tmp_path / "mine"
    first = add_slice_item(
        folder,
        hu_zyx=case.volume.hu,
        spacing_mm=case.volume.spacing_mm,
        z=z,
        kind="measure",
        lesion_zyx=tumour,
        synthetic=False,
        source={"case": case.name, "slice": z},
    )
    second = add_slice_item(
        folder,
        hu_zyx=case.volume.hu,
        spacing_mm=case.volume.spacing_mm,
        z=z,
        kind="normal",
        lesion_zyx=None,
        synthetic=None,
    )
    quiz, key = load_quiz(folder), load_key(folder)
    assert [it.id for it in quiz.items] == [first, second] == ["item_001", "item_002"]
    assert key.items[first].has_lesion and key.items[first].synthetic is False
    assert key.items[first].long_axis_mm > 5 and not key.items[second].has_lesion
    # Same grid and header as the default built quizzes.
    default = BuildOptions()
    assert quiz.shape_zyx == default.shape_zyx and quiz.spacing_mm == default.spacing_mm
    assert header_bytes(folder / quiz.items[0].image) == header_bytes(folder / quiz.items[1].image)


def _small(case: Case, slices: int = 20, stride: int = 2) -> Case:
    """The same scan cut to ``slices`` slices through its largest tumour (else the liver's
    middle) and its liver box, every ``stride``-th pixel in-plane: less to prepare, same code."""
    labels = case.labels
    assert labels is not None
    rows = (labels == TUMOUR) if (labels == TUMOUR).any() else (labels == 1)
    zc = int(np.argmax(rows.sum(axis=(1, 2))))
    z0 = max(0, zc - slices // 2)
    _, ys, xs = np.nonzero(labels[z0 : z0 + slices] >= 1)
    box = (
        slice(z0, z0 + slices),
        slice(ys.min() - 8, ys.max() + 9, stride),
        slice(xs.min() - 8, xs.max() + 9, stride),
    )
    sz, sy, sx = case.volume.spacing_mm
    vol = Volume(
        np.ascontiguousarray(case.volume.hu[box]),
        (sz, sy * stride, sx * stride),
        case.volume.source,
    )
    return Case(case.name, vol, np.ascontiguousarray(labels[box]))


@pytest.mark.realdata
@pytest.mark.slow
def test_real_data_quiz_is_deterministic_and_mixes_scans(
    tmp_path: Path, ircad11: Path, ircad17: Path
) -> None:
    from liversynth.fillers.base import Appearance
    from liversynth.fillers.registry import make_filler
    from liversynth.io import load_case
    from liversynth.teaching.sources import prepare_scan, synthetic_item

    real, healthy = _small(load_case(ircad11)), _small(load_case(ircad17))
    options = BuildOptions(
        count=4,
        kinds=("real_or_synthetic", "find"),
        seed=5,
        filler="procedural",
        crop_px=40,
        slab_slices=3,
    )
    a = build_quiz(tmp_path / "a", real=[real], healthy=[healthy], options=options)
    build_quiz(tmp_path / "b", real=[real], healthy=[healthy], options=options)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    key = load_key(tmp_path / "a")
    assert {k.source["case"] for k in key.items.values() if k.synthetic is False} == {"3Dircadb1.1"}
    assert len({header_bytes(tmp_path / "a" / it.image) for it in a.items}) == 1
    # Synthetic lesions also go into the tumour-free liver of the scan with real tumours.
    scan = prepare_scan(real, margin_mm=3.0, tumour_gap_mm=15.0, min_lesion_mm=8.0)
    assert scan.region is not None and scan.lesions
    rng = np.random.default_rng(0)
    drawn = synthetic_item(
        scan,
        scan.lesions,
        make_filler("procedural"),
        Appearance(-40.0, 0.3),
        rng,
        (2.0, 0.8, 0.8),
        (3, 40, 40),
        0.1,
    )
    assert drawn.target is not None and drawn.target.any()
    assert not (drawn.target & (drawn.lesions & ~drawn.target)).any()
    offset = drawn.facts["source"]["placement"]["offset_zyx"]
    assert not scan.tumour[offset[0] : offset[0] + 1].all()
