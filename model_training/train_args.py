"""The ``train`` subcommand's options (defaults: the paper's Table 1) → :class:`TrainConfig`.

Options default to None so that ``--resume`` can tell "not given" from "given"; each help text
states the real default itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from model_training.config import TrainConfig, parse_model_overrides


def parse_range(text: str) -> list[float]:
    """``"0:15"`` → ``[0.0, 15.0]`` (a single number means LOW = HIGH).

    Raises:
        argparse.ArgumentTypeError: not one or two numbers separated by ``:``.
    """
    import argparse

    parts = text.split(":")
    try:
        values = [float(v) for v in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOW:HIGH") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOW:HIGH")
    return values


def add_parser(subparsers: Any) -> None:
    """Register the ``train`` subcommand (defaults: Table 1 of the paper)."""
    import argparse

    # Options default to None so that --resume can tell "not given" from "given"; each help
    # text states the real default itself.
    from model_training.cli import DEVICES, subcommand

    p = subcommand(
        subparsers,
        "train",
        help="train the pix2pix generator (Table 1 defaults); --resume continues exactly",
        description="Train the lesion in-filling GAN on a prepared dataset (and/or phantoms).",
        example="liversynth-train train --data data/ircad11 --out runs/a --epochs 10 --device auto",
    )
    d = TrainConfig(data=None, out="", phantom=1)  # the defaults, for the help text
    p.add_argument("--data", metavar="DATASET_DIR", help="prepared dataset ('prepare')")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder")
    p.add_argument(
        "--config",
        dest="model",
        default=None,
        metavar="crop|paper|JSON",
        help=f"model preset or model-config JSON (default {d.model})",
    )
    p.add_argument(
        "--model-set",
        action="extend",
        nargs="+",
        metavar="KEY=VALUE",
        help="override a ModelConfig field, e.g. ngf=16 crop_px=256 mask_channel=false",
    )
    for name, typ, help_text in (
        ("epochs", int, "passes over the training slices"),
        ("iters_per_epoch", int, "steps per epoch (0: one per training slice)"),
        ("lr", float, "Adam learning rate"),
        ("beta1", float, "Adam beta1"),
        ("batch_size", int, "slices per step and process"),
        ("lambda_l1", float, "L1 loss weight"),
        ("lambda_adv", float, "adversarial loss weight"),
        ("lesion_l1_weight", float, "L1 weight inside the lesion relative to outside"),
        ("l1_lowpass_px", float, "Gaussian σ (px) on output and target before L1 (0: plain L1)"),
        ("lambda_fm", float, "discriminator feature-matching loss weight (pix2pixHD; 0: off)"),
        ("loss_ema", float, "decay of the smoothed loss curves"),
        ("ema_weights", float, "EMA decay of generator weights for the saved model (0: off)"),
        ("seed", int, "seed of weights, data order and augmentation"),
        ("checkpoint_every_steps", int, "write the training state every N steps"),
        ("max_minutes", float, "stop cleanly with a checkpoint after M minutes (0: no limit)"),
        ("max_steps", int, "stop cleanly with a checkpoint at this step (0: no limit)"),
        ("num_workers", int, "data-loader worker processes"),
        ("phantom", int, "add N phantom cases to the training data"),
    ):
        flag = "--" + name.replace("_", "-")
        p.add_argument(
            flag,
            dest=name,
            type=typ,
            default=None,
            help=f"{help_text} (default {getattr(d, name)})",
        )
    p.add_argument(
        "--device",
        default=None,
        choices=DEVICES,
        help="where to train: auto = CUDA when present (default: auto)",
    )
    p.add_argument(
        "--amp",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mixed precision (default: on for CUDA; bf16, or fp16 + GradScaler)",
    )
    p.add_argument(
        "--amp-dtype",
        default=None,
        choices=("auto", "bf16", "fp16"),
        help="autocast type (default auto: bf16 where supported, else fp16)",
    )
    p.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="channels-last memory format (CUDA speed)",
    )
    p.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="augmentation (default on)",
    )
    p.add_argument(
        "--pretrain-healthy-epochs",
        type=int,
        default=None,
        metavar="N",
        help="epochs on the dataset's healthy-liver pairs before the tumour epochs (default 0)",
    )
    p.add_argument(
        "--noise-hu",
        dest="noise_sigma_hu",
        type=parse_range,
        default=None,
        metavar="LOW:HIGH",
        help="noise augmentation: σ range (HU) of correlated noise added to input and target "
        "(default off; e.g. 0:15)",
    )
    p.add_argument(
        "--noise-corr-px",
        dest="noise_corr_px",
        type=parse_range,
        default=None,
        metavar="LOW:HIGH",
        help=f"its correlation length, Gaussian σ in px (default {d.noise_corr_px[0]:g}:"
        f"{d.noise_corr_px[1]:g})",
    )
    p.add_argument(
        "--noise-p",
        type=float,
        default=None,
        help=f"share of crops that get noise (default {d.noise_p})",
    )
    p.add_argument(
        "--init-from",
        default=None,
        metavar="MODEL.safetensors",
        help="start the generator from this model file's weights (fine-tuning; same "
        "architecture: pass its JSON with --config if it is not the crop preset)",
    )
    p.add_argument(
        "--keep-model",
        default=None,
        choices=("best", "last"),
        help="model.safetensors = lowest validation lesion MAE (best, default) or last weights",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from RUN_DIR/state.safetensors (starts afresh if absent)",
    )
    p.add_argument(
        "--quiet",
        "--no-progress",
        dest="progress",
        action="store_false",
        default=None,
        help="no progress bars (also hidden when stderr is not a terminal)",
    )


def given_settings(args: Any) -> dict[str, Any]:
    """The TrainConfig fields set explicitly on the command line."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    if args.model_set:
        given["model_overrides"] = parse_model_overrides(args.model_set)
    return given


def config_from_args(args: Any, stored_json: str | None = None) -> TrainConfig:
    """The config of this run: the command line, or the stored config plus allowed overrides.

    Raises:
        ValueError: invalid values, or a non-resumable setting changed on resume.
    """
    given = given_settings(args)
    if stored_json is None:
        return TrainConfig(**{"data": None, **given})
    # Time and step limits belong to one invocation: a resumed run is not bound by the old ones.
    given.setdefault("max_minutes", 0.0)
    given.setdefault("max_steps", 0)
    return TrainConfig.from_json(stored_json).with_overrides(given)
