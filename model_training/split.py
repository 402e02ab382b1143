"""Train / validation / test splits: by patient, or by 3-D lesion when patients are too few.

With three or more patients the split unit is the patient (DESIGN.md: never by slice). With
fewer (e.g. the single tumour patient 3D-IRCADb 1.1) whole 3-D lesion components are held out
instead, and the manifest says ``split_unit: "lesion"``:

* a slice whose tumours all belong to training components is a training slice;
* a slice showing any held-out component goes to that held-out split (test before val) and is
  evaluated only on that split's components (``eval_components``); its training-lesion pixels
  stay in the image as context. Such "mixed" slices are therefore **dropped from training**
  rather than having the held-out lesion masked out, because masking would still show the
  held-out lesion's real texture to the generator and the discriminator as context.

Held-out lesions are chosen greedily in a seeded random order until each split reaches its
fraction of the tumour slices, counting only the slices a lesion would add (a lesion that only
appears on test slices cannot make a validation slice); a lesion adding more than twice the
target is only taken when nothing else fits, so one huge tumour does not swallow the test set.
At least one lesion always stays for training.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from model_training.records import SliceRecord

SPLITS = ("train", "val", "test")
#: Fewer patients than this: split by lesion component instead of by patient.
MIN_PATIENTS_FOR_PATIENT_SPLIT = 3


@dataclass
class SplitPlan:
    """The outcome of :func:`assign_splits`.

    Attributes:
        unit: ``patient`` or ``lesion``.
        patients: patient id → split (patient unit only).
        lesions: ``"patient/case:component"`` → split (lesion unit only).
        dropped_from_training: slices that mixed held-out and training lesions (lesion unit).
        warnings: messages for the console and the manifest.
    """

    unit: str
    patients: dict[str, str] = field(default_factory=dict)
    lesions: dict[str, str] = field(default_factory=dict)
    dropped_from_training: int = 0
    warnings: list[str] = field(default_factory=list)


def assign_splits(
    records: list[SliceRecord],
    *,
    seed: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    test_cases: list[str] | None = None,
) -> SplitPlan:
    """Set ``split`` and ``eval_components`` of every record (in place) and return the plan.

    Args:
        records: every tumour slice of the dataset (all cases).
        seed: seeds the shuffle of patients / lesions.
        val_fraction, test_fraction: wanted fractions (of patients, or of tumour slices for the
            lesion unit).
        test_cases: case names forced into the test split (patient unit; with the lesion unit
            all lesions of these cases are test lesions).
    """
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError(f"bad split fractions val={val_fraction}, test={test_fraction}")
    forced = set(test_cases or [])
    unknown = forced - {r.case for r in records}
    if unknown:
        raise ValueError(f"--test-cases names no tumour case: {', '.join(sorted(unknown))}")
    patients = sorted({r.patient for r in records})
    if len(patients) >= MIN_PATIENTS_FOR_PATIENT_SPLIT:
        return _split_by_patient(records, patients, seed, val_fraction, test_fraction, forced)
    return _split_by_lesion(records, seed, val_fraction, test_fraction, forced, len(patients))


def _split_by_patient(
    records: list[SliceRecord],
    patients: list[str],
    seed: int,
    val_fraction: float,
    test_fraction: float,
    forced: set[str],
) -> SplitPlan:
    forced_patients = {r.patient for r in records if r.case in forced}
    rest = [p for p in patients if p not in forced_patients]
    order = [rest[i] for i in np.random.default_rng(seed).permutation(len(rest))]
    n = len(patients)
    n_test = max(0, _at_least_one(test_fraction, n) - len(forced_patients))
    n_val = _at_least_one(val_fraction, n)
    # Always keep at least one training patient.
    n_test = min(n_test, max(0, len(order) - 1))
    n_val = min(n_val, max(0, len(order) - n_test - 1))
    plan = SplitPlan(unit="patient")
    for p in forced_patients:
        plan.patients[p] = "test"
    for i, p in enumerate(order):
        plan.patients[p] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    for r in records:
        r.split = plan.patients[r.patient]
        r.eval_components = list(r.components)
    return plan


def _split_by_lesion(
    records: list[SliceRecord],
    seed: int,
    val_fraction: float,
    test_fraction: float,
    forced: set[str],
    n_patients: int,
) -> SplitPlan:
    plan = SplitPlan(unit="lesion")
    plan.warnings.append(
        f"only {n_patients} patient(s) with tumours: splitting by 3-D LESION component inside "
        "the patient, not by patient. Test metrics then measure unseen lesions of a seen "
        "patient (optimistic); use >= 3 patients for a patient split."
    )
    slices_of: dict[str, set[int]] = defaultdict(set)
    case_of: dict[str, str] = {}
    for i, r in enumerate(records):
        for c in r.components:
            slices_of[_key(r, c)].add(i)
            case_of[_key(r, c)] = r.case
    keys = sorted(slices_of)
    total = len(records)
    split_of = {k: "test" for k in keys if case_of[k] in forced}
    held = {"test": set().union(*(slices_of[k] for k in split_of)), "val": set()}
    free = [k for k in keys if k not in split_of]
    order = [free[i] for i in np.random.default_rng(seed).permutation(len(free))]
    for name, frac in (("test", test_fraction), ("val", val_fraction)):
        target = frac * total

        # Slices a lesion would add to this split (a test slice stays test).
        def gain(k: str, name: str = name) -> int:
            return len(slices_of[k] - held["test"] - held[name])

        while target > 0 and len(held[name]) < target and len(order) > 1:
            useful = [k for k in order if gain(k) > 0]
            fitting = [k for k in useful if gain(k) <= 2 * target]
            if not useful or (not fitting and held[name]):
                break
            # The first fitting lesion in seeded order; if none fits, the smallest one.
            k = fitting[0] if fitting else min(useful, key=gain)
            split_of[k] = name
            held[name] |= slices_of[k] - held["test"]
            order.remove(k)
    for k in order:
        split_of[k] = "train"
    plan.lesions = split_of
    for r in records:
        by_split = {s: [c for c in r.components if split_of[_key(r, c)] == s] for s in SPLITS}
        r.split = "test" if by_split["test"] else "val" if by_split["val"] else "train"
        r.eval_components = by_split[r.split]
        if r.split != "train" and by_split["train"]:
            plan.dropped_from_training += 1
    if plan.dropped_from_training:
        plan.warnings.append(
            f"{plan.dropped_from_training} slice(s) show both held-out and training lesions: "
            "they are held out (evaluated on the held-out lesion only) and not trained on"
        )
    for name in ("val", "test"):
        if not any(r.split == name for r in records) and (
            val_fraction if name == "val" else test_fraction
        ):
            plan.warnings.append(f"too few lesions for a {name} split: it is empty")
    return plan


def _at_least_one(fraction: float, n: int) -> int:
    """``round(fraction * n)``, but at least 1 when the fraction is positive."""
    return max(1, round(fraction * n)) if fraction > 0 else 0


def _key(record: SliceRecord, component: int) -> str:
    return f"{record.patient}/{record.case}:{component}"
