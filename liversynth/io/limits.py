"""Resource bounds checked from headers, before any pixel buffer is allocated.

A corrupt or hostile header can claim a volume of terabytes; every loader calls
:func:`check_volume_size` with the shape it is about to allocate so that such a file is
refused with a clear error instead of exhausting memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from liversynth.errors import LoadError, ResourceLimitError


class VolumeLimitError(ResourceLimitError, LoadError):
    """A file describes a volume too large (or too strange) for this machine.

    It is both a :class:`~liversynth.errors.ResourceLimitError` (what it means) and a
    :class:`~liversynth.errors.LoadError` (so that callers catching load failures, and the
    GUI's error dialog, see it too). The message names the file.
    """


def available_memory_bytes() -> int:
    """Return the memory this process may reasonably use, in bytes.

    ``MemAvailable`` from ``/proc/meminfo`` when present (it counts reclaimable page cache),
    else ``os.sysconf`` available pages, else total physical pages.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    for name in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            pages = os.sysconf(name)
        except (ValueError, OSError, AttributeError):
            continue
        if pages > 0:
            return int(pages) * int(page)
    return 8 * 1024**3  # unknown platform: assume a modest 8 GiB machine


@dataclass(frozen=True)
class Limits:
    """Largest volume a loader accepts.

    Attributes:
        max_inplane_px: largest rows/columns of a slice.
        max_slices: largest number of slices.
        max_bytes: largest output array in bytes; ``None`` means half of
            :func:`available_memory_bytes` at the time of the check.
        max_files: most files (or archive members) a folder or zip scan visits.
        max_scan_seconds: longest a folder or zip scan may run before it is abandoned.
    """

    max_inplane_px: int = 4096
    max_slices: int = 5000
    max_bytes: int | None = None
    max_files: int = 20_000
    max_scan_seconds: float = 120.0

    def byte_budget(self) -> int:
        """The byte limit in force now."""
        return self.max_bytes if self.max_bytes is not None else available_memory_bytes() // 2


DEFAULT_LIMITS = Limits()


def check_volume_size(
    path: str | Path,
    shape_zyx: tuple[int, ...],
    itemsize: int,
    limits: Limits | None = None,
) -> int:
    """Refuse a volume whose header describes absurd or too large dimensions.

    Args:
        path: the file, named in the error.
        shape_zyx: ``(slices, rows, columns)`` as read from the header.
        itemsize: bytes per voxel of the array that will be allocated.
        limits: the bounds; :data:`DEFAULT_LIMITS` when ``None``.

    Returns:
        The number of bytes the array will need.

    Raises:
        LoadError: a dimension is zero or negative (a corrupt header).
        VolumeLimitError: too many slices, too large slices, or more bytes than the budget.
    """
    limits = limits or DEFAULT_LIMITS
    dims = [int(d) for d in shape_zyx]
    if len(dims) != 3 or any(d <= 0 for d in dims):
        raise LoadError(path, f"invalid dimensions {tuple(dims)} (every dimension must be > 0)")
    slices, rows, cols = dims
    if rows > limits.max_inplane_px or cols > limits.max_inplane_px:
        raise VolumeLimitError(
            path, f"slices of {rows}x{cols} px exceed the {limits.max_inplane_px} px limit"
        )
    if slices > limits.max_slices:
        raise VolumeLimitError(path, f"{slices} slices exceed the {limits.max_slices} limit")
    n_bytes = slices * rows * cols * int(itemsize)
    budget = limits.byte_budget()
    if n_bytes > budget:
        raise VolumeLimitError(
            path,
            f"a {slices}x{rows}x{cols} volume needs {n_bytes / 2**20:.0f} MiB, more than the "
            f"{budget / 2**20:.0f} MiB allowed (half the available memory)",
        )
    return n_bytes
