"""Opening work without Qt: files, labels for the open volume, the cached demo phantom, sessions
and autosaves (:mod:`liversynth.authoring.opening`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from authoring_cases import small_case

from liversynth.authoring import CaseSource, Document
from liversynth.authoring.opening import (
    demo_case,
    demo_slice,
    files_case,
    labels_case,
    recovered_document,
    session_document,
    split_dropped,
)
from liversynth.authoring.session import save_session
from liversynth.errors import LoadError
from liversynth.io import save_nifti
from liversynth.volume import TUMOUR

TINY = (12, 64, 64)


def test_the_demo_phantom_is_cached_atomically_and_read_back_identically(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = demo_case(3, TINY, cache_dir=cache)
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 1 and files[0].startswith("phantom-3-12x64x64-")  # no temporaries
    again = demo_case(3, TINY, cache_dir=cache)
    assert np.array_equal(again.case.volume.hu, first.case.volume.hu)
    assert np.array_equal(again.case.labels, first.case.labels)
    assert again.initial_slice == first.initial_slice == demo_slice(first.case.labels)
    assert first.case.labels is not None
    assert (first.case.labels[first.initial_slice] == TUMOUR).any()


def test_a_damaged_or_stale_cache_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good = demo_case(3, TINY, cache_dir=cache)
    (path,) = cache.iterdir()
    path.write_bytes(b"torn")
    stale = cache / "phantom-3-12x64x64-0000000000000000.npz"  # another code hash
    stale.write_bytes(b"old")
    rebuilt = demo_case(3, TINY, cache_dir=cache)
    assert np.array_equal(rebuilt.case.volume.hu, good.case.volume.hu)
    assert sorted(cache.iterdir()) == [path] and path.stat().st_size > 1000


def test_labels_are_put_on_the_open_volume_and_remembered_in_the_source(tmp_path: Path) -> None:
    case = small_case()
    assert case.labels is not None
    labels_file = save_nifti(
        case.labels, case.volume.spacing_mm, tmp_path / "seg.nii.gz", labels=True
    )
    source = CaseSource(volume_path=str(tmp_path / "ct.nii.gz"))
    loaded = labels_case(case.volume, source, "small", labels_file)
    assert loaded.case.name == "small" and loaded.case.volume is case.volume
    assert np.array_equal(loaded.case.labels, case.labels)
    assert loaded.source.volume_path == source.volume_path
    # The window keeps the case's title after Ctrl+L, not the labels file's (issue 14).
    assert loaded.source.labels_path == str(labels_file) and loaded.title == "small"
    wrong = save_nifti(
        case.labels[:, :40], case.volume.spacing_mm, tmp_path / "w.nii.gz", labels=True
    )
    with pytest.raises(LoadError, match="w.nii.gz"):
        labels_case(case.volume, source, "small", wrong)


def test_files_case_reads_a_volume_and_names_a_missing_file(tmp_path: Path) -> None:
    case = small_case()
    ct = save_nifti(case.volume.hu, case.volume.spacing_mm, tmp_path / "ct.nii.gz")
    loaded = files_case(ct)
    assert np.array_equal(loaded.case.volume.hu, case.volume.hu)
    assert loaded.source.volume_path == str(ct) and loaded.title == "ct.nii.gz"
    with pytest.raises(LoadError, match="absent.nii"):
        files_case(tmp_path / "absent.nii")


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["a.nii"], ("a.nii", None)),
        (["ct.nii.gz", "ct_seg.nii.gz"], ("ct.nii.gz", "ct_seg.nii.gz")),
        (["Labels.nii", "ct.nii"], ("ct.nii", "Labels.nii")),
        (["x.nii", "y.nii"], ("x.nii", "y.nii")),  # no hint: the first is the volume
    ],
)
def test_dropped_files_are_split_into_volume_and_labels(
    paths: list[str], expected: tuple[str, str | None]
) -> None:
    assert split_dropped(paths) == expected


def test_a_phantom_session_reopens_from_the_demo_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    demo = demo_case(3, TINY, cache_dir=cache)
    doc = Document(demo.case, source=demo.source)
    mask = np.zeros(TINY[1:], bool)
    mask[30:34, 30:34] = True
    doc.set_mask(mask)
    path = save_session(doc, tmp_path / "work.lsession")

    def rebuild(_self: CaseSource) -> None:
        raise AssertionError("the phantom was rebuilt instead of read from the cache")

    monkeypatch.setattr(CaseSource, "load", rebuild)
    reopened = session_document(path, cache)
    assert np.array_equal(reopened.mask, mask) and not reopened.dirty
    recovered = recovered_document(path, cache)
    assert np.array_equal(recovered.mask, mask) and recovered.dirty
