"""Session files: exact round trip, reload from the case's files, atomic save, clear errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import IO

import numpy as np
import pytest
from authoring_cases import SHAPE, small_case

from liversynth.atomic import atomic_write_stream
from liversynth.authoring import CaseSource, Document
from liversynth.authoring.session import load_session, read_session, save_session
from liversynth.errors import LiverSynthError, LoadError
from liversynth.windowing import Window


def _worked_document(case_source: CaseSource | None = None) -> Document:
    doc = Document(small_case(), source=case_source)
    doc.set_slice(1)
    doc.begin_stroke("paint", radius_px=4)
    doc.stroke_to(12, 12)
    doc.stroke_to(12, 30)
    doc.end_stroke()
    doc.set_slice(3)
    doc.begin_stroke("paint", radius_px=2)
    doc.stroke_to(30, 30)
    doc.end_stroke()
    doc.set_window(Window(35.0, 180.0))
    doc.set_filler("biharmonic", "/models/some.safetensors")
    doc.fill_seed = 7
    doc.brush_radius_px = 9
    doc.stamp_procedural(6.0, seed=2)
    doc.update_stamp_pose(angle_deg=25.0, scale_y=1.3, flip_v=True)
    return doc


def _assert_same_work(a: Document, b: Document) -> None:
    assert a.painted_slices() == b.painted_slices()
    for z in range(SHAPE[0]):
        np.testing.assert_array_equal(a.mask_for(z), b.mask_for(z))
    assert a.slice_index == b.slice_index
    assert a.window == b.window
    assert (a.filler_name, a.model_path, a.fill_seed) == (b.filler_name, b.model_path, b.fill_seed)
    assert a.brush_radius_px == b.brush_radius_px
    assert a.stamp is not None and b.stamp is not None
    assert a.stamp.pose == b.stamp.pose and a.stamp.origin == b.stamp.origin
    np.testing.assert_array_equal(a.stamp.source, b.stamp.source)


def test_round_trip_restores_the_work_exactly(tmp_path: Path) -> None:
    doc = _worked_document()
    assert doc.dirty
    path = save_session(doc, tmp_path / "work.lsession")
    assert not doc.dirty and doc.session_path == str(path)
    back = load_session(path, case=small_case())
    _assert_same_work(doc, back)
    assert not back.dirty and not back.can_undo and back.session_path == str(path)


def test_session_is_a_zip_of_json_and_npy_without_pickles(tmp_path: Path) -> None:
    path = save_session(_worked_document(), tmp_path / "work.lsession")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        meta = json.loads(zf.read("session.json"))
    assert names == {"session.json", "mask_0001.npy", "mask_0003.npy", "stamp_source.npy"}
    assert meta["format"] == "liversynth-session" and meta["masks"] == [1, 3]
    _, masks, _ = read_session(path)  # np.load(allow_pickle=False) inside
    assert all(m.dtype == bool for m in masks.values())


def test_load_reopens_the_case_from_its_files(tmp_path: Path) -> None:
    case = small_case()
    np.save(tmp_path / "volume.npy", case.volume.hu)
    np.save(tmp_path / "labels.npy", case.labels)
    source = CaseSource(str(tmp_path / "volume.npy"), str(tmp_path / "labels.npy"))
    doc = _worked_document(source)
    path = save_session(doc, tmp_path / "work.lsession")
    back = load_session(path)
    _assert_same_work(doc, back)
    np.testing.assert_array_equal(back.case.labels, case.labels)
    assert back.source == source


def test_in_memory_case_needs_the_case_and_wrong_case_is_refused(tmp_path: Path) -> None:
    path = save_session(_worked_document(), tmp_path / "work.lsession")
    with pytest.raises(LoadError, match="in memory"):
        load_session(path)
    other = small_case()
    other.volume.hu = other.volume.hu[:3]
    other.labels = None
    with pytest.raises(LoadError, match="same scan"):
        load_session(path, case=other)


def test_damaged_or_foreign_files_raise_load_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.lsession"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(LoadError, match="junk.lsession"):
        load_session(junk, case=small_case())
    foreign = tmp_path / "foreign.lsession"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("session.json", json.dumps({"format": "other"}))
    with pytest.raises(LoadError, match="not a LiverSynth session"):
        load_session(foreign, case=small_case())
    with pytest.raises(LoadError, match="does not exist"):
        load_session(tmp_path / "missing.lsession", case=small_case())


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    target.write_bytes(b"old content")

    def failing_writer(f: IO[bytes]) -> None:
        f.write(b"half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write_stream(target, failing_writer)
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]  # no temp left behind


class _DiskFullDocument(Document):
    """Fails half-way through writing its masks, as a full disk would."""

    def masks_snapshot(self) -> dict[int, np.ndarray]:
        masks = super().masks_snapshot()

        class _Failing(dict):
            def items(self):  # type: ignore[override]
                yield next(iter(dict.items(self)))
                raise OSError(28, "No space left on device")

        return _Failing(masks)


def test_failed_session_save_leaves_previous_session_intact(tmp_path: Path) -> None:
    path = save_session(_worked_document(), tmp_path / "work.lsession")
    before = path.read_bytes()
    doc = _DiskFullDocument(small_case())
    doc.restore_masks(load_session(path, case=small_case()).masks_snapshot())
    doc.set_slice(0)
    doc.begin_stroke("paint", radius_px=3)
    doc.stroke_to(20, 20)
    doc.end_stroke()
    with pytest.raises(LiverSynthError, match="work.lsession"):
        save_session(doc, path)
    assert path.read_bytes() == before
    assert doc.dirty  # the work is still unsaved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work.lsession"]
    load_session(path, case=small_case())  # still a valid session
