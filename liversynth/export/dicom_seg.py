"""DICOM SEG of a synthetic series' labels (liver, tumour), written with highdicom.

The Segmentation instance references the synthetic CT series it was made for (its study,
its frame of reference and every slice's SOP instance), so a viewer or SimpleITK places the
segments on the image in patient coordinates. Segments follow the project's labels and do not
overlap: 1 ``liver`` (label 1, liver parenchyma without the tumour) and 2 ``tumour`` (label 2).
Frames without any segment are omitted (highdicom's default).

Example:
    >>> paths = export_dicom_series(hu, spacing, "out/item", provenance=prov)  # doctest: +SKIP
    >>> export_dicom_seg(labels, paths, "out/item_seg.dcm", provenance=prov)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from liversynth import __version__
from liversynth.atomic import atomic_write
from liversynth.volume import LIVER, TUMOUR

#: (segment number = label value, label, category, type) of the project's labels.
SEGMENTS = (
    (LIVER, "liver", codes.SCT.Organ, codes.SCT.Liver),
    (TUMOUR, "tumour", codes.SCT.MorphologicallyAbnormalStructure, codes.SCT.Neoplasm),
)


def _descriptions(present: Sequence[int]) -> list[Any]:
    import highdicom as hd

    algorithm = hd.AlgorithmIdentificationSequence(
        name="LiverSynth",
        version=__version__,
        family=codes.cid7162.ArtificialIntelligence,
    )
    return [
        hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=label,
            segmented_property_category=category,
            segmented_property_type=kind,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
        )
        for number, label, category, kind in SEGMENTS
        if number in present
    ]


def export_dicom_seg(
    labels_zyx: np.ndarray,
    series_paths: Sequence[str | Path],
    out_path: str | Path,
    *,
    provenance: dict[str, Any],
) -> Path:
    """Write the labels of a series exported by :func:`export_dicom_series` as one DICOM SEG.

    Args:
        labels_zyx: uint8 ``(z, y, x)`` 0 background, 1 liver, 2 tumour, on the series' grid
            (slice ``k`` of the array is ``series_paths[k]``, the order the exporter returns).
        series_paths: the CT files, slice 0 (feet) first.
        out_path: the ``.dcm`` to write (atomically).
        provenance: filler, seed... (recorded in the SeriesDescription and ContentDescription).

    Returns:
        the written path.

    Raises:
        ValueError: labels other than 0/1/2, a shape that differs from the series, or no
            liver nor tumour voxel at all.
    """
    import highdicom as hd

    labels = np.asarray(labels_zyx)
    sources = [pydicom.dcmread(p, stop_before_pixels=True) for p in series_paths]
    expected = (len(sources), int(sources[0].Rows), int(sources[0].Columns))
    if labels.shape != expected:
        raise ValueError(f"{out_path}: labels {labels.shape} differ from the series {expected}")
    present = sorted(int(v) for v in np.unique(labels) if v)
    if not present:
        raise ValueError(f"{out_path}: no liver or tumour voxel to write")
    if not set(present) <= {LIVER, TUMOUR}:
        raise ValueError(f"{out_path}: labels must be 0/1/2, found {present}")
    # Stacked segments (frames, rows, cols, segment): one binary plane per described segment.
    stacked = np.stack([labels == number for number in present], axis=-1).astype(np.uint8)
    filler = provenance.get("filler")
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=stacked,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=_descriptions(present),
        series_instance_uid=generate_uid(),
        series_number=9002,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="LiverSynth",
        manufacturer_model_name="LiverSynth",
        software_versions=__version__,
        device_serial_number="none",
        series_description=("SYNTHETIC LiverSynth labels" + (f" {filler}" if filler else ""))[:64],
        content_description=f"labels of a synthetic series (seed {provenance.get('seed')})"[:64],
        content_label="LABELS",
    )
    return atomic_write(Path(out_path), lambda tmp: seg.save_as(tmp, enforce_file_format=True))
