"""Splits: by patient with >= 3 patients, by 3-D lesion otherwise; never leaking a held-out unit."""

from __future__ import annotations

import pytest

from model_training.records import SliceRecord
from model_training.split import assign_splits


def _records(patients: int, slices_per_lesion: dict[int, list[int]]) -> list[SliceRecord]:
    """Each patient has the lesions given as component id -> slice indices."""
    out = []
    for p in range(patients):
        by_z: dict[int, list[int]] = {}
        for comp, zs in slices_per_lesion.items():
            for z in zs:
                by_z.setdefault(z, []).append(comp)
        for z, comps in sorted(by_z.items()):
            out.append(
                SliceRecord(
                    case=f"c{p}",
                    patient=f"p{p}",
                    z=z,
                    spacing_mm=(1, 1, 1),
                    full_shape=(8, 8),
                    components=sorted(comps),
                    eval_components=sorted(comps),
                )
            )
    return out


def test_patient_split_keeps_each_patient_in_one_split() -> None:
    records = _records(10, {1: [0, 1, 2]})
    plan = assign_splits(records, seed=3, val_fraction=0.2, test_fraction=0.2)
    assert plan.unit == "patient"
    split_of = {}
    for r in records:
        assert split_of.setdefault(r.patient, r.split) == r.split
    counts = {s: sum(v == s for v in split_of.values()) for s in ("train", "val", "test")}
    assert counts == {"train": 6, "val": 2, "test": 2}


def test_patient_split_honours_test_cases() -> None:
    records = _records(5, {1: [0, 1]})
    assign_splits(records, seed=0, val_fraction=0.2, test_fraction=0.2, test_cases=["c3"])
    assert {r.split for r in records if r.case == "c3"} == {"test"}


def test_unknown_test_case_is_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        assign_splits(_records(3, {1: [0]}), test_cases=["nope"])


def test_lesion_split_never_trains_on_a_held_out_lesion() -> None:
    # One patient, lesions 1..5; lesion 2 overlaps lesion 1's slices (mixed slices 3-4).
    records = _records(
        1, {1: [0, 1, 2, 3, 4], 2: [3, 4, 5, 6], 3: [8, 9, 10], 4: [12, 13], 5: [15, 16, 17, 18]}
    )
    plan = assign_splits(records, seed=0, val_fraction=0.2, test_fraction=0.2)
    assert plan.unit == "lesion" and "LESION" in plan.warnings[0]
    held = {k.rsplit(":", 1)[1] for k, v in plan.lesions.items() if v != "train"}
    assert held and any(v == "train" for v in plan.lesions.values())
    for r in records:
        comps = {str(c) for c in r.components}
        if r.split == "train":
            assert not comps & held  # no pixel of a held-out lesion is ever a training target
        else:
            assert set(map(str, r.eval_components)) <= held and r.eval_components
            assert all(plan.lesions[f"p0/c0:{c}"] == r.split for c in r.eval_components)


def test_lesion_split_is_seeded() -> None:
    a = _records(1, {1: [0, 1], 2: [3, 4], 3: [6, 7], 4: [9], 5: [11]})
    b = _records(1, {1: [0, 1], 2: [3, 4], 3: [6, 7], 4: [9], 5: [11]})
    assert assign_splits(a, seed=7).lesions == assign_splits(b, seed=7).lesions
