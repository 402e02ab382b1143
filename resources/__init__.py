"""Data shipped with LiverSynth (icons, presets, default model weights); no code.

A package only so that setuptools installs it beside ``liversynth`` and its files can be
located from ``liversynth.fillers.gan.default_model_path``.
"""
