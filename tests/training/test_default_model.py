"""The bundled default model on held-out lesions of real CT (the issue's acceptance test).

The default model was trained on the training lesions of 3Dircadb1.1 (``prepare`` splits that
one patient by 3-D lesion, seed 0); here the same split is rebuilt and the model must beat the
classical in-fill baselines on the *held-out* lesions, inside the lesion, on MAE and SSIM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from liversynth.fillers.gan import default_model_path
from model_training.evaluate import evaluate
from model_training.prepare import prepare_dataset

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def ircad_dataset(ircad11: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ircad11") / "dataset"
    manifest = prepare_dataset([ircad11], out, seed=0, progress=False)
    assert manifest["split_unit"] == "lesion"
    return out


def test_default_model_beats_the_classical_fillers_on_held_out_lesions(
    ircad_dataset: Path, tmp_path: Path
) -> None:
    model = default_model_path()
    if not model.is_file():
        pytest.skip(f"{model} is absent")
    result = evaluate(
        ircad_dataset,
        tmp_path / "eval",
        model=model,
        split="test",
        fillers=["gan", "mean", "biharmonic"],
        device="cpu",
        progress=False,
    )
    assert result["n_slices"] >= 20
    scores = result["fillers"]
    assert set(scores) == {"gan", "mean", "biharmonic"}, result["skipped_fillers"]

    def mean_of(filler: str, metric: str) -> float:
        return float(scores[filler]["mean"][metric])

    for baseline in ("mean", "biharmonic"):
        assert mean_of("gan", "mae_lesion_hu") < mean_of(baseline, "mae_lesion_hu")
        assert mean_of("gan", "ssim_lesion") > mean_of(baseline, "ssim_lesion")
    assert (tmp_path / "eval" / "table.md").is_file() and (tmp_path / "eval" / "grid.png").is_file()
