"""The model configuration stored in every checkpoint (architecture, window, crop, training).

A checkpoint is only usable together with this: the window maps HU to the network range, the
mask channel and crop size define the input, and the architecture numbers rebuild the layers
the weights belong to. ``to_json`` / ``from_json`` are strict: unknown keys, wrong types and
a ``format_version`` newer than this code are refused (``ValueError``; the checkpoint loader
turns that into :class:`~liversynth.errors.ModelFileError` naming the file).

Example:
    >>> cfg = ModelConfig.preset("crop")
    >>> cfg.in_channels, cfg.d_in_channels, cfg.crop_px
    (2, 3, 128)
    >>> ModelConfig.from_json(cfg.to_json()) == cfg
    True
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from liversynth.networks.unet import NORMS
from liversynth.windowing import Window

#: Version of the checkpoint format this code writes and the newest it reads.
FORMAT_VERSION = 1
#: Generator architectures this code can rebuild.
ARCHITECTURES = ("pix2pix-unet",)
#: Keys ``to_json`` writes for readers' convenience; derived, so only checked on load.
_DERIVED_KEYS = ("in_channels", "d_in_channels")
#: Sane bounds of the architecture numbers, checked before any layer is built: a config from
#: a file must not make the loader build (even on the meta device) a million layers.
_INT_BOUNDS = {
    "crop_px": (1, 4096),
    "out_channels": (1, 16),
    "ngf": (1, 1024),
    "num_downs": (2, 12),
    "max_mult": (1, 64),
    "dropout_levels": (0, 12),
    "ndf": (1, 1024),
    "n_layers": (1, 8),
}
MIN_WINDOW_WIDTH_HU = 1.0
MAX_WINDOW_HU = 100_000.0


@dataclass
class ModelConfig:
    """Everything needed to rebuild and use a generator (the defaults are the ``crop`` preset).

    Attributes:
        architecture: generator family; only ``pix2pix-unet``.
        crop_px: side of the square input the model was trained on (px); a multiple of
            ``2**num_downs``. The paper: 512 (the whole slice).
        mask_channel: the mask is a second input channel besides the whitened slice.
        out_channels: generator output channels (1).
        ngf, num_downs, max_mult, dropout, dropout_levels, norm: :class:`UNetGenerator` arguments.
        ndf, n_layers, d_norm: :class:`PatchDiscriminator` arguments.
        window_center_hu, window_width_hu: the network window (default −200..300 HU).
        format_version: checkpoint format version (``FORMAT_VERSION``).
        training: free JSON summary of how the weights were trained (data, epochs, losses...).
    """

    architecture: str = "pix2pix-unet"
    crop_px: int = 128
    mask_channel: bool = True
    out_channels: int = 1
    ngf: int = 32
    num_downs: int = 7
    max_mult: int = 4
    dropout: float = 0.5
    dropout_levels: int = 3
    norm: str = "batch"
    ndf: int = 32
    n_layers: int = 3
    d_norm: str = "batch"
    window_center_hu: float = 50.0
    window_width_hu: float = 500.0
    format_version: int = FORMAT_VERSION
    training: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ derived values
    @property
    def in_channels(self) -> int:
        """Generator input channels: the whitened slice, plus the mask when ``mask_channel``."""
        return 2 if self.mask_channel else 1

    @property
    def d_in_channels(self) -> int:
        """Discriminator input channels: (generator input, image) concatenated."""
        return self.in_channels + self.out_channels

    @property
    def window(self) -> Window:
        """The network window (HU ↔ [-1, 1])."""
        return Window(self.window_center_hu, self.window_width_hu)

    @property
    def size_multiple(self) -> int:
        """Generator inputs must be multiples of this many pixels per side."""
        return 2**self.num_downs

    # ------------------------------------------------------------------ presets
    @classmethod
    def preset(cls, name: str = "crop") -> ModelConfig:
        """A named configuration.

        Args:
            name: ``crop`` (default: 128 px crops around the lesion, whitened slice + mask
                channel, ngf 32, 7 levels, 70 px discriminator patches; trains on a CPU) or
                ``paper`` (Meng et al.: whole 512×512 slice, 1 whitened channel, 9 levels to a
                1×1×1024 bottleneck, i.e. ngf 64 with ``max_mult`` 16, 142 px discriminator
                patches giving 30×30 logits).

        Raises:
            ValueError: for an unknown name.
        """
        if name == "crop":
            return cls()
        if name == "paper":
            return cls(
                crop_px=512,
                mask_channel=False,
                ngf=64,
                num_downs=9,
                max_mult=16,
                ndf=64,
                n_layers=4,
            )
        raise ValueError(f"unknown model preset {name!r}; choose 'crop' or 'paper'")

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Check every field; raises ``ValueError`` naming the first bad one."""
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"unknown architecture {self.architecture!r} (this version knows {ARCHITECTURES})"
            )
        _int_field("format_version", self.format_version, 1)
        if self.format_version > FORMAT_VERSION:
            raise ValueError(
                f"format_version {self.format_version} is newer than this LiverSynth reads "
                f"({FORMAT_VERSION}); upgrade LiverSynth"
            )
        for name, (minimum, maximum) in _INT_BOUNDS.items():
            _int_field(name, getattr(self, name), minimum, maximum)
        if not isinstance(self.mask_channel, bool):
            raise ValueError(f"mask_channel must be true or false, got {self.mask_channel!r}")
        for name in ("dropout", "window_center_hu", "window_width_hu"):
            _float_field(name, getattr(self, name))
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        # A width of 1e-300 HU "loads" and turns every fill into NaN: refuse the absurd.
        if not MIN_WINDOW_WIDTH_HU <= self.window_width_hu <= MAX_WINDOW_HU:
            raise ValueError(
                f"window_width_hu must be in [{MIN_WINDOW_WIDTH_HU}, {MAX_WINDOW_HU}], "
                f"got {self.window_width_hu}"
            )
        if abs(self.window_center_hu) > MAX_WINDOW_HU:
            raise ValueError(f"window_center_hu {self.window_center_hu} is not a CT value")
        if self.dropout_levels > self.num_downs:
            raise ValueError(
                f"dropout_levels {self.dropout_levels} exceeds num_downs {self.num_downs}"
            )
        for name in ("norm", "d_norm"):
            if getattr(self, name) not in NORMS:
                raise ValueError(f"{name} must be one of {NORMS}, got {getattr(self, name)!r}")
        if self.crop_px % self.size_multiple:
            raise ValueError(
                f"crop_px {self.crop_px} is not a multiple of 2**num_downs = {self.size_multiple}"
            )
        if self.crop_px < 3 * 2**self.n_layers:
            raise ValueError(
                f"crop_px {self.crop_px} is too small for a discriminator with n_layers="
                f"{self.n_layers} (needs >= {3 * 2**self.n_layers})"
            )
        if not isinstance(self.training, dict):
            raise ValueError(f"training must be a JSON object, got {type(self.training).__name__}")
        try:
            json.dumps(self.training, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise ValueError(f"training summary is not plain JSON: {err}") from None

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of all fields plus the derived channel counts (for human readers)."""
        out = dataclasses.asdict(self)
        out["in_channels"] = self.in_channels
        out["d_in_channels"] = self.d_in_channels
        return out

    def to_json(self) -> str:
        """Strict JSON (sorted keys, no NaN), as stored in checkpoints."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, data: object) -> ModelConfig:
        """Build and validate from a dict; refuses unknown, missing or inconsistent keys."""
        if not isinstance(data, dict):
            raise ValueError(f"model config must be a JSON object, got {type(data).__name__}")
        data = dict(data)
        # Check the version first: a newer file may legitimately have keys we do not know.
        version = data.get("format_version")
        if version is None:
            raise ValueError("model config has no format_version")
        _int_field("format_version", version, 1)
        if version > FORMAT_VERSION:
            raise ValueError(
                f"format_version {version} is newer than this LiverSynth reads "
                f"({FORMAT_VERSION}); upgrade LiverSynth"
            )
        derived = {k: data.pop(k) for k in _DERIVED_KEYS if k in data}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config keys: {', '.join(unknown)}")
        # Every field is required: a silently defaulted window or crop size would give wrong
        # pixels without any error (only ``training`` may be absent).
        missing = sorted(known - set(data) - {"training"})
        if missing:
            raise ValueError(f"model config lacks keys: {', '.join(missing)}")
        cfg = cls(**data)
        for key, value in derived.items():
            if value != getattr(cfg, key):
                raise ValueError(f"{key} is {value!r} but the config implies {getattr(cfg, key)}")
        return cfg

    @classmethod
    def from_json(cls, text: str | bytes) -> ModelConfig:
        """Parse :meth:`to_json` output; ``ValueError`` on bad JSON or any invalid field."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
            raise ValueError(f"model config is not valid JSON: {err}") from None
        try:
            return cls.from_dict(data)
        except (TypeError, RecursionError, OverflowError) as err:
            raise ValueError(f"model config has values of the wrong type: {err}") from None


def _int_field(name: str, value: object, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value!r}")


def _float_field(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(float(value))
    ):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
