"""Realism of synthetic lesions: the judge (features + cross-validated classifier) and the
per-lesion texture, attenuation, diversity and 3-D coherence figures (DESIGN.md "Metrics").

``model_training evaluate`` reports all of them for every filler; see
:mod:`liversynth.realism.features` for what the judge looks at.
"""

from liversynth.realism.features import FEATURE_NAMES, lesion_features
from liversynth.realism.judge import JudgeResult, judge_auc
from liversynth.realism.stats import (
    adjacent_slice_correlation,
    attenuation_error_hu,
    diversity,
    noise_power_ratio,
    texture_ratio,
)

__all__ = [
    "FEATURE_NAMES",
    "JudgeResult",
    "adjacent_slice_correlation",
    "attenuation_error_hu",
    "diversity",
    "judge_auc",
    "lesion_features",
    "noise_power_ratio",
    "texture_ratio",
]
