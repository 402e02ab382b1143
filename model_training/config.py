"""The training configuration: one dataclass, defaults = the paper's Table 1.

The command line fills a :class:`TrainConfig`; the config is stored in every training-state
checkpoint so that ``--resume`` continues with exactly the same settings (only the fields in
:data:`RESUMABLE_OVERRIDES` may change on resume: how long to run and where).

Example:
    >>> cfg = TrainConfig(data=None, out="run", phantom=1)
    >>> cfg.lr, cfg.beta1, cfg.lambda_l1, cfg.lambda_adv, cfg.batch_size, cfg.epochs
    (0.0002, 0.5, 100.0, 1.0, 1, 10)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from liversynth.networks import ModelConfig

#: Fields that may differ from the stored config when resuming (schedule and hardware only).
RESUMABLE_OVERRIDES = (
    "epochs",
    "max_minutes",
    "max_steps",
    "checkpoint_every_steps",
    "device",
    "num_workers",
    "out",
    "data",
    "progress",
    "amp",
    "amp_dtype",
    "channels_last",
    "keep_model",
)


@dataclass
class TrainConfig:
    """Everything the training loop needs to know.

    Attributes:
        data: prepared dataset folder (``model_training prepare``), or None for phantom-only runs.
        out: run folder (state, model, curves).
        model: ``crop`` or ``paper`` (:meth:`ModelConfig.preset`) or a path to a model JSON.
        model_overrides: ``ModelConfig`` fields to change, e.g. ``{"ngf": 8, "crop_px": 64}``.
        epochs: passes over the training slices (Table 1: 10).
        iters_per_epoch: steps per epoch; 0 = one step per training slice and rank.
        lr, beta1: Adam learning rate and β1 (Table 1: 2e-4, 0.5; β2 = 0.999).
        batch_size: slices per step and rank (Table 1: 1).
        lambda_l1, lambda_adv: loss weights (Table 1: 100 and 1).
        lesion_l1_weight: weight of L1 inside the lesion relative to outside (1 = the paper).
        loss_ema: decay of the moving average of the logged losses (Table 1: 0.99).
        ema_weights: decay of an EMA of generator weights used for the saved model; 0 = off.
        seed: seeds weights, data order and augmentation.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        amp: mixed precision; None = on for CUDA (bf16 when supported, else fp16 + GradScaler).
        amp_dtype: ``auto`` (bf16 where supported), ``bf16`` or ``fp16`` (with a GradScaler).
        channels_last: use the channels-last memory format (CUDA throughput).
        checkpoint_every_steps: write the training state every N steps (and at each epoch end).
        max_minutes: stop cleanly with a checkpoint after this wall time (0 = no limit).
        max_steps: stop cleanly with a checkpoint at this global step (0 = no limit).
        num_workers: DataLoader worker processes.
        phantom: add this many phantom cases (``liversynth.phantom``) to the training data.
        augment: use the augmentation of :mod:`model_training.augment`.
        keep_model: ``best`` (lowest validation lesion MAE) or ``last`` weights as
            ``model.safetensors``; ``model-last.safetensors`` always holds the last.
        progress: show tqdm bars.
    """

    data: str | None
    out: str
    model: str = "crop"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    epochs: int = 10
    iters_per_epoch: int = 0
    lr: float = 2e-4
    beta1: float = 0.5
    batch_size: int = 1
    lambda_l1: float = 100.0
    lambda_adv: float = 1.0
    lesion_l1_weight: float = 1.0
    loss_ema: float = 0.99
    ema_weights: float = 0.0
    seed: int = 0
    device: str = "auto"
    amp: bool | None = None
    amp_dtype: str = "auto"
    channels_last: bool = False
    checkpoint_every_steps: int = 200
    max_minutes: float = 0.0
    max_steps: int = 0
    num_workers: int = 0
    phantom: int = 0
    augment: bool = True
    keep_model: str = "best"
    progress: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid field."""
        if self.data is None and self.phantom <= 0:
            raise ValueError("give --data DATASET_DIR (from 'prepare') and/or --phantom N")
        positive = ("epochs", "batch_size", "checkpoint_every_steps")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        non_negative = ("iters_per_epoch", "max_minutes", "max_steps", "num_workers", "phantom")
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        for name in ("beta1", "loss_ema", "ema_weights"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.lesion_l1_weight < 1.0:
            raise ValueError(f"lesion_l1_weight must be >= 1, got {self.lesion_l1_weight}")
        if self.amp_dtype not in ("auto", "bf16", "fp16"):
            raise ValueError(f"amp_dtype must be auto, bf16 or fp16, got {self.amp_dtype!r}")
        if self.keep_model not in ("best", "last"):
            raise ValueError(f"keep_model must be best or last, got {self.keep_model!r}")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        self.model_config()  # raises ValueError for bad model overrides

    def model_config(self) -> ModelConfig:
        """The generator/discriminator configuration this run trains."""
        if self.model in ("crop", "paper"):
            base = ModelConfig.preset(self.model).to_dict()
        else:
            try:
                with open(self.model, encoding="utf-8") as fh:
                    base = ModelConfig.from_json(fh.read()).to_dict()
            except OSError as err:
                raise ValueError(f"cannot read model config {self.model}: {err}") from None
        for key in ("in_channels", "d_in_channels"):
            base.pop(key, None)
        unknown = sorted(set(self.model_overrides) - set(base))
        if unknown:
            raise ValueError(f"unknown model setting(s): {', '.join(unknown)}")
        base.update(self.model_overrides)
        return ModelConfig.from_dict(base)

    def to_json(self) -> str:
        """Sorted JSON (stored in checkpoints and ``RUN_DIR/run.json``)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True, indent=2)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """Inverse of :meth:`to_json`; unknown keys are refused."""
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training config keys: {', '.join(unknown)}")
        return cls(**data)

    def with_overrides(self, overrides: dict[str, Any]) -> TrainConfig:
        """This config with resume-safe fields replaced.

        Raises:
            ValueError: if ``overrides`` changes a field outside :data:`RESUMABLE_OVERRIDES`.
        """
        bad = sorted(
            k
            for k, v in overrides.items()
            if k not in RESUMABLE_OVERRIDES and getattr(self, k) != v
        )
        if bad:
            raise ValueError(
                "cannot change these settings when resuming (start a new run folder instead): "
                + ", ".join(
                    f"{k} (stored {getattr(self, k)!r}, given {overrides[k]!r})" for k in bad
                )
            )
        return dataclasses.replace(self, **overrides)


def parse_model_overrides(items: list[str] | None) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings (VALUE as JSON, else a plain string) into a dict.

    Example:
        >>> parse_model_overrides(["ngf=8", "mask_channel=false", "norm=instance"])
        {'ngf': 8, 'mask_channel': False, 'norm': 'instance'}
    """
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"model setting {item!r} is not KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


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
