"""JSON provenance sidecars: where a synthetic file came from, never who the patient was.

A sidecar sits next to its data file with the data suffix replaced by ``.json``
(``case_synth.nii.gz`` → ``case_synth.json``; a DICOM folder ``series/`` → ``series.json``).

Example:
    >>> import tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.png"
    >>> side = write_sidecar(p, {"source": "/data/3Dircadb1.7/PATIENT_DICOM", "filler": "gan",
    ...                          "model": "default.safetensors", "seed": 3})
    >>> doc = json.loads(side.read_text()); doc["source"], doc["synthetic"]
    ('PATIENT_DICOM', True)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from liversynth import __version__
from liversynth.errors import LiverSynthError
from liversynth.export import atomic_write
from liversynth.metrics import json_safe

_DATA_SUFFIXES = (".nii.gz", ".nii", ".png", ".dcm", ".npy", ".npz", ".json")

#: Keys that name a person or an encounter (compared lower-case without "_", "-", " ").
IDENTIFIER_KEYS = frozenset(
    {
        "patientname",
        "patientid",
        "patientsname",
        "name",
        "patient",
        "patientbirthdate",
        "birthdate",
        "dateofbirth",
        "dob",
        "patientbirthtime",
        "patientsex",
        "sex",
        "patientage",
        "age",
        "patientaddress",
        "address",
        "patientweight",
        "patientsize",
        "otherpatientids",
        "otherpatientnames",
        "mrn",
        "medicalrecordnumber",
        "accessionnumber",
        "studydate",
        "seriesdate",
        "acquisitiondate",
        "contentdate",
        "studytime",
        "seriestime",
        "acquisitiontime",
        "institutionname",
        "institutionaddress",
        "institution",
        "referringphysicianname",
        "referringphysician",
        "physician",
        "operatorsname",
        "operator",
        "deviceserialnumber",
        "stationname",
        "studyinstanceuid",
        "seriesinstanceuid",
        "sopinstanceuid",
        "studyid",
        "telephone",
        "phone",
        "email",
        "ssn",
    }
)


class ProvenanceError(LiverSynthError, ValueError):
    """A provenance record holds a patient identifier (refused, nothing is written)."""


def _norm(key: str) -> str:
    return re.sub(r"[\s_\-]", "", str(key)).lower()


def check_provenance(provenance: Mapping[str, Any], _where: str = "provenance") -> None:
    """Refuse identifier keys anywhere in the (nested) record.

    Raises:
        ProvenanceError: naming the offending key.
    """
    for key, value in provenance.items():
        if _norm(key) in IDENTIFIER_KEYS:
            raise ProvenanceError(
                f"{_where}: key {key!r} is a patient/study identifier and may not be exported"
            )
        if isinstance(value, Mapping):
            check_provenance(value, f"{_where}.{key}")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    check_provenance(item, f"{_where}.{key}[{i}]")


def sidecar_path(data_path: str | Path) -> Path:
    """Where the sidecar of ``data_path`` goes (data suffix replaced by ``.json``)."""
    path = Path(data_path)
    name = path.name
    for suffix in _DATA_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + ".json")


def _source_name(source: Any) -> str:
    """Keep only the last path component: folders can contain patient names."""
    text = str(source).rstrip("/\\")
    return re.split(r"[/\\]", text)[-1]


def build_record(provenance: Mapping[str, Any]) -> dict[str, Any]:
    """The sidecar content: the caller's record, checked, with standard fields added."""
    check_provenance(provenance)
    record: dict[str, Any] = {
        "synthetic": True,
        "software": "LiverSynth",
        "version": __version__,
        "created_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for key in ("source", "filler", "model", "seed"):
        record[key] = None
    # What the lesion was asked to look like (Appearance.to_dict()); None = the engine decided.
    record["appearance"] = {"contrast_hu": None, "heterogeneity": None}
    record.update(json_safe(dict(provenance)))
    if record.get("source") is not None:
        record["source"] = _source_name(record["source"])
    return record


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_record(filler: str | None, model_path: str | Path | None) -> dict[str, Any]:
    """``{"model": file name, "model_sha256": hash}`` of the model a filler used.

    A ``gan`` without an explicit path used the bundled model, which is named and hashed too;
    engines without a model give ``None`` for both.
    """
    if model_path is None and filler == "gan":
        from liversynth.fillers.gan import default_model_path

        model_path = default_model_path()
    if model_path is None:
        return {"model": None, "model_sha256": None}
    path = Path(model_path)
    return {"model": path.name, "model_sha256": file_sha256(path) if path.is_file() else None}


def write_sidecar(data_path: str | Path, provenance: Mapping[str, Any]) -> Path:
    """Write ``<data file>.json`` next to ``data_path`` (atomically).

    Args:
        data_path: the exported file or folder the record describes (or the ``.json`` itself).
        provenance: ``source`` (file or case name; folders are stripped), ``filler``, ``model``,
            ``seed``, ``appearance`` (:meth:`Appearance.to_dict`) and anything else useful (metrics, lesion parameters). Never identifiers.

    Returns:
        the sidecar path.

    Raises:
        ProvenanceError: the record contains an identifier key (nothing is written).
    """
    record = build_record(provenance)
    path = sidecar_path(data_path)
    text = json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n"
    return atomic_write(path, text.encode("utf-8"))
