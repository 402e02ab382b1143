"""Teaching mode in the app: the trainee view, the review view and the Teach menu.

The logic lives in :mod:`liversynth.teaching` (Qt-free); these widgets only bind to it.
"""
