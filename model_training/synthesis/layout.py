"""Where a ``synthesize`` run writes, and leaving nothing behind when it fails.

``--format nnunet`` writes an nnU-Net v2 raw dataset folder ``Dataset<NNN>_<NAME>`` inside
``--out`` (so ``--out $nnUNet_raw`` drops it where nnU-Net looks), unless ``--out`` already is
such a folder. Every other format writes into ``--out`` itself.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from liversynth.errors import LiverSynthError

DEFAULT_DATASET_ID = 501
DEFAULT_DATASET_NAME = "LiverSynth"
_DATASET_DIR = re.compile(r"^Dataset(\d{3})_([A-Za-z0-9_\-]+)$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")


def dataset_dir_name(dataset_id: int, name: str) -> str:
    """``Dataset501_LiverSynth`` style name, checked against nnU-Net's conventions.

    Raises:
        LiverSynthError: an id outside 1..999 or a name with characters nnU-Net mangles.
    """
    if not 1 <= int(dataset_id) <= 999:
        raise LiverSynthError(
            f"--dataset-id must be in 1..999 (nnU-Net's three digits), got {dataset_id}"
        )
    if not _NAME.match(name):
        raise LiverSynthError(
            f"--dataset-name {name!r}: use letters, digits, '_' and '-' only (no spaces)"
        )
    return f"Dataset{int(dataset_id):03d}_{name}"


def output_root(out: Path, fmt: str, dataset_id: int | None, dataset_name: str | None) -> Path:
    """The folder the items, ``dataset.json`` and ``manifest.json`` go to.

    Raises:
        LiverSynthError: ``--dataset-id``/``--dataset-name`` without ``--format nnunet``, an
            ``--out`` named like another dataset, or another folder with the same id in
            ``--out`` (nnU-Net refuses two datasets with one id).
    """
    if fmt != "nnunet":
        if dataset_id is not None or dataset_name is not None:
            raise LiverSynthError("--dataset-id and --dataset-name apply to --format nnunet only")
        return out
    given = _DATASET_DIR.match(out.name)
    if given and dataset_id is None and dataset_name is None:
        return out
    name = dataset_dir_name(
        DEFAULT_DATASET_ID if dataset_id is None else dataset_id,
        DEFAULT_DATASET_NAME if dataset_name is None else dataset_name,
    )
    if given:
        if out.name != name:
            raise LiverSynthError(f"--out {out} is a dataset folder; it disagrees with {name}")
        return out
    prefix = name.split("_", 1)[0] + "_"
    if out.is_dir():
        clash = [p.name for p in out.iterdir() if p.name.startswith(prefix) and p.name != name]
        if clash:
            raise LiverSynthError(
                f"{out} already holds {clash[0]} with the same dataset id; pick another --dataset-id"
            )
    return out / name


def check_empty(root: Path, overwrite: bool) -> None:
    """Refuse a file, or a non-empty folder without ``--overwrite`` (nothing is created)."""
    if root.exists() and not root.is_dir():
        raise FileExistsError(f"{root}: exists and is not a folder")
    if root.is_dir() and any(root.iterdir()) and not overwrite:
        raise FileExistsError(f"{root}: folder is not empty (pass --overwrite to write into it)")


@contextmanager
def created_on_success(root: Path) -> Iterator[Path]:
    """Create ``root`` (and missing parents); on any failure remove what this run created.

    A folder that existed empty is emptied again; a non-empty one (``--overwrite``) is left as
    it is, since its older content is not ours to delete.
    """
    missing = [p for p in (root, *root.parents) if not p.exists()]
    was_empty = root.is_dir() and not any(root.iterdir())
    root.mkdir(parents=True, exist_ok=True)
    try:
        yield root
    except BaseException:
        if missing:
            shutil.rmtree(missing[-1], ignore_errors=True)
        elif was_empty:
            for child in root.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
