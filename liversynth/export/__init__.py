"""Writers for synthetic outputs; every file says it is synthetic and carries provenance.

Submodules (import the one you need; nothing heavy is imported by this package itself):

* :mod:`liversynth.export.png` — ``save_png`` (8-bit display), ``save_png16``/``read_png16``
  (lossless HU), ``save_mask_png``/``read_mask_png``.
* :mod:`liversynth.export.nifti` — ``save_nifti_with_labels`` (image + labels + sidecar).
* :mod:`liversynth.export.dicom` — ``export_dicom_series`` (new UIDs, DERIVED\\SECONDARY,
  "SYNTHETIC" description, PS3.15 basic de-identification of copied attributes).
* :mod:`liversynth.export.deid` — the de-identification profile itself.
* :mod:`liversynth.export.provenance` — ``write_sidecar`` / ``check_provenance``.
* :mod:`liversynth.export.nnunet` — nnU-Net raw datasets (the synthesis engineer's).

:func:`atomic_write` is the torch-free atomic writer every exporter here uses.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | Path, data: bytes | Callable[[Path], None]) -> Path:
    """Write ``path`` so readers see the old file or the complete new one, never a torn one.

    Same contract as :func:`liversynth.checkpoint.atomic_write` (temporary file in the same
    folder, fsync, ``os.replace``, folder fsync) but without importing torch, which costs
    seconds and is not needed to write a PNG or a DICOM file.

    Args:
        path: destination (its folder is created).
        data: the bytes, or a callable that writes the file at the temporary path it is given.

    Returns:
        ``path`` as a ``Path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; exports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; the rename is durable enough there
        return path
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
    return path
