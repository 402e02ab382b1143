"""Where the bundled model lives and how many CPU threads a fill may use.

Kept apart from the ``gan`` engine so that the app, the CLI and the benchmarks can find the
default weights and size their thread pools without reading the engine itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch


def default_model_path() -> Path:
    """``resources/models/default.safetensors`` next to the ``liversynth`` package.

    ``resources`` is a top-level package beside ``liversynth`` both in the source tree (and
    an editable install) and in a wheel's ``site-packages``, so the path is found from this
    file without importing anything.
    """
    return Path(__file__).resolve().parents[2] / "resources" / "models" / "default.safetensors"


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def limit_threads() -> None:
    # torch's intra-op pool defaults to the machine's cores; in a container or under a CPU
    # affinity mask that can exceed what we may use, and oversubscription multiplies latency.
    usable = usable_cores()
    if torch.get_num_threads() > usable:
        torch.set_num_threads(usable)
