"""The Qt-free authoring document behind the GUI: masks with undo, stamp, fill requests, sessions.

Widgets bind to :class:`Document` (``doc.events.<name>.connect(...)``) and call its methods;
inference runs elsewhere (``liversynth_gui.worker``) on :class:`FillRequest` snapshots.
"""

from liversynth.authoring.brush import BRUSH_MAX_PX, BRUSH_MIN_PX
from liversynth.authoring.document import Document
from liversynth.authoring.events import DocumentEvents, Signal
from liversynth.authoring.fill import FillRequest, FillResult, run_fill
from liversynth.authoring.source import CaseSource
from liversynth.authoring.stamp import LesionStamp, RealLesion, StampPose

__all__ = [
    "BRUSH_MAX_PX",
    "BRUSH_MIN_PX",
    "CaseSource",
    "Document",
    "DocumentEvents",
    "FillRequest",
    "FillResult",
    "LesionStamp",
    "RealLesion",
    "Signal",
    "StampPose",
    "run_fill",
]
