"""Cases given on the command line as image + label map (``prepare --pair``, ``--label-map``).

Example:
    >>> parse_label_map(["5=1"])
    {5: 1}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pair_ref(image: Path, labels: Path) -> Any:
    """A ``CaseRef`` for an image + label map given on the command line."""
    from liversynth.io.cases import CaseRef

    name = image.name
    for suffix in (".nii.gz", ".nii", ".npz", ".npy", ".zip", ".dcm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return CaseRef(name, image, labels, "plain", name)


def parse_label_map(items: list[str]) -> dict[int, int] | None:
    """``["5=1", "6=2"]`` → ``{5: 1, 6: 2}`` (None when empty).

    Raises:
        ValueError: an item that is not ``ID=CLASS`` with integers, or a class outside 0/1/2.
    """
    out: dict[int, int] = {}
    for item in items:
        src, sep, dst = item.partition("=")
        try:
            out[int(src)] = int(dst)
        except ValueError:
            raise ValueError(f"--label-map {item!r}: expected ID=CLASS, e.g. 5=1") from None
        if not sep or out[int(src)] not in (0, 1, 2):
            raise ValueError(f"--label-map {item!r}: CLASS must be 0, 1 (liver) or 2 (tumour)")
    return out or None
