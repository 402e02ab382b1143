"""Batch synthesis: embed lesions in healthy livers and write labelled datasets.

``command`` is ``python -m model_training synthesize`` (arguments, the run); ``context`` builds
what every item shares (cases, lesion bank, filler); ``item`` makes one item; ``writing``
writes one item in each output format; ``grid`` renders the comparison grid.
"""
