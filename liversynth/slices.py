"""The paper's step 1: export a labelled volume to per-slice 16-bit PNGs and read them back.

For each exported slice index ``NNN`` (the slice's index in the volume, zero-padded)::

    original_NNN.png   16-bit, HU + 32768 (exact for int16 HU)
    whitened_NNN.png   16-bit, the same with lesion pixels set to window.high (white)
    mask_NNN.png       8-bit, 0 outside / 255 inside the lesion (label 2)
    slices.json        the manifest: case name, shape, spacing, HU offset, window, slice list

Example:
    >>> import tempfile
    >>> from liversynth.phantom import make_phantom
    >>> case = make_phantom(seed=0, shape=(16, 64, 64))
    >>> manifest = export_slices(case, tempfile.mkdtemp())
    >>> items = read_slices(manifest.parent)
    >>> bool((items[0]["original_hu"] == case.volume.hu[items[0]["index"]]).all())
    True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from liversynth.errors import LoadError
from liversynth.export import atomic_write
from liversynth.export.png import (
    HU_OFFSET,
    read_mask_png,
    read_png16,
    save_mask_png,
    save_png16,
)
from liversynth.volume import TUMOUR, Case
from liversynth.whitening import whiten_hu
from liversynth.windowing import PRESETS, Window

MANIFEST = "slices.json"
FORMAT = "liversynth-slices"
FORMAT_VERSION = 1


def export_slices(
    case: Case,
    out_dir: str | Path,
    *,
    window: Window = PRESETS["network"],
    only_lesion_slices: bool = True,
) -> Path:
    """Write the slices of ``case`` as PNG triples plus a ``slices.json`` manifest.

    Args:
        case: volume with labels (label 2 is the lesion mask).
        out_dir: destination folder (created).
        window: network window; whitened pixels are stored as ``window.high`` HU.
        only_lesion_slices: export only slices that contain label 2 (else every slice).

    Returns:
        the manifest path.

    Raises:
        ValueError: ``only_lesion_slices`` on a case without labels.
    """
    if case.labels is None and only_lesion_slices:
        raise ValueError(f"case {case.name!r} has no labels, so no lesion slices to export")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    hu = case.volume.hu
    depth = hu.shape[0]
    width = max(3, len(str(depth - 1)))
    entries: list[dict[str, Any]] = []
    for z in range(depth):
        mask = (
            (case.labels[z] == TUMOUR) if case.labels is not None else np.zeros(hu.shape[1:], bool)
        )
        if only_lesion_slices and not mask.any():
            continue
        slice_hu = np.asarray(hu[z])
        names = {kind: f"{kind}_{z:0{width}d}.png" for kind in ("original", "whitened", "mask")}
        save_png16(slice_hu, out / names["original"])
        save_png16(whiten_hu(slice_hu, mask, window), out / names["whitened"])
        save_mask_png(mask, out / names["mask"])
        entries.append({"index": z, **names, "lesion_px": int(mask.sum())})
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "case": case.name,
        "shape_zyx": list(hu.shape),
        "spacing_mm": [float(s) for s in case.volume.spacing_mm],
        "hu_offset": HU_OFFSET,
        "window": {"center_hu": window.center_hu, "width_hu": window.width_hu},
        "only_lesion_slices": only_lesion_slices,
        "slices": entries,
    }
    path = out / MANIFEST
    atomic_write(path, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return path


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read and check ``slices.json`` in ``folder``.

    Raises:
        LoadError: missing, unreadable or not a LiverSynth slice manifest.
    """
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise LoadError(path, "no slice manifest here (export_slices writes slices.json)") from err
    except (OSError, ValueError) as err:
        raise LoadError(path, f"unreadable manifest ({err})") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LoadError(path, f"not a {FORMAT} manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise LoadError(path, f"manifest version {manifest.get('version')} is not supported")
    if manifest.get("hu_offset") != HU_OFFSET:
        raise LoadError(path, f"unexpected HU offset {manifest.get('hu_offset')}")
    return manifest


def read_slices(folder: str | Path) -> list[dict[str, Any]]:
    """Read back what :func:`export_slices` wrote.

    Returns:
        one dict per slice, in manifest order: ``index`` (int), ``original_hu`` and
        ``whitened_hu`` (float32 HU, exact), ``mask`` (bool), ``window`` (:class:`Window`) and
        ``spacing_mm`` (tuple).

    Raises:
        LoadError: a missing or unreadable manifest or PNG.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    window = Window(**manifest["window"])
    spacing = tuple(float(s) for s in manifest["spacing_mm"])
    out = []
    for entry in manifest["slices"]:
        out.append(
            {
                "index": int(entry["index"]),
                "original_hu": read_png16(folder / entry["original"]),
                "whitened_hu": read_png16(folder / entry["whitened"]),
                "mask": read_mask_png(folder / entry["mask"]),
                "window": window,
                "spacing_mm": spacing,
            }
        )
    return out
