"""LiverSynth desktop app (PySide6 + pyqtgraph): ``python -m liversynth_gui``.

The window binds thin widgets to the Qt-free :class:`liversynth.authoring.Document`; no image
logic lives here. Nothing is imported at package import time, so ``--help`` stays instant.
"""
