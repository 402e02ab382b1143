"""Writers for synthetic outputs; every file says it is synthetic and carries provenance.

Submodules (import the one you need; nothing heavy is imported by this package itself):

* :mod:`liversynth.export.png` — ``save_png`` (8-bit display), ``save_png16``/``read_png16``
  (lossless HU), ``save_mask_png``/``read_mask_png``.
* :mod:`liversynth.export.nifti` — ``save_nifti_with_labels`` (image + labels + sidecar).
* :mod:`liversynth.export.dicom` — ``export_dicom_series`` (new UIDs, DERIVED\\SECONDARY,
  "SYNTHETIC" description, PS3.15 basic de-identification of copied attributes).
* :mod:`liversynth.export.deid` — the de-identification profile itself.
* :mod:`liversynth.export.provenance` — ``write_sidecar`` / ``check_provenance``.
* :mod:`liversynth.export.nnunet` — nnU-Net raw datasets (what ``synthesize --format nnunet`` writes).

:func:`atomic_write` (from :mod:`liversynth.atomic`) is the writer every exporter here uses.
"""

from __future__ import annotations

from liversynth.atomic import atomic_write

__all__ = ["atomic_write"]
