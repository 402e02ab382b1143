"""Fixtures of the trainer tests: phantom cases on disk, a prepared dataset, a tiny model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from training_helpers import PHANTOM_SHAPE

from liversynth.io import save_nifti
from liversynth.phantom import make_phantom
from model_training.prepare import prepare_dataset


@pytest.fixture(autouse=True)
def _pseudonym_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fixed salt: no per-user salt file is created by the tests, pseudonyms are stable.
    monkeypatch.setenv("LIVERSYNTH_PSEUDONYM_SALT", "tests")


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # The machine has two cores shared by many; one thread is faster than fighting for two.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write_lits_phantoms(root: Path, seeds: list[int]) -> Path:
    """Phantom cases in the LiTS layout (``volume-N.nii.gz`` + ``segmentation-N.nii.gz``)."""
    root.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        case = make_phantom(seed=seed, shape=PHANTOM_SHAPE)
        save_nifti(case.volume.hu, case.volume.spacing_mm, root / f"volume-{seed}.nii.gz")
        save_nifti(
            case.labels, case.volume.spacing_mm, root / f"segmentation-{seed}.nii.gz", labels=True
        )
    return root


@pytest.fixture(scope="session")
def lits_phantoms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three phantom patients in the LiTS layout."""
    return write_lits_phantoms(tmp_path_factory.mktemp("lits"), [0, 1, 2])


@pytest.fixture(scope="session")
def phantom_dataset(lits_phantoms: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``prepare`` output for the three phantom patients (split by patient)."""
    out = tmp_path_factory.mktemp("dataset") / "ds"
    prepare_dataset([lits_phantoms], out, val_fraction=0.34, test_fraction=0.34, progress=False)
    return out


@pytest.fixture(scope="session")
def healthy_dataset(lits_phantoms: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``prepare`` output with healthy-liver pairs for the three phantom patients."""
    from model_training.healthy import HealthyParams

    out = tmp_path_factory.mktemp("healthy") / "ds"
    prepare_dataset(
        [lits_phantoms],
        out,
        val_fraction=0.34,
        test_fraction=0.34,
        healthy=HealthyParams(),
        progress=False,
    )
    return out
