"""The loader boundary: library exceptions become the project's own errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from liversynth.errors import LiverSynthError, LoadError
from liversynth.io.limits import VolumeLimitError

_MAX_REASON_CHARS = 300


def short_reason(exc: BaseException) -> str:
    """``ExcType: message`` trimmed to one readable line."""
    text = " ".join(str(exc).split()) or "(no message)"
    if len(text) > _MAX_REASON_CHARS:
        text = text[: _MAX_REASON_CHARS - 3] + "..."
    return f"{type(exc).__name__}: {text}"


@contextmanager
def load_boundary(path: str | Path, action: str) -> Iterator[None]:
    """Re-raise any non-LiverSynth exception as a :class:`LoadError` naming ``path``.

    Args:
        path: the file or folder being read.
        action: what was being done, e.g. ``"cannot read NIfTI"``.
    """
    try:
        yield
    except LiverSynthError:
        raise
    except MemoryError as exc:
        raise VolumeLimitError(path, f"{action}: out of memory") from exc
    except RecursionError as exc:
        raise LoadError(path, f"{action}: structure nested too deeply") from exc
    except Exception as exc:
        raise LoadError(path, f"{action}: {short_reason(exc)}") from exc
