"""Adding an engine is one class and one ``register`` line: the trainer's front ends list it.

The ``toy_engine`` fixture (tests/conftest.py) registers a flat-fill engine and removes it after
the test; ``synthesize``, ``evaluate`` and the synthesis grid must offer it and run it, with no
other edit anywhere.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from synth_helpers import synth, write_case

from liversynth.io.cases import load_case
from model_training.__main__ import build_parser
from model_training.synthesis.grid import grid_fillers


def _subparser(name: str) -> argparse.ArgumentParser:
    parser, _commands = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _filler_choices() -> list[str]:
    synthesize = _subparser("synthesize")
    return list(next(a for a in synthesize._actions if a.dest == "filler").choices)


def test_the_trainer_lists_a_registered_engine_and_forgets_it_after(
    toy_engine: SimpleNamespace,
) -> None:
    assert toy_engine.name in _filler_choices()
    evaluate = _subparser("evaluate")
    args = evaluate.parse_args(["--data", "d", "--out", "o", "--fillers", "toy,mean"])
    assert args.fillers == ["toy", "mean"]
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--data", "d", "--out", "o", "--fillers", "toy,nonesuch"])
    assert "toy" in grid_fillers()


def test_without_the_toy_the_lists_do_not_have_it() -> None:
    assert "toy" not in _filler_choices() and "toy" not in grid_fillers()
    with pytest.raises(SystemExit):
        _subparser("evaluate").parse_args(["--data", "d", "--out", "o", "--fillers", "toy"])


def test_synthesize_and_evaluate_run_the_toy_engine(
    toy_engine: SimpleNamespace, phantom_dataset: Path, tmp_path: Path
) -> None:
    healthy = write_case(tmp_path / "healthy", 1, healthy=True)
    manifest = synth(
        tmp_path / "synth",
        *("--healthy", str(healthy), "--count", "1", "--seed", "0"),
        *("--filler", "toy", "--workers", "1", "--format", "nifti"),
    )
    record = manifest["items"][0]
    assert manifest["filler"] == record["filler"]["filler"] == "toy"
    image, labels = (tmp_path / "synth" / f for f in record["files"][:2])
    assert labels.name.endswith("_label.nii.gz")
    item = load_case(image, labels=labels)
    tumour = item.labels == 2
    assert tumour.any()
    # The toy paints exactly its level (int16 output of a 42.0 float fill).
    assert np.all(item.volume.hu[tumour] == int(toy_engine.level_hu))

    out = tmp_path / "eval"
    assert (
        build_parser()[1]["evaluate"](
            _subparser("evaluate").parse_args(
                ["--data", str(phantom_dataset), "--out", str(out), "--fillers", "toy,mean"]
                + ["--max-slices", "2", "--grid-rows", "2", "--no-progress"]
            )
        )
        == 0
    )
    result = json.loads((out / "metrics.json").read_text())
    assert list(result["fillers"]) == ["toy", "mean"], result["skipped_fillers"]
    assert "toy" in (out / "table.md").read_text()
