"""Session files: one zip holding ``session.json`` and ``.npy`` masks (no pickle), saved atomically.

A session stores *where the case comes from* (:class:`CaseSource`), not the CT itself, plus
everything the user did: per-slice masks, the shown slice, the window, the filler and model,
the brush radius, the floating stamp and the view (zoom/pan, overlays; opaque to the core).
Reopening restores the work exactly.

Sessions travel: file paths are stored relative to the session file as well as absolute, and
on reopening the case is looked for relative to the session, at its absolute path, then next to
the session; when it is nowhere, :class:`CaseFilesMissingError` lets the app ask the user.

Layout of ``name.lsession`` (a plain zip; ``unzip -l`` shows it)::

    session.json          {"format": "liversynth-session", "version": 1, ...}
    mask_0057.npy         bool (rows, cols) mask of slice 57, one per painted slice
    stamp_source.npy      bool source of the floating stamp (only when there is one)
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np

from liversynth.atomic import atomic_write_stream
from liversynth.authoring.document import Document
from liversynth.authoring.session_schema import check_session_meta, read_mask_member
from liversynth.authoring.source import CaseSource
from liversynth.authoring.stamp import LesionStamp, StampPose
from liversynth.errors import LiverSynthError, LoadError
from liversynth.io.boundary import load_boundary
from liversynth.io.limits import DEFAULT_LIMITS
from liversynth.io.safe_files import MAX_JSON_BYTES, ZipBounds, open_zip, parse_json
from liversynth.volume import Case
from liversynth.windowing import Window

SESSION_FORMAT = "liversynth-session"
SESSION_VERSION = 1
SESSION_SUFFIX = ".lsession"


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


#: The source's file fields that a session stores relative to itself too.
PATH_FIELDS = ("volume_path", "labels_path")


class CaseFilesMissingError(LoadError):
    """The session's case is at none of the places looked at (the app offers "Locate…").

    Attributes:
        missing: the volume path as saved (absolute).
        tried: every place looked at, in order.
    """

    def __init__(self, session: Path, missing: str, tried: list[Path]) -> None:
        self.missing, self.tried = missing, tried
        where = "; ".join(str(t) for t in tried)
        super().__init__(session, f"the session's CT {missing} was not found (looked at: {where})")


def _relative_paths(source: CaseSource, session_dir: Path | None) -> dict[str, str]:
    if session_dir is None:
        return {}
    out = {}
    for name in PATH_FIELDS:
        value = getattr(source, name)
        if value:
            try:
                out[name] = Path(os.path.relpath(Path(value).resolve(), session_dir)).as_posix()
            except ValueError:  # another drive (Windows): only the absolute path is kept
                pass
    return out


def _candidates(saved: str, relative: str | None, session_dir: Path) -> list[Path]:
    """Where to look for a saved path: relative to the session, absolute, next to it."""
    places = [] if relative is None else [session_dir / relative]
    places.append(Path(saved))
    places.append(session_dir / Path(saved.replace("\\", "/")).name)
    return list(dict.fromkeys(p for p in places))


def resolve_source(
    meta: dict[str, Any], session_path: Path, volume_path: str | Path | None = None
) -> CaseSource:
    """The session's :class:`CaseSource` with paths that exist on this machine.

    Args:
        meta: the session's JSON.
        session_path: the session file (relative paths are relative to its folder).
        volume_path: where the user located the CT ("Locate…"); its labels are looked for
            relative to it as they were to the saved CT, then as usual.

    Raises:
        CaseFilesMissingError: the CT is nowhere (labels that are missing are an error of
            :meth:`CaseSource.load`, naming the file).
    """
    source = CaseSource.from_json(meta.get("source") or {})
    if source.volume_path is None:
        return source
    relative = meta.get("relative_paths") or {}
    session_dir = session_path.resolve().parent
    found: dict[str, str | None] = {}
    for name in PATH_FIELDS:
        saved = getattr(source, name)
        if saved is None:
            found[name] = None
            continue
        places = _candidates(saved, relative.get(name), session_dir)
        if name == "volume_path" and volume_path is not None:
            places = [Path(volume_path)]
        elif name == "labels_path" and volume_path is not None:
            moved = Path(volume_path).parent / os.path.relpath(
                saved, Path(source.volume_path).parent
            )
            places.insert(0, moved)
        hit = next((p for p in places if p.exists()), None)
        if hit is None and name == "volume_path":
            raise CaseFilesMissingError(session_path, saved, places)
        found[name] = str(hit) if hit is not None else saved
    return dataclasses.replace(
        source, volume_path=found["volume_path"], labels_path=found["labels_path"]
    )


def session_json(doc: Document, session_dir: Path | None = None) -> dict[str, Any]:
    """The JSON part of a session (masks and stamp source go in separate ``.npy`` entries).

    Args:
        doc: the document.
        session_dir: the folder of the session file; file paths are also stored relative to it.
    """
    case = doc.case
    if case is None:
        raise LiverSynthError("nothing to save: no case is open")
    stamp = doc.stamp
    return {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "saved_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "case_name": case.name,
        "shape": list(case.volume.shape),
        "source": doc.source.to_json(),
        "relative_paths": _relative_paths(doc.source, session_dir),
        "slice_index": doc.slice_index,
        "window": {"center_hu": doc.window.center_hu, "width_hu": doc.window.width_hu},
        "filler_name": doc.filler_name,
        "model_path": doc.model_path,
        "fill_seed": doc.fill_seed,
        "brush_radius_px": doc.brush_radius_px,
        "masks": doc.painted_slices(),
        "stamp": None if stamp is None else {"pose": stamp.pose.to_json(), "origin": stamp.origin},
        "session_path": doc.session_path,
        "view": doc.view_state,
    }


def write_session(doc: Document, f: IO[bytes], session_dir: Path | None = None) -> None:
    """Write ``doc`` as a session zip into the open binary file ``f`` (``session_dir``: the
    folder it will live in, for relative paths)."""
    meta = session_json(doc, session_dir)
    masks = doc.masks_snapshot()
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("session.json", json.dumps(meta, indent=2))
        for z, mask in masks.items():
            zf.writestr(f"mask_{z:04d}.npy", _npy_bytes(mask))
        if doc.stamp is not None:
            zf.writestr("stamp_source.npy", _npy_bytes(doc.stamp.source))


def save_session(doc: Document, path: str | Path, *, mark_clean: bool = True) -> Path:
    """Save ``doc`` to ``path`` atomically (an existing file is replaced only when complete).

    Args:
        doc: the document (must have a case).
        path: destination, conventionally ``*.lsession``.
        mark_clean: record the save in the document (``dirty`` → False, ``session_path``);
            the autosaver passes ``False``.

    Raises:
        LiverSynthError: the file could not be written (the message names it).
    """
    path = Path(path)
    try:
        atomic_write_stream(path, lambda f: write_session(doc, f, path.resolve().parent))
    except OSError as err:
        raise LiverSynthError(f"{path}: cannot save the session ({err.strerror or err})") from err
    if mark_clean:
        doc.mark_clean(str(path))
    return path


#: Session zips: a JSON, one mask per slice, a stamp; nothing else is expected.
_SESSION_ZIP = ZipBounds(
    max_members=DEFAULT_LIMITS.max_slices + 8,
    max_member_bytes=DEFAULT_LIMITS.max_inplane_px**2 + 4096,
    max_total_bytes=4 * 2**30,
)


def read_session(
    path: str | Path,
) -> tuple[dict[str, Any], dict[int, np.ndarray], np.ndarray | None]:
    """Read a session file's JSON, masks and stamp source without loading the case.

    Every field is checked (:mod:`liversynth.authoring.session_schema`) and every mask's
    header is read before its pixels.

    Raises:
        LoadError: not a regular file, not a LiverSynth session, an unknown version, or a
            damaged or malformed file (never another exception).
    """
    path = Path(path)
    with load_boundary(path, "damaged or incomplete session file"):
        with open_zip(path, _SESSION_ZIP, missing="the session file does not exist") as zf:
            try:
                info = zf.getinfo("session.json")
            except KeyError:
                raise LoadError(path, "not a LiverSynth session (no session.json)") from None
            if info.file_size > MAX_JSON_BYTES:
                raise LoadError(path, f"session.json of {info.file_size} bytes is too large")
            meta = parse_json(zf.read(info), path, what="session.json")
            if meta.get("format") != SESSION_FORMAT:
                raise LoadError(path, "not a LiverSynth session (no session format marker)")
            if meta.get("version") != SESSION_VERSION:
                raise LoadError(
                    path,
                    f"session version {str(meta.get('version'))[:20]} is not supported "
                    f"(this LiverSynth reads version {SESSION_VERSION})",
                )
            shape = check_session_meta(meta, path)
            masks = {
                int(z): read_mask_member(zf, f"mask_{int(z):04d}.npy", path, shape[1:])
                for z in meta["masks"]
            }
            stamp = (
                read_mask_member(zf, "stamp_source.npy", path, None) if meta.get("stamp") else None
            )
    return meta, masks, stamp


def load_session(
    path: str | Path, *, case: Case | None = None, volume_path: str | Path | None = None
) -> Document:
    """Reopen a session: reload its case and restore masks, slice, window, filler and stamp.

    Args:
        path: a file written by :func:`save_session`.
        case: the already-loaded case to use instead of reloading it from the session's
            :class:`CaseSource` (required for a case that was built in memory).
        volume_path: where the user located the session's CT when it was not found.

    Returns:
        A clean (not dirty) document whose ``session_path`` is ``path``.

    Raises:
        CaseFilesMissingError: the CT is neither where the session says nor next to it.
        LoadError: the session is unreadable, its case cannot be reloaded, or the case's shape
            differs from the one the masks were drawn on.
    """
    path = Path(path)
    meta, masks, stamp_source = read_session(path)
    with load_boundary(path, "cannot restore the session"):
        return _restore(path, meta, masks, stamp_source, case, volume_path)


def _restore(
    path: Path,
    meta: dict[str, Any],
    masks: dict[int, np.ndarray],
    stamp_source: np.ndarray | None,
    case: Case | None,
    volume_path: str | Path | None = None,
) -> Document:
    source = CaseSource.from_json(meta.get("source") or {})
    if case is None:
        source = resolve_source(meta, path, volume_path)
        if not source.reloadable:
            raise LoadError(
                path, "the session's case was built in memory and has no file to reload it from"
            )
        case = source.load()
    if list(case.volume.shape) != list(meta["shape"]):
        raise LoadError(
            path,
            f"the case now has shape {case.volume.shape} but the session was drawn on "
            f"{tuple(meta['shape'])}; is it the same scan?",
        )
    doc = Document(case, source=source)
    with doc.events.blocked():
        doc.restore_masks(masks)
        doc.set_slice(int(meta["slice_index"]))
        window = meta["window"]
        doc.set_window(Window(float(window["center_hu"]), float(window["width_hu"])))
        doc.set_filler(str(meta["filler_name"]), meta.get("model_path"))
        doc.fill_seed = int(meta.get("fill_seed", 0))
        doc.brush_radius_px = int(meta.get("brush_radius_px", doc.brush_radius_px))
        if meta.get("stamp") and stamp_source is not None:
            pose = StampPose.from_json(meta["stamp"]["pose"])
            doc.set_stamp(LesionStamp(stamp_source, pose, str(meta["stamp"].get("origin", ""))))
        view = meta.get("view")
        doc.view_state = dict(view) if isinstance(view, dict) else {}
    doc.mark_clean(str(path))
    return doc
