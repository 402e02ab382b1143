"""The app's command line, Qt-free: :class:`LaunchConfig`, :func:`parse_args` and the clock
that times start-up. :mod:`liversynth_gui.__main__` parses with it; :mod:`liversynth_gui.startup`
reads the result (a module of its own, so neither of those two imports the other).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path


def seconds_since_process_start() -> float:
    """Seconds since this process started (Linux ``/proc``; else since this module loaded)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat(5): start time after boot, in ticks
        with open("/proc/uptime", encoding="ascii") as f:
            uptime_s = float(f.read().split()[0])
        return uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _MODULE_T0


_MODULE_T0 = time.perf_counter()


@dataclass
class LaunchConfig:
    """Command-line options.

    Attributes:
        volume: a volume file, DICOM folder/zip, case folder or ``.lsession``; ``None`` = demo.
        labels: a labels file for ``volume``.
        model: a ``*.safetensors`` generator (default: the bundled model).
        print_startup_time: print seconds from process start to the first paint of the case.
        quit_after_startup: exit right after that first paint (for timing).
        screenshot: whiten the real tumour, wait for the fill, save the window there, quit.
        no_recovery: do not offer to recover autosaved work (scripts, screenshots).
        smoke_test: demo: whiten the real tumour, wait for one fill, print it, exit 0 (the
            packaged app's self-check).
        quiz: a quiz folder: open the trainee view (or, with ``review``, the review) only.
        trainee: the trainee's name (asked when absent).
        review: review the answers collected in ``quiz`` (needs its ``key.json``).
    """

    volume: Path | None = None
    labels: Path | None = None
    model: Path | None = None
    print_startup_time: bool = False
    quit_after_startup: bool = False
    screenshot: Path | None = None
    no_recovery: bool = False
    smoke_test: bool = False
    quiz: Path | None = None
    trainee: str | None = None
    review: bool = False


def _version() -> str:
    from liversynth import __version__

    return __version__


def parse_args(argv: list[str] | None = None) -> LaunchConfig:
    """Parse the command line into a :class:`LaunchConfig`."""
    p = argparse.ArgumentParser(
        prog="liversynth",
        description="LiverSynth: paint or stamp a liver lesion on CT and watch a GAN fill it.",
    )
    p.add_argument(
        "volume",
        nargs="?",
        type=Path,
        help="CT volume (NIfTI, DICOM folder/zip/file, NumPy), case folder or "
        ".lsession; default: the built-in demo phantom",
    )
    p.add_argument(
        "--labels", type=Path, help="labels for VOLUME (0 background, 1 liver, 2 tumour)"
    )
    p.add_argument("--model", type=Path, help="generator checkpoint (*.safetensors)")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    p.add_argument(
        "--print-startup-time",
        action="store_true",
        help="print the seconds from process start to the first paint of the case",
    )
    p.add_argument("--quit-after-startup", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="demo: whiten the real tumour, wait for the fill, save the window, quit",
    )
    p.add_argument(
        "--no-recovery", action="store_true", help="do not offer to recover autosaved work"
    )
    p.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the case (default: the demo), fill its real tumour once, print, exit",
    )
    p.add_argument("--quiz", type=Path, metavar="QUIZ_DIR", help="take the quiz in QUIZ_DIR")
    p.add_argument("--trainee", metavar="NAME", help="with --quiz: your name (else asked)")
    p.add_argument(
        "--review", action="store_true", help="with --quiz: review the collected answers"
    )
    ns = p.parse_args(argv)
    return LaunchConfig(
        volume=ns.volume,
        labels=ns.labels,
        model=ns.model,
        print_startup_time=ns.print_startup_time,
        quit_after_startup=ns.quit_after_startup,
        screenshot=ns.screenshot,
        no_recovery=ns.no_recovery or ns.screenshot is not None or ns.smoke_test,
        smoke_test=ns.smoke_test,
        quiz=ns.quiz,
        trainee=ns.trainee,
        review=ns.review,
    )
