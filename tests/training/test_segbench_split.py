"""segbench never trains on, or synthesises from, a held-out patient or lesion."""

from __future__ import annotations

import numpy as np
import pytest
from segbench_helpers import lesion_case

from liversynth.volume import Case, Volume
from model_training.segbench.split import SplitLeakError, check_no_leak, plan_split
from model_training.segbench.synthetic import training_bank


def _as_case(data) -> Case:
    labels = np.where(data.liver, 1, 0).astype(np.uint8)
    labels[data.lesions > 0] = 2
    return Case(data.name, Volume(data.hu, data.spacing_mm), labels, data.patient_id)


def _assert_clean(plan, cases) -> None:
    held = set(plan.test_lesions)
    for name, zs in plan.train_z.items():
        case = cases[name]
        seen = {case.lesion_key(int(k)) for k in np.unique(case.lesions[zs]) if k > 0}
        assert not seen & held
        assert not set(zs) & set(plan.test_z.get(name, []))
        assert case.patient_id not in plan.test_patients or plan.mode == "lesion"


def test_patient_split_drops_test_patients_from_training_and_bank() -> None:
    a = lesion_case("lits-0", [(5, 9)])
    b = lesion_case("lits-1", [(10, 14), (20, 25)])
    t = lesion_case("lits-1", [(10, 14), (20, 25)])  # the same patient named as test
    plan = plan_split([a, b], [t])
    assert plan.mode == "patient" and not plan.optimistic
    assert plan.dropped == ["lits-1"] and list(plan.train_z) == ["lits-0"]
    assert plan.train_lesions == ["lits-0#1"]
    bank = training_bank([_as_case(a), _as_case(b)], plan.train_lesions)
    assert [les.lesion_id for les in bank] == ["lits-0#1"]
    cases = {"lits-0": a, "lits-1": b}
    check_no_leak(plan, cases, bank_ids=[les.lesion_id for les in bank], synthetic_sources=["h"])
    with pytest.raises(SplitLeakError, match="lesion bank"):
        check_no_leak(plan, cases, bank_ids=["lits-1#2"], synthetic_sources=[])
    with pytest.raises(SplitLeakError, match="synthetic items"):
        check_no_leak(plan, cases, bank_ids=[], synthetic_sources=["lits-1"])


@pytest.mark.parametrize("seed", range(6))
def test_lesion_split_never_leaks_a_held_out_lesion(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    starts = np.sort(rng.integers(3, 30, size=n))
    ranges = [(int(s), int(min(s + rng.integers(1, 8), 36))) for s in starts]
    case = lesion_case("ircad", ranges)
    plan = plan_split([case], [case])
    assert plan.mode == "lesion" and plan.optimistic
    assert plan.test_lesions and plan.train_lesions
    assert not set(plan.test_lesions) & set(plan.train_lesions)
    _assert_clean(plan, {"ircad": case})
    bank = training_bank([_as_case(case)], plan.train_lesions)
    assert not {les.lesion_id for les in bank} & set(plan.test_lesions)
    check_no_leak(
        plan, {"ircad": case}, bank_ids=[les.lesion_id for les in bank], synthetic_sources=["h"]
    )
    # Held-out voxels of training lesions are left out of evaluation, never scored.
    kept = {int(k.split("#")[1]) for k in plan.train_lesions}
    in_test = set(np.unique(case.lesions[plan.test_z["ircad"]]).tolist()) & kept
    assert in_test <= set(plan.ignore["ircad"])


def test_leak_check_refuses_a_training_slice_with_a_test_lesion() -> None:
    case = lesion_case("ircad", [(5, 10), (25, 30)])
    plan = plan_split([case], [case])
    held_z = plan.test_z["ircad"][len(plan.test_z["ircad"]) // 2]
    plan.train_z["ircad"] = [*plan.train_z["ircad"], held_z]
    with pytest.raises(SplitLeakError):
        check_no_leak(plan, {"ircad": case}, bank_ids=[], synthetic_sources=[])
    plan2 = plan_split([case], [case])
    with pytest.raises(SplitLeakError, match="lesion bank"):
        check_no_leak(plan2, {"ircad": case}, bank_ids=plan2.test_lesions, synthetic_sources=[])


@pytest.mark.realdata
@pytest.mark.slow
def test_ircad11_lesion_split_is_optimistic_and_clean(ircad11) -> None:
    from model_training.segbench.cases import load

    (case,) = load([str(ircad11)])
    plan = plan_split([case], [case])
    assert plan.optimistic and len(plan.test_lesions) >= 1
    _assert_clean(plan, {case.name: case})
