"""Headless LiverSynth tools: dataset preparation, GAN training, evaluation, batch synthesis.

Run ``python -m model_training --help`` (or ``liversynth-train --help``). Never imports Qt.
"""
