"""Splits of the healthy-liver records, consistent with the tumour split (never a leak).

* A patient that has tumour slices follows the tumour split: with the patient unit, all its
  healthy slices go to its split. With the lesion unit (one or two tumour patients) a healthy
  slice goes to ``test`` (then ``val``) when it lies within ``guard_slices`` of a held-out
  lesion's z-range, else to ``train``: parenchyma next to a held-out lesion (its context at
  evaluation) is never trained on.
* Patients without tumour (e.g. 3Dircadb1.7, TotalSegmentator examples) are split by patient
  among themselves, seeded, with the same fractions (:func:`model_training.split` rules: at
  least one test / val patient when the fraction is positive, at least one training patient);
  ``test_cases`` names force cases into test.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from model_training.records import SliceRecord
from model_training.split import SplitPlan, assign_splits


def assign_healthy_splits(
    healthy: list[SliceRecord],
    tumour: list[SliceRecord],
    plan: SplitPlan,
    *,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    test_cases: list[str] | None,
    guard_slices: int,
) -> dict[str, str]:
    """Set ``split`` of every healthy record (in place).

    Args:
        healthy: healthy-liver records of every case.
        tumour: the tumour records, already split by :func:`model_training.split.assign_splits`.
        plan: that split's plan.
        guard_slices: with the lesion unit, slices either side of a held-out lesion that are
            held out with it.

    Returns:
        patient → split for the patients without tumour (the manifest's
        ``healthy_split_patients``).
    """
    tumour_patients = {r.patient for r in tumour}
    held = _held_z_ranges(tumour)
    for r in healthy:
        if r.patient not in tumour_patients:
            continue
        if plan.unit == "patient":
            r.split = plan.patients[r.patient]
            continue
        r.split = "train"
        for name in ("test", "val"):
            if any(lo - guard_slices <= r.z <= hi + guard_slices for lo, hi in held[name, r.case]):
                r.split = name
                break
    others = [r for r in healthy if r.patient not in tumour_patients]
    if not others:
        return {}
    forced = [c for c in test_cases or [] if any(r.case == c for r in others)]
    # Each healthy slice acts as a one-component "lesion" so that the patient split applies.
    components = {id(r): r.components for r in others}
    for r in others:
        r.components = [1]
    if len({r.patient for r in others}) >= 3:
        patients = assign_splits(
            others,
            seed=seed,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            test_cases=forced,
        ).patients
    else:
        patients = _few_patients(others, forced, seed, val_fraction, test_fraction)
        for r in others:
            r.split = patients[r.patient]
    for r in others:
        r.components = components[id(r)]
        r.eval_components = list(r.components)
    return patients


def _held_z_ranges(tumour: list[SliceRecord]) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """(split, case) → z-ranges of the held-out lesions (lesion unit)."""
    zs: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for r in tumour:
        if r.split in ("val", "test"):
            for c in r.eval_components:
                zs[r.split, r.case, c].append(r.z)
    out: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for (split, case, _c), z in zs.items():
        out[split, case].append((min(z), max(z)))
    return out


def _few_patients(
    records: list[SliceRecord],
    forced: list[str],
    seed: int,
    val_fraction: float,
    test_fraction: float,
) -> dict[str, str]:
    """One or two tumour-free patients: one (seeded choice, unless forced) trains, a second is
    held out as test when ``test_fraction`` > 0 (else val), so held-back healthy liver exists."""
    patients = sorted({r.patient for r in records})
    forced_patients = {r.patient for r in records if r.case in forced}
    out = {p: "test" for p in forced_patients}
    rest = [p for p in patients if p not in forced_patients]
    rest = [rest[i] for i in np.random.default_rng(seed).permutation(len(rest))]
    for i, p in enumerate(rest):
        held = "test" if test_fraction > 0 else "val" if val_fraction > 0 else "train"
        out[p] = "train" if i == 0 else held
    return out


def guard_slices(gap_mm: float, tumour: list[SliceRecord]) -> int:
    """Slices either side of a held-out lesion whose healthy liver is held out with it:
    ``gap_mm`` over the finest slice step of the tumour cases (at least one slice)."""
    if not tumour:
        return 1
    step_mm = min(r.spacing_mm[0] for r in tumour)
    return max(1, math.ceil(gap_mm / max(step_mm, 1e-3)))
