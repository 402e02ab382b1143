"""Safe under bad input: a real training process killed with SIGKILL, resumed each time."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from training_helpers import TINY_MODEL_ARGS

from liversynth.checkpoint import load_model
from model_training.curves import read_csv
from model_training.state import load_training_state

EVERY = 3  # checkpoint interval (steps)


def _steps_logged(run: Path, since: float = 0.0) -> int:
    """Last step in losses.csv, counting only a file (re)written after ``since``."""
    path = run / "losses.csv"
    if not path.exists() or path.stat().st_mtime < since:
        return 0
    steps = read_csv(path).get("step")
    return int(steps[-1]) if steps is not None and len(steps) else 0


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_at_random_moments_never_corrupts_the_state(tmp_path: Path) -> None:
    run = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "model_training",
        "train",
        "--phantom",
        "1",
        *TINY_MODEL_ARGS,
        "--epochs",
        "2",
        "--iters-per-epoch",
        "12",
        "--checkpoint-every-steps",
        str(EVERY),
        "--device",
        "cpu",
        "--no-progress",
        "--resume",
        "--out",
        str(run),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    rng = random.Random(20240611)
    reached = 0
    for _ in range(3):
        started = time.time()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120  # a shared machine builds the phantom slowly
        # Let this process make progress past where it resumed (the resumed run rewrites the
        # CSV first) and past its first checkpoint (a busy machine may take seconds per step;
        # a kill before any checkpoint leaves nothing to check), then kill it at a random moment.
        while (
            (_steps_logged(run, started) <= reached or not (run / "state.safetensors").exists())
            and proc.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reached = _steps_logged(run)
        assert reached > 0, proc.stderr.read().decode() if proc.stderr else ""
        # A kill before the first checkpoint leaves no state (a loaded machine can be that
        # slow); otherwise the state must load (never corrupt).
        path = run / "state.safetensors"
        step = load_training_state(path).state.global_step if path.exists() else 0
        assert reached - step <= EVERY  # at most one checkpoint interval lost
        print(f"killed after step {reached}, checkpoint at {step}")
        reached = step
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    final = load_training_state(run / "state.safetensors").state
    assert (final.epoch, final.global_step) == (2, 24)
    assert read_csv(run / "losses.csv")["step"].tolist() == list(range(1, 25))
    load_model(run / "model.safetensors")
    assert not list(run.glob(".*.tmp"))
