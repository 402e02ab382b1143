"""``python -m model_training <command>``: prepare, train, evaluate (and synthesize).

Each command lives in its own module, which exposes ``add_parser(subparsers)`` and
``run(args) -> int``. Project errors are printed as one line (no traceback) with exit code 2;
a full disk is one line with exit code 1.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from liversynth.errors import DiskFullError, LiverSynthError


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[Any], int]]]:
    """The top-level parser and the ``run`` function of each subcommand."""
    from liversynth import __version__
    from model_training import evaluate, prepare, quiz, train, train_args
    from model_training.cli import HelpFormatter
    from model_training.synthesis import command as synthesize

    parser = argparse.ArgumentParser(
        prog=_prog(),
        description="LiverSynth headless tools: prepare a dataset, train, evaluate, synthesize.",
        epilog="Example:\n  liversynth-train prepare --data ../shared/data/3Dircadb1.1 "
        "--out data/ircad11\n\n'liversynth-train COMMAND --help' shows each command's options.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    prepare.add_parser(sub)
    train_args.add_parser(sub)
    evaluate.add_parser(sub)
    runners: dict[str, Callable[[Any], int]] = {
        "prepare": prepare.run,
        "train": train.run,
        "evaluate": evaluate.run,
    }
    synthesize.add_parser(sub)
    runners["synthesize"] = synthesize.run
    quiz.add_parser(sub)
    runners["quiz"] = quiz.run
    from model_training.segbench import command as segbench

    segbench.add_parser(sub)
    runners["segbench"] = segbench.run
    return parser, runners


def _prog() -> str:
    """The name the user typed: the console script, or the module form."""
    name = Path(sys.argv[0]).name
    return name if name.startswith("liversynth-train") else "python -m model_training"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``liversynth-train`` and ``python -m model_training``."""
    parser, runners = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(runners[args.command](args) or 0)
    except DiskFullError as err:  # before LiverSynthError: a full disk exits 1
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (LiverSynthError, ValueError, FileExistsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            print(f"error: the disk is full ({err.filename or 'while writing'})", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
