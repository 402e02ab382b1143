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
from model_training.noise_augment import NoiseParams

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
        pretrain_healthy_epochs: epochs on the dataset's healthy-liver pairs before the
            ``epochs`` tumour epochs (0 = none); their validation is logged, never "best".
        noise_sigma_hu: (low, high) HU of the noise augmentation
            (:mod:`model_training.noise_augment`); high 0 = off.
        noise_corr_px: (low, high) correlation length (Gaussian σ, px) of that noise.
        noise_p: share of crops that get noise.
        init_from: a model file (``*.safetensors``) whose generator weights start the run
            (fine-tuning); the discriminator starts fresh. Its architecture must be this run's.
        l1_lowpass_px: Gaussian σ (px) applied to output and target before the L1 term
            (0 = plain L1, the paper). L1 then asks only for the lesion's structure and leaves
            the texture finer than σ to the adversarial term instead of teaching its mean.
        lambda_fm: weight of pix2pixHD's discriminator feature-matching loss in the generator's
            objective (0 = off, the paper): the generated pair's PatchGAN activations are pulled
            toward the real pair's, a texture statistic rather than a pixel-wise mean. It is
            part of the logged ``total``.
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
    pretrain_healthy_epochs: int = 0
    noise_sigma_hu: list[float] = field(default_factory=lambda: [0.0, 0.0])
    noise_corr_px: list[float] = field(default_factory=lambda: [0.5, 1.5])
    noise_p: float = 0.8
    init_from: str | None = None
    l1_lowpass_px: float = 0.0
    lambda_fm: float = 0.0

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
        non_negative = (
            "iters_per_epoch",
            "max_minutes",
            "max_steps",
            "num_workers",
            "phantom",
            "pretrain_healthy_epochs",
            "l1_lowpass_px",
            "lambda_fm",
        )
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
        self.noise_params()  # raises ValueError for bad noise ranges

    @property
    def total_epochs(self) -> int:
        """Healthy-liver pretraining epochs plus tumour epochs."""
        return self.pretrain_healthy_epochs + self.epochs

    def is_healthy_epoch(self, epoch: int) -> bool:
        """Whether 0-based ``epoch`` trains on healthy-liver pairs (pretraining)."""
        return epoch < self.pretrain_healthy_epochs

    def noise_params(self) -> NoiseParams:
        """The noise augmentation's ranges."""
        if len(self.noise_sigma_hu) != 2 or len(self.noise_corr_px) != 2:
            raise ValueError("noise ranges must be LOW:HIGH pairs")
        return NoiseParams(
            sigma_hu=(float(self.noise_sigma_hu[0]), float(self.noise_sigma_hu[1])),
            corr_px=(float(self.noise_corr_px[0]), float(self.noise_corr_px[1])),
            p=float(self.noise_p),
        )

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
