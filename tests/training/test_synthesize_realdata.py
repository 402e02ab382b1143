"""``synthesize`` on the real 3D-IRCADb cases: healthy 1.7, lesions of 1.1 (slow, real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synth_helpers import check_item, placed_mask, same_files, synth

from liversynth.export.png import read_png16
from liversynth.export.pseudonym import Pseudonymizer
from liversynth.io.cases import load_case
from liversynth.lesions.bank import LesionBank

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def healthy17(ircad17):
    return load_case(ircad17)


@pytest.fixture(scope="module")
def bank11(ircad11, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bank") / "ircad11.npz"
    LesionBank.from_cases([ircad11]).save(path)
    return path


@pytest.mark.parametrize("filler", ["procedural", "copy_paste"])
def test_real_lesions_into_a_healthy_liver(ircad17, healthy17, bank11, tmp_path, filler):
    args = ["--healthy", str(ircad17), "--lesions", str(bank11), "--count", "8", "--seed", "1"]
    manifest = synth(tmp_path / "o", *args, "--filler", filler, "--workers", "1")
    bank = LesionBank.load(bank11)
    liver = healthy17.labels == 1
    for record in manifest["items"]:
        k, z = record["index"], record["slice"]
        hu = read_png16(tmp_path / "o" / f"item_{k:05d}.png")
        labels = np.asarray(Image.open(tmp_path / "o" / f"item_{k:05d}_label.png"))
        placed = placed_mask(record, liver.shape, bank)
        assert liver[placed].all()  # the whole 3-D lesion, not only the written slice
        check_item(
            hu[None], labels[None], healthy17.volume.hu[z][None], liver[z][None], placed[z][None]
        )
        # Case names are pseudonymised by default (issue 12): the donor case's pseudonym.
        assert record["lesion"]["lesion_id"].startswith(Pseudonymizer().name("3Dircadb1.1") + "#")
    # One item alone gives the same bytes as in the full run.
    synth(tmp_path / "one", *args, "--filler", filler, "--workers", "1", "--only-item", "5")
    names = [f"item_00005{s}" for s in (".png", "_preview.png", "_label.png", ".json")]
    same_files(tmp_path / "o", tmp_path / "one", names)
