"""Safe under bad input: mutated real and self-made files only ever raise LoadError.

Each target gets a bounded, derandomised hypothesis run (reproducible in CI). Real seeds from
../shared/data are used when present; self-made seeds always run. The long campaign is
``benchmarks/fuzz_loaders.py``.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_factories import ct_slice_dataset, display_to_nifti, display_volume

from benchmarks.mutations import (
    ABSURD_INTS,
    DICOM_EDITS,
    NIFTI1_FIELDS,
    SPECIAL_FLOATS,
    apply_plan,
    run_loader,
    set_nifti_field,
)
from liversynth.io import Limits, load_labels, load_volume
from liversynth.volume import Volume

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# Small enough for CI, large enough for every mutation family to show up.
FUZZ = settings(
    max_examples=60,
    deadline=None,  # timing is checked per example below (a hang is caught by the timeout)
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LIMITS = Limits(max_bytes=256 * 2**20)  # bounded memory whatever a header claims
MAX_SECONDS = 10.0

positions = st.one_of(st.integers(0, 400), st.integers(0, 2**31))
flips = st.tuples(
    st.just("flip"), st.lists(st.tuples(positions, st.integers(1, 255)), min_size=1, max_size=6)
)
truncations = st.tuples(st.just("truncate"), st.integers(0, 2**20))
numbers = st.one_of(
    st.sampled_from(ABSURD_INTS),
    st.sampled_from(SPECIAL_FLOATS),
    st.floats(width=32, allow_nan=True, allow_infinity=True),
)
nifti_fields = st.tuples(
    st.just("field"), st.sampled_from(sorted(NIFTI1_FIELDS)), st.integers(0, 11), numbers
)
dicom_edits = st.sampled_from(sorted(DICOM_EDITS)).flatmap(
    lambda key: st.tuples(st.just("element"), st.just(key), st.sampled_from(DICOM_EDITS[key]))
)
gzip_level = st.tuples(st.just("gz"), st.one_of(flips, truncations))
nifti_plans = st.lists(
    st.one_of(flips, truncations, nifti_fields, nifti_fields, gzip_level), min_size=1, max_size=4
)
dicom_plans = st.lists(
    st.one_of(flips, truncations, dicom_edits, dicom_edits), min_size=1, max_size=3
)


class Target:
    """Writes a mutated seed under a fresh name and runs the loaders on it."""

    def __init__(
        self, folder: Path, seed: bytes, suffix: str, loads: list[Callable[[Path], object]]
    ):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.suffix = suffix
        self.loads = loads
        self.counter = itertools.count()

    def check(self, plan: list[tuple]) -> None:
        data = apply_plan(self.seed, plan)
        case_dir = Path(tempfile.mkdtemp(dir=self.folder))
        path = case_dir / f"input{self.suffix}"
        path.write_bytes(data)
        for load in self.loads:
            outcome = run_loader(lambda load=load: load(path))
            assert outcome.kind != "escape", f"plan {plan!r} escaped:\n{outcome.detail}"
            assert outcome.seconds < MAX_SECONDS, f"plan {plan!r} took {outcome.seconds:.1f} s"


def _volume_loader(path: Path) -> Volume:
    return load_volume(path, limits=LIMITS)


def _labels_loader(like: Volume) -> Callable[[Path], object]:
    return lambda path: load_labels(path, like, mapping={1: 1, 2: 2, 5: 1}, limits=LIMITS)


def _nifti_target(tmp: Path, seed_path: Path, name: str) -> Target:
    like = load_volume(seed_path)
    suffix = ".nii.gz" if seed_path.name.endswith(".gz") else ".nii"
    return Target(
        tmp / name, seed_path.read_bytes(), suffix, [_volume_loader, _labels_loader(like)]
    )


def _dicom_target(tmp: Path, seed_path: Path, name: str) -> Target:
    def in_folder(path: Path) -> object:
        return load_volume(path.parent, limits=LIMITS)

    return Target(tmp / name, seed_path.read_bytes(), ".dcm", [_volume_loader, in_folder])


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz_seeds")
    labels = (display_volume((3, 5, 6)) > 0).astype(np.int16)
    display_to_nifti(folder / "tiny.nii", display_volume((3, 5, 6)), (2.0, 1.0, 1.0), "LAS")
    display_to_nifti(folder / "tiny.nii.gz", labels, (2.0, 1.0, 1.0), "RAS")
    pixels = display_volume((1, 8, 9))[0]
    ds = ct_slice_dataset(pixels, position=(0, 0, 0), intercept=-1024.0)
    ds.save_as(folder / "tiny.dcm", enforce_file_format=True)
    return folder


@pytest.fixture(scope="module")
def tiny_nifti(seeds: Path) -> Target:
    return _nifti_target(seeds, seeds / "tiny.nii", "n")


@pytest.fixture(scope="module")
def tiny_nifti_gz(seeds: Path) -> Target:
    return _nifti_target(seeds, seeds / "tiny.nii.gz", "g")


@pytest.fixture(scope="module")
def tiny_dicom(seeds: Path) -> Target:
    return _dicom_target(seeds, seeds / "tiny.dcm", "d")


@pytest.fixture(scope="module")
def real_nifti(totalseg: Path, seeds: Path) -> Target:
    return _nifti_target(seeds, totalseg / "example_ct_sm.nii.gz", "rn")


@pytest.fixture(scope="module")
def real_dicom(ircad11: Path, seeds: Path) -> Target:
    return _dicom_target(seeds, ircad11 / "PATIENT_DICOM" / "image_60", "rd")


@pytest.fixture(scope="module")
def real_jpeg2000(totalseg: Path, seeds: Path) -> Target:
    return _dicom_target(seeds, sorted((totalseg / "example_ct_dicom").iterdir())[10], "rj")


@FUZZ
@given(plan=nifti_plans)
def test_fuzz_tiny_nifti(tiny_nifti: Target, plan: list) -> None:
    tiny_nifti.check(plan)


@FUZZ
@given(plan=nifti_plans)
def test_fuzz_tiny_nifti_gz_labels(tiny_nifti_gz: Target, plan: list) -> None:
    tiny_nifti_gz.check(plan)


@FUZZ
@given(plan=dicom_plans)
def test_fuzz_tiny_dicom(tiny_dicom: Target, plan: list) -> None:
    tiny_dicom.check(plan)


@pytest.mark.realdata
@settings(FUZZ, max_examples=40)
@given(plan=nifti_plans)
def test_fuzz_real_nifti(real_nifti: Target, plan: list) -> None:
    real_nifti.check(plan)


@pytest.mark.realdata
@settings(FUZZ, max_examples=40)
@given(plan=dicom_plans)
def test_fuzz_real_dicom(real_dicom: Target, plan: list) -> None:
    real_dicom.check(plan)


@pytest.mark.realdata
@settings(FUZZ, max_examples=40)
@given(plan=dicom_plans)
def test_fuzz_real_jpeg2000(real_jpeg2000: Target, plan: list) -> None:
    real_jpeg2000.check(plan)


def test_absurd_header_dims_are_refused_not_allocated(seeds: Path, tmp_path: Path) -> None:
    """Claims of huge volumes are refused from the header (bounded memory)."""
    data = (seeds / "tiny.nii").read_bytes()
    for dims in [(3, 4096, 4096, 4096), (3, 30000, 30000, 1), (3, 4000, 4000, 4999)]:
        mutated = data
        for index, value in enumerate(dims):
            mutated = set_nifti_field(mutated, "dim", index, value)
        path = tmp_path / "huge.nii"
        path.write_bytes(mutated)
        outcome = run_loader(lambda path=path: load_volume(path))
        assert outcome.kind == "refused" and outcome.error == "VolumeLimitError", outcome
        assert outcome.seconds < 1.0
