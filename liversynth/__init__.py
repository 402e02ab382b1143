"""LiverSynth core: Qt-free loading, windowing, lesion authoring, networks and fillers.

Nothing is imported eagerly here so that ``import liversynth`` stays cheap; import the
submodule you need (``liversynth.io``, ``liversynth.metrics``, ``liversynth.fillers.gan`` ...).
"""

__version__ = "0.1.0"
