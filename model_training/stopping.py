"""When to stop: step and time limits, and SIGINT / SIGTERM asking for a clean stop."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

from model_training.config import TrainConfig
from model_training.state import TrainingState


def check_stop(
    cfg: TrainConfig, st: TrainingState, started: float, signalled: Callable[[], bool]
) -> str:
    """Why training should stop now ("" = go on).

    Args:
        cfg: the limits (``max_steps`` is a global step, ``max_minutes`` this process's time).
        st: the counters.
        started: ``time.monotonic()`` when this process started training.
        signalled: tells whether SIGINT / SIGTERM arrived (:func:`stop_on_signals`).
    """
    if signalled():
        return "signal"
    if cfg.max_steps and st.global_step >= cfg.max_steps:
        return f"--max-steps {cfg.max_steps}"
    if cfg.max_minutes and time.monotonic() - started >= cfg.max_minutes * 60.0:
        return f"--max-minutes {cfg.max_minutes:g}"
    return ""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[Callable[[], bool]]:
    """SIGINT / SIGTERM ask for a clean stop (checkpoint first) instead of killing the run.

    Yields a function telling whether a signal arrived; the old handlers come back on exit.
    """
    flag = {"set": False}

    def handler(signum: int, frame: Any) -> None:
        flag["set"] = True

    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: no signal handling
        pass
    try:
        yield lambda: flag["set"]
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
