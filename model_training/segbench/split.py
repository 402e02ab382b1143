"""Who trains and who is tested: by patient, or by 3-D lesion when only one patient has tumours.

Patient split: a real case whose patient is also a test patient is left out of training (and
out of the lesion bank). Lesion split (one tumour patient, named in both ``--real`` and
``--test``): a group of its lesions, contiguous along z, is held out; training keeps only the
slices at least ``gap_slices`` away from the held-out slab, evaluation uses the slab and its
gap, and voxels of training lesions inside that region are left out of evaluation. Such a split
is *optimistic* (same patient, scanner and contrast phase on both sides) and is labelled so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from liversynth.errors import LiverSynthError
from model_training.segbench.cases import CaseData


class SplitLeakError(LiverSynthError):
    """A test patient or held-out lesion reached the training data or the lesion bank."""


@dataclass
class SplitPlan:
    """The split, JSON-able through :meth:`to_json`.

    Attributes:
        mode: ``"patient"`` or ``"lesion"``.
        optimistic: True for a lesion split (same patient on both sides).
        train_z: case name → slices used for training.
        test_z: case name → slices used for evaluation.
        test_patients: patients of the test cases.
        test_lesions: held-out lesion ids (``case#component``).
        train_lesions: lesion ids seen in training (and allowed in the bank).
        ignore: case name → lesion components left out of evaluation.
        dropped: real cases left out of training because their patient is tested.
    """

    mode: str
    optimistic: bool
    train_z: dict[str, list[int]]
    test_z: dict[str, list[int]]
    test_patients: list[str]
    test_lesions: list[str]
    train_lesions: list[str]
    ignore: dict[str, list[int]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "optimistic": self.optimistic,
            "label": "OPTIMISTIC: split by lesion within one patient" if self.optimistic else "",
            "train_slices": {k: v for k, v in self.train_z.items()},
            "test_slices": {k: v for k, v in self.test_z.items()},
            "test_patients": self.test_patients,
            "test_lesions": self.test_lesions,
            "train_lesions": self.train_lesions,
            "ignored_in_evaluation": self.ignore,
            "dropped_real_cases": self.dropped,
        }


def _liver_slices(case: CaseData) -> list[int]:
    return [int(z) for z in np.nonzero(case.liver.any(axis=(1, 2)))[0]]


def _z_ranges(case: CaseData) -> dict[int, tuple[int, int]]:
    """component → (first, last) slice."""
    out = {}
    for comp in case.lesion_ids:
        zs = np.nonzero((case.lesions == comp).any(axis=(1, 2)))[0]
        out[comp] = (int(zs.min()), int(zs.max()))
    return out


def choose_test_lesions(
    case: CaseData, *, test_fraction: float, gap_slices: int
) -> tuple[list[int], tuple[int, int]]:
    """A group of lesions at the top or bottom of the liver to hold out, and its slab.

    Candidates are the k lowest or k highest lesions (by centre slice); the best leaves no
    training lesion inside the slab and its gap, then holds out closest to ``test_fraction``.

    Raises:
        ValueError: fewer than two lesions.
    """
    ranges = _z_ranges(case)
    if len(ranges) < 2:
        raise ValueError(
            f"{case.name}: a lesion split needs at least two lesions, found {len(ranges)}"
        )
    order = sorted(ranges, key=lambda c: (sum(ranges[c]) / 2.0, c))
    target = max(1.0, test_fraction * len(order))
    best: tuple[Any, ...] | None = None
    for k in range(1, len(order)):
        for group in (order[:k], order[-k:]):
            lo = min(ranges[c][0] for c in group)
            hi = max(ranges[c][1] for c in group)
            # Training lesions inside the held-out slab itself cost evaluation voxels (they are
            # ignored there); inside its gap only a rim is ignored.
            inside = np.isin(case.lesions[lo : hi + 1], [c for c in order if c not in group]).sum()
            score = (int(inside), abs(k - target), k)
            if best is None or score < best[0]:
                best = (score, sorted(group), (max(lo - gap_slices, 0), hi + gap_slices))
    assert best is not None
    return best[1], best[2]


def plan_split(
    real: list[CaseData],
    test: list[CaseData],
    *,
    test_fraction: float = 0.4,
    gap_slices: int = 2,
) -> SplitPlan:
    """Split ``real`` (training) from ``test`` (evaluation); see the module docstring.

    Raises:
        ValueError: nothing left to train on, or a test case without tumour-free liver slices.
    """
    test_patients = sorted({c.patient_id for c in test})
    tumour_patients = {c.patient_id for c in real + test if c.lesion_ids}
    shared = {c.patient_id for c in real} & set(test_patients)
    lesion_mode = len(tumour_patients) == 1 and tumour_patients <= shared
    plan = SplitPlan(
        "lesion" if lesion_mode else "patient", lesion_mode, {}, {}, test_patients, [], []
    )
    if not lesion_mode:
        for c in real:
            if c.patient_id in test_patients:
                plan.dropped.append(c.name)
            else:
                plan.train_z[c.name] = _liver_slices(c)
                plan.train_lesions += [c.lesion_key(k) for k in c.lesion_ids]
        for c in test:
            plan.test_z[c.name] = _liver_slices(c)
            plan.test_lesions += [c.lesion_key(k) for k in c.lesion_ids]
        if not plan.train_z:
            raise ValueError("every --real case belongs to a --test patient: nothing to train on")
        return plan
    (patient,) = tumour_patients
    for c in real:
        if c.patient_id != patient:
            plan.train_z[c.name] = _liver_slices(c)
    tested: set[str] = set()
    for c in test:
        if c.patient_id != patient:
            plan.test_z[c.name] = _liver_slices(c)
            continue
        if not c.lesion_ids:
            continue
        if c.name in tested:
            continue
        tested.add(c.name)
        group, (lo, hi) = choose_test_lesions(c, test_fraction=test_fraction, gap_slices=gap_slices)
        liver_z = _liver_slices(c)
        plan.test_z[c.name] = [z for z in liver_z if lo <= z <= hi]
        plan.train_z[c.name] = [z for z in liver_z if z < lo or z > hi]
        plan.test_lesions += [c.lesion_key(k) for k in group]
        kept = [k for k in c.lesion_ids if k not in group]
        plan.train_lesions += [c.lesion_key(k) for k in kept]
        region = c.lesions[lo : hi + 1]
        plan.ignore[c.name] = [int(k) for k in kept if (region == k).any()]
    for c in real:  # other cases of the tumour patient (none in the usual one-case setup)
        if c.patient_id == patient and c.name not in tested:
            plan.dropped.append(c.name)
    return plan


def check_no_leak(
    plan: SplitPlan,
    cases: dict[str, CaseData],
    *,
    bank_ids: list[str],
    synthetic_sources: list[str],
) -> None:
    """Refuse a run where held-out data reaches training or synthesis.

    Args:
        plan: the split.
        cases: every loaded case by name.
        bank_ids: lesion ids in the lesion bank used for synthesis.
        synthetic_sources: case / patient names the synthetic items were made from.

    Raises:
        SplitLeakError: naming what leaked.
    """
    held = set(plan.test_lesions)
    for name, zs in plan.train_z.items():
        case = cases[name]
        if plan.mode == "patient" and case.patient_id in plan.test_patients:
            raise SplitLeakError(f"test patient {case.patient_id} is in training ({name})")
        comps = np.unique(case.lesions[zs]) if zs else np.array([], int)
        leaked = sorted({case.lesion_key(int(k)) for k in comps if k > 0} & held)
        if leaked:
            raise SplitLeakError(f"held-out lesions {leaked} appear in training slices of {name}")
        overlap = set(zs) & set(plan.test_z.get(name, []))
        if overlap:
            raise SplitLeakError(f"{name}: slices {sorted(overlap)[:5]} are in training and test")
    bad = sorted(set(bank_ids) & held)
    if bad:
        raise SplitLeakError(f"held-out lesions {bad} are in the lesion bank")
    if plan.mode == "patient":
        test_cases = {n for n, c in cases.items() if c.patient_id in plan.test_patients}
        bad_bank = sorted(b for b in bank_ids if b.split("#", 1)[0] in test_cases)
        if bad_bank:
            raise SplitLeakError(f"lesions of test patients in the lesion bank: {bad_bank}")
        bad_src = sorted(
            {s for s in synthetic_sources if s in test_cases or s in plan.test_patients}
        )
        if bad_src:
            raise SplitLeakError(f"synthetic items were made from test cases {bad_src}")
    elif any(s in plan.test_z and plan.test_z[s] for s in synthetic_sources):
        raise SplitLeakError("synthetic items were made from the held-out case itself")
