"""Loading and saving CT volumes, labels and whole cases.

Every loader returns data in the project's conventions (HU, ``(z, y, x)``, radiological
display orientation) and fails only with :class:`liversynth.errors.LoadError` (or a subclass)
naming the file.
"""

from liversynth.io.cases import CaseRef, find_cases, load_case
from liversynth.io.labels import load_labels
from liversynth.io.limits import Limits, VolumeLimitError, check_volume_size
from liversynth.io.load import load_volume
from liversynth.io.nifti import save_nifti

__all__ = [
    "CaseRef",
    "Limits",
    "VolumeLimitError",
    "check_volume_size",
    "find_cases",
    "load_case",
    "load_labels",
    "load_volume",
    "save_nifti",
]
