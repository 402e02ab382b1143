"""A deterministic synthetic abdominal CT with liver and tumour labels (demo and tests).

Split by concept: ``geometry`` (irregular outlines), ``anatomy`` (per-seed parameters),
``body`` (wall, skeleton, lungs), ``organs``, ``vessels``, ``tumours``, ``texture`` (noise) and
``assemble`` (:func:`make_phantom`).

Example:
    >>> from liversynth.phantom import make_phantom
    >>> case = make_phantom(seed=0, shape=(16, 96, 96))
    >>> case.volume.hu.dtype.name, sorted(set(case.labels.ravel().tolist()))
    ('int16', [0, 1, 2])
"""

from liversynth.phantom.assemble import make_phantom

__all__ = ["make_phantom"]
