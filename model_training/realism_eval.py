"""The realism part of ``evaluate``: judge AUC, texture ratio, attenuation, diversity, 3-D coherence.

``evaluate`` fills every slice once per filler (seed ``s``) for the paper's metrics; this
module adds, per slice and filler, the judge's features of the real and the filled lesion, a
second fill with another seed (diversity), and, per run of adjacent held-out slices of one
lesion, a ``fill_volume`` of the run (3-D coherence). Definitions:
:mod:`liversynth.realism`.

Example:
    >>> import numpy as np
    >>> m = np.zeros((40, 40), bool); m[10:30, 10:30] = True
    >>> real = np.random.default_rng(0).normal(60, 15, (40, 40)).astype(np.float32)
    >>> sorted(slice_realism(real, real, real, m))[:2]
    ['attenuation_error_hu', 'diversity']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from liversynth.realism import (
    adjacent_slice_correlation,
    attenuation_error_hu,
    diversity,
    judge_auc,
    lesion_features,
    noise_power_ratio,
    texture_ratio,
)

#: Per-slice realism metrics added to each filler's ``metrics`` entry.
SLICE_METRICS = ("texture_ratio", "noise_power_ratio", "attenuation_error_hu", "diversity")
#: Per-filler realism figures (not per slice): judge AUC and 3-D coherence.
FILLER_METRICS = ("realism_auc", "coherence_synthetic", "coherence_real")
LABELS = {
    "realism_auc": "realism AUC (judge; 0.5 = indistinguishable)",
    "texture_ratio": "texture ratio (std synth / real)",
    "noise_power_ratio": "noise power ratio (σ<2 px band, synth / real)",
    "attenuation_error_hu": "attenuation error, abs(Δ mean) (HU)",
    "diversity": "diversity (mean abs(seed a − seed b) / real std)",
    "coherence_synthetic": "3-D coherence: adjacent-slice corr, synthetic",
    "coherence_real": "3-D coherence: adjacent-slice corr, real",
}
#: Seed offset of the second fill used for diversity.
DIVERSITY_SEED_OFFSET = 7919


def slice_realism(
    real_hu: np.ndarray, filled_hu: np.ndarray, filled_other_seed_hu: np.ndarray, mask: np.ndarray
) -> dict[str, float]:
    """The per-slice realism metrics of one filled lesion (:data:`SLICE_METRICS`)."""
    return {
        "texture_ratio": texture_ratio(filled_hu, real_hu, mask),
        "noise_power_ratio": noise_power_ratio(filled_hu, real_hu, mask),
        "attenuation_error_hu": attenuation_error_hu(filled_hu, real_hu, mask),
        "diversity": diversity(filled_hu, filled_other_seed_hu, real_hu, mask),
    }


class JudgeFeatures:
    """Collects the judge's feature rows: one real and one synthetic per slice and filler."""

    def __init__(self) -> None:
        self.real: dict[int, np.ndarray] = {}
        self.synthetic: dict[str, dict[int, np.ndarray]] = {}

    def add_real(self, index: int, hu: np.ndarray, mask: np.ndarray, liver: np.ndarray) -> None:
        self.real[index] = lesion_features(hu, mask, liver)

    def add_synthetic(
        self, name: str, index: int, hu: np.ndarray, mask: np.ndarray, liver: np.ndarray
    ) -> None:
        self.synthetic.setdefault(name, {})[index] = lesion_features(hu, mask, liver)

    def judge(self, name: str, seed: int = 0) -> dict[str, Any]:
        """:func:`liversynth.realism.judge_auc` of the filler ``name`` (slices as groups)."""
        rows = self.synthetic.get(name, {})
        keys = sorted(set(rows) & set(self.real))
        if len(keys) < 2:
            return {"auc_mean": float("nan"), "auc_std": float("nan"), "n_groups": len(keys)}
        result = judge_auc(
            np.stack([self.real[k] for k in keys]),
            np.stack([rows[k] for k in keys]),
            np.asarray(keys),
            seed=seed,
        )
        return result.to_dict()


def adjacent_runs(records: list[Any]) -> list[list[int]]:
    """Indices of records forming runs of >= 2 adjacent slices of one case and lesion set.

    Records are the split's :class:`~model_training.records.SliceRecord` list; a run needs the
    same case, the same ``eval_components``, consecutive ``z`` and the same stored shape.
    """
    order = sorted(
        range(len(records)),
        key=lambda i: (records[i].case, tuple(records[i].eval_components), records[i].z),
    )
    runs: list[list[int]] = []
    current: list[int] = []
    for i in order:
        r = records[i]
        if current:
            p = records[current[-1]]
            same = (
                p.case == r.case
                and p.eval_components == r.eval_components
                and r.z == p.z + 1
                and tuple(p.offset_yx) == tuple(r.offset_yx)
            )
            if not same:
                if len(current) >= 2:
                    runs.append(current)
                current = []
        current.append(i)
    if len(current) >= 2:
        runs.append(current)
    return runs


def coherence(
    stacks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    fillers: dict[str, Any],
    spacing_mm: tuple[float, float, float] | None,
    seed: int,
) -> dict[str, dict[str, float]]:
    """Adjacent-slice correlation inside the lesion of each filler's ``fill_volume`` vs real.

    Args:
        stacks: per run ``(real_hu_zyx, given_hu_zyx, mask_zyx, liver_zyx)``; ``given`` is what
            the filler sees (lesion blanked).
        fillers: name → filler.
        spacing_mm: voxel spacing of the runs (z, y, x).
        seed: fill seed.

    Returns:
        name → ``{"coherence_synthetic", "coherence_real"}`` (means over runs).
    """
    real = [adjacent_slice_correlation(r, m) for r, _, m, _ in stacks]
    out: dict[str, dict[str, float]] = {}
    for name, filler in fillers.items():
        syn = []
        for k, (_, given, mask, liver) in enumerate(stacks):
            filled = filler.fill_volume(
                given, mask, liver_zyx=liver, seed=seed + k, spacing_mm=spacing_mm
            )
            syn.append(adjacent_slice_correlation(filled, mask))
        out[name] = {"coherence_synthetic": _nanmean(syn), "coherence_real": _nanmean(real)}
    return out


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def realism_stacks(
    records: list[Any],
    data: Any,
    blank: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """``(real, given, mask, liver)`` stacks of every :func:`adjacent_runs` run of ``records``.

    Args:
        records: the split's slice records (arrays are loaded here, per run, from ``data``).
        data: the prepared dataset folder.
        blank: ``blank(hu, mask, liver)`` → what the filler is given; ``None``: the real slice.
    """
    from model_training.records import SliceRecord

    stacks = []
    for run in adjacent_runs(records):
        recs = [SliceRecord.from_meta(records[i].meta()).load_arrays(data) for i in run]
        real = np.stack([np.asarray(r.hu, np.float32) for r in recs])
        mask = np.stack([r.eval_mask() for r in recs])
        liver = np.stack([np.asarray(r.liver) > 0 for r in recs])
        given = np.stack(
            [blank(h, m, lv) if blank else h for h, m, lv in zip(real, mask, liver, strict=True)]
        )
        stacks.append((real, given, mask, liver))
    return stacks


def add_realism(
    summary: dict[str, dict[str, Any]],
    judge: JudgeFeatures,
    stacks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    fillers: dict[str, Any],
    seed: int,
    spacing_mm: tuple[float, ...],
) -> None:
    """Judge AUC and 3-D coherence per filler into ``summary[name]['mean'|'std'|'n'|'judge']``."""
    coh = coherence(stacks, fillers, spacing_mm, seed)  # type: ignore[arg-type]
    for name in fillers:
        verdict = judge.judge(name, seed=seed)
        summary[name]["judge"] = verdict
        summary[name]["mean"]["realism_auc"] = verdict["auc_mean"]
        summary[name]["std"]["realism_auc"] = verdict["auc_std"]
        summary[name]["n"]["realism_auc"] = verdict.get("n_groups", 0)
        for key in FILLER_METRICS[1:]:
            summary[name]["mean"][key] = coh[name][key]
            summary[name]["std"][key] = float("nan")
            summary[name]["n"][key] = len(stacks)
