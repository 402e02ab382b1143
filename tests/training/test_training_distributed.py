"""DistributedDataParallel through torchrun: two gloo processes on the CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from training_helpers import TINY_MODEL_ARGS

from liversynth.checkpoint import load_model
from model_training.distributed import DistContext
from model_training.state import load_training_state


def test_context_from_torchrun_variables() -> None:
    ctx = DistContext.from_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"})
    assert (ctx.rank, ctx.world, ctx.enabled, ctx.is_main) == (1, 2, True, False)


@pytest.mark.slow
def test_torchrun_two_processes_on_cpu(healthy_dataset: Path, tmp_path: Path) -> None:
    """Two gloo ranks, with what retraining at scale uses: healthy-liver pretraining, noise
    augmentation, the texture losses (structure-only L1, feature matching) and --amp (bf16
    autocast on the CPU)."""
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    run = tmp_path / "run"
    cmd = [
        torchrun,
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "model_training",
        "train",
        "--data",
        str(healthy_dataset),
        *TINY_MODEL_ARGS,
        "--epochs",
        "1",
        "--iters-per-epoch",
        "3",
        "--pretrain-healthy-epochs",
        "1",
        "--noise-hu",
        "0:10",
        "--l1-lowpass-px",
        "1",
        "--lambda-fm",
        "10",
        "--amp",
        "--device",
        "cpu",
        "--no-progress",
        "--out",
        str(run),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((run / "run.json").read_text())
    assert summary["world_size"] == 2 and summary["amp"] == "torch.bfloat16"
    assert summary["healthy_train_slices"] > 0
    assert load_training_state(run / "state.safetensors").state.global_step == 6  # 3 + 3
    assert len((run / "losses.csv").read_text().splitlines()) == 7  # rank 0 logs alone
    _, config = load_model(run / "model.safetensors")
    assert config.to_dict()["training"]["lambda_fm"] == 10.0
