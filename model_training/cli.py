"""Command-line conventions shared by every ``liversynth-train`` subcommand.

One help formatter (defaults shown, examples kept as written), one spelling of the shared
options (``--device {auto,cpu,cuda}``, ``--quiet``) and one rule for progress bars: shown with
items/s on a terminal, hidden with ``--quiet`` or when stderr is not a TTY (logs, CI, SLURM).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from tqdm import tqdm

DEVICES = ("auto", "cpu", "cuda")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps description/epilog line breaks (examples) and appends ``(default: X)`` to every
    option that has a meaningful default and does not state it already."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default is None
            or default is False
            or default is argparse.SUPPRESS
            or default == []
            or not action.option_strings
        ):
            return text
        return text + " (default: %(default)s)"


def subcommand(
    subparsers: Any, name: str, *, help: str, description: str, example: str
) -> argparse.ArgumentParser:
    """Add a subcommand with the shared formatter and an ``Example:`` epilog (reST literals
    in ``description``, e.g. from a docstring, are shown as plain text)."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description.replace("``", ""),
        epilog="Example:\n  " + example.strip().replace("\n", "\n  "),
        formatter_class=HelpFormatter,
    )


def add_device(parser: argparse.ArgumentParser, default: str | None = "auto") -> None:
    """``--device {auto,cpu,cuda}`` (``auto``: CUDA when present)."""
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default=default,
        help="where the gan runs: auto = CUDA when present"
        + (" (default: auto)" if default is None else ""),
    )


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``--quiet`` (and its older spelling ``--no-progress``): no progress bar."""
    parser.add_argument(
        "--quiet",
        "--no-progress",
        dest="quiet",
        action="store_true",
        help="no progress bar (also hidden when stderr is not a terminal)",
    )


def progress(iterable: Iterable[Any] | None = None, *, quiet: bool, **kwargs: Any) -> tqdm:
    """A tqdm bar on stderr with items/s, or a silent one (``quiet`` or stderr not a TTY)."""
    show = not quiet and sys.stderr.isatty()
    return tqdm(iterable, disable=not show, file=sys.stderr, dynamic_ncols=True, **kwargs)
