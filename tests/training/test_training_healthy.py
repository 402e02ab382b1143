"""Healthy-liver pairs: placed in tumour-free liver, seeded, counted, split without leaks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from liversynth.errors import LoadError
from liversynth.phantom import make_phantom
from liversynth.volume import LIVER, TUMOUR, Case
from model_training.dataset import load_slice_sets
from model_training.healthy import HealthyParams, healthy_records, tumour_distance_mm
from model_training.healthy_split import assign_healthy_splits
from model_training.pairs import parse_label_map
from model_training.prepare import prepare_dataset
from model_training.records import extract_case
from model_training.split import SplitPlan, assign_splits

PHANTOM = (16, 96, 96)


@pytest.fixture(scope="module")
def case() -> Case:
    return make_phantom(seed=3, shape=PHANTOM)


def test_regions_lie_in_liver_away_from_tumour_and_are_seeded(case: Case) -> None:
    params = HealthyParams(per_slice=3, gap_mm=6.0, margin_mm=3.0)
    records = healthy_records(case, params, seed=7)
    assert records and all(r.kind == "healthy" for r in records)
    assert case.labels is not None and (case.labels == TUMOUR).any()
    dist = tumour_distance_mm(case.labels, case.volume.spacing_mm)
    assert dist is not None
    liver_dist_px = {}
    for r in records:
        blobs = r.lesion_mask()
        assert blobs.sum() == r.lesion_px > 0
        assert 1 <= len(r.components) <= 3
        labels = case.labels[r.z]
        assert (labels[blobs] == LIVER).all()  # inside the liver, never on tumour
        assert dist[r.z][blobs].min() >= params.gap_mm  # 3-D distance to every tumour voxel
        from scipy import ndimage

        inner = ndimage.distance_transform_edt(labels >= LIVER) * case.volume.spacing_mm[1]
        liver_dist_px[r.z] = float(inner[blobs].min())
        assert inner[blobs].min() > params.margin_mm  # liver context all round
        for a in r.components:  # distinct regions do not touch
            grown = ndimage.binary_dilation(r.lesion == a)
            assert not (grown & (r.lesion > 0) & (r.lesion != a)).any()
        assert (r.hu == case.volume.hu[r.z]).all()  # the target is the untouched slice
    again = healthy_records(case, params, seed=7)
    assert [(r.z, r.lesion.tobytes()) for r in again] == [
        (r.z, r.lesion.tobytes()) for r in records
    ]
    other = healthy_records(case, params, seed=8)
    assert [r.lesion.tobytes() for r in other] != [r.lesion.tobytes() for r in records]


def test_counts_and_switches(case: Case) -> None:
    every = healthy_records(case, HealthyParams(per_slice=2), seed=0)
    assert len(healthy_records(case, HealthyParams(per_slice=2, max_slices=3), seed=0)) == 3
    assert healthy_records(case, HealthyParams(per_slice=0), seed=0) == []
    clean = healthy_records(case, HealthyParams(per_slice=2, tumour_slices=False), seed=0)
    assert case.labels is not None
    assert all(not (case.labels[r.z] == TUMOUR).any() for r in clean)
    assert len(clean) < len(every)
    with pytest.raises(ValueError, match="radius"):
        HealthyParams(radius_mm=(5.0, 2.0))
    assert parse_label_map(["5=1"]) == {5: 1}
    with pytest.raises(ValueError, match="5=3"):
        parse_label_map(["5=3"])


def test_manifest_counts_and_patient_split(healthy_dataset: Path) -> None:
    manifest = json.loads((healthy_dataset / "manifest.json").read_text())
    healthy = manifest["healthy"]
    assert healthy and manifest["healthy_params"]["per_slice"] == 3
    assert manifest["healthy_counts"] == {
        s: sum(h["split"] == s for h in healthy) for s in ("train", "val", "test")
    }
    assert sum(manifest["healthy_regions"].values()) == sum(len(h["components"]) for h in healthy)
    assert sum(c["healthy_slices"] for c in manifest["cases"]) == len(healthy)
    for h in healthy:  # the patient's split, whatever the kind: no test liver in training
        assert h["split"] == manifest["split_patients"][h["patient"]]
        assert h["file"].startswith("healthy/") and h["kind"] == "healthy"
    sets = load_slice_sets(healthy_dataset, healthy_splits=("train",))
    assert len(sets.healthy_train) == manifest["healthy_counts"]["train"] > 0
    assert all(r.hu is not None and r.eval_mask().any() for r in sets.healthy_train)
    assert len(sets.train) == manifest["counts"]["train"]  # tumour slices unchanged


def test_lesion_unit_holds_out_liver_near_held_out_lesions(case: Case) -> None:
    tumour = extract_case(case)
    plan = assign_splits(tumour, seed=0, val_fraction=0.2, test_fraction=0.3)
    assert plan.unit == "lesion"
    healthy = healthy_records(case, HealthyParams(), seed=0)
    assign_healthy_splits(
        healthy,
        tumour,
        plan,
        seed=0,
        val_fraction=0.2,
        test_fraction=0.3,
        test_cases=None,
        guard_slices=2,
    )
    held = {r.z for r in tumour if r.split != "train"}
    assert held
    for r in healthy:
        near = any(abs(r.z - z) <= 2 for z in held)
        assert (r.split != "train") == near, (r.z, r.split)


def test_tumour_free_patients_split_by_patient(case: Case) -> None:
    assert case.labels is not None
    labels = np.where(case.labels == TUMOUR, LIVER, case.labels).astype(np.uint8)
    records = []
    for i in range(4):  # four tumour-free "patients" (the same liver: the split ignores pixels)
        records += healthy_records(
            Case(f"h{i}", case.volume, labels, f"p{i}"), HealthyParams(), seed=i
        )
    patients = assign_healthy_splits(
        records,
        [],
        SplitPlan(unit="patient"),  # no tumour patient at all
        seed=1,
        val_fraction=0.25,
        test_fraction=0.25,
        test_cases=["h2"],
        guard_slices=1,
    )
    assert patients["p2"] == "test"
    assert sorted(patients.values()) == ["test", "train", "train", "val"]  # 1 test: the forced
    for r in records:
        assert r.split == patients[r.patient]
        assert r.components == sorted(int(i) for i in np.unique(r.lesion) if i)


def test_a_damaged_healthy_file_is_refused_by_name(healthy_dataset: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "ds"
    shutil.copytree(healthy_dataset, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    victim = next(h for h in manifest["healthy"] if h["split"] == "train")["file"]
    (copy / victim).write_bytes(b"not an npz")
    with pytest.raises(LoadError, match=Path(victim).name):
        load_slice_sets(copy, healthy_splits=("train",))
    load_slice_sets(copy)  # not asked for healthy pairs: not read


def test_prepare_refuses_an_unknown_test_case(lits_phantoms: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nobody"):
        prepare_dataset(
            [lits_phantoms],
            tmp_path / "x",
            test_cases=["nobody"],
            healthy=HealthyParams(),
            progress=False,
        )
