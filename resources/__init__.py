"""Data shipped with LiverSynth (icons, presets, default model weights); no code.

A package only so that setuptools installs it beside ``liversynth`` and its files can be
located from ``liversynth.inference.default_model_path``.
"""
