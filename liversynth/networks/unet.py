"""The pix2pix U-Net generator, with depth and width taken from its arguments.

Both the paper's 512×512 model and the small crop model are this one class: ``num_downs``
stride-2 levels take an ``S×S`` input to ``S / 2**num_downs`` at the bottleneck (1×1 when
``S == 2**num_downs``), and level ``i`` (0 = outermost) has ``ngf * min(2**i, max_mult)``
channels.

Layout (Isola et al. 2017, the PyTorch reference implementation), from the outside in:

* outermost: ``Conv4x4/2`` (no norm) … ``ReLU → ConvT4x4/2 → tanh``;
* intermediate: ``LeakyReLU(0.2) → Conv4x4/2 → Norm`` … ``ReLU → ConvT4x4/2 → Norm [→ Dropout]``;
* innermost: ``LeakyReLU(0.2) → Conv4x4/2`` (no norm: at a 1×1 bottleneck with batch 1 a
  BatchNorm would see one value per channel) … ``ReLU → ConvT4x4/2 → Norm``.

Each level's decoder output is concatenated with its encoder input (the skip connection).

Example:
    >>> import torch
    >>> g = UNetGenerator(2, ngf=8, num_downs=5)
    >>> g(torch.zeros(1, 2, 32, 32)).shape
    torch.Size([1, 1, 32, 32])
"""

from __future__ import annotations

import torch
from torch import nn

NORMS = ("batch", "instance", "none")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """The normalisation layer named ``kind`` (``batch``, ``instance`` or ``none``)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


def _check_positive_int(name: str, value: object, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


class _SkipBlock(nn.Module):
    """One U-Net level: ``down → inner → up`` and the skip concatenation ``[x, up(...)]``."""

    def __init__(
        self,
        outer_ch: int,
        inner_ch: int,
        *,
        submodule: nn.Module | None,
        input_ch: int | None = None,
        out_ch: int | None = None,
        outermost: bool = False,
        norm: str = "batch",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        innermost = submodule is None
        # A conv followed by BatchNorm gains nothing from a bias (pix2pix does the same).
        use_bias = norm != "batch"
        in_ch = outer_ch if input_ch is None else input_ch
        downconv = nn.Conv2d(in_ch, inner_ch, kernel_size=4, stride=2, padding=1, bias=use_bias)
        up_in = inner_ch if innermost else inner_ch * 2
        if outermost:
            upconv = nn.ConvTranspose2d(
                up_in, out_ch or outer_ch, kernel_size=4, stride=2, padding=1
            )
            down: list[nn.Module] = [downconv]
            up: list[nn.Module] = [nn.ReLU(True), upconv, nn.Tanh()]
        else:
            upconv = nn.ConvTranspose2d(
                up_in, outer_ch, kernel_size=4, stride=2, padding=1, bias=use_bias
            )
            down = [nn.LeakyReLU(0.2, True), downconv]
            if not innermost:
                down.append(norm_layer(norm, inner_ch))
            up = [nn.ReLU(True), upconv, norm_layer(norm, outer_ch)]
            if dropout > 0:
                up.append(nn.Dropout(dropout))
        self.down = nn.Sequential(*down)
        self.inner = submodule if submodule is not None else nn.Identity()
        self.up = nn.Sequential(*up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(self.inner(self.down(x)))
        return y if self.outermost else torch.cat([x, y], dim=1)


class UNetGenerator(nn.Module):
    """pix2pix U-Net generator.

    Args:
        in_channels: input channels (1 = whitened slice; 2 = whitened slice + mask channel).
        out_channels: output channels (1: the synthetic slice in [-1, 1]).
        ngf: channels of the outermost level.
        num_downs: number of stride-2 levels; inputs must be multiples of ``2**num_downs`` px.
        dropout: dropout probability in the inner decoder levels, in [0, 1).
        max_mult: channel multiplier cap: level ``i`` has ``ngf * min(2**i, max_mult)`` channels.
        norm: ``batch`` (pix2pix), ``instance`` or ``none``.
        dropout_levels: how many decoder levels just outside the innermost get dropout
            (pix2pix: 3 at ``num_downs=8``); capped at the ``num_downs - 2`` intermediate levels.

    Raises:
        ValueError: on any invalid argument (checked before any layer is built).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int = 1,
        ngf: int = 64,
        num_downs: int = 8,
        dropout: float = 0.5,
        max_mult: int = 8,
        norm: str = "batch",
        dropout_levels: int = 3,
    ) -> None:
        super().__init__()
        _check_positive_int("in_channels", in_channels)
        _check_positive_int("out_channels", out_channels)
        _check_positive_int("ngf", ngf)
        _check_positive_int("num_downs", num_downs, minimum=2)
        _check_positive_int("max_mult", max_mult)
        _check_positive_int("dropout_levels", dropout_levels, minimum=0)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_downs = num_downs

        def channels(level: int) -> int:
            return ngf * min(2**level, max_mult)

        # Built from the innermost level outwards, as in pix2pix.
        inner = num_downs - 1
        block = _SkipBlock(channels(inner - 1), channels(inner), submodule=None, norm=norm)
        n_dropped = min(dropout_levels, num_downs - 2)
        for level in range(inner - 1, 0, -1):
            drop = float(dropout) if level >= inner - n_dropped else 0.0
            block = _SkipBlock(
                channels(level - 1), channels(level), submodule=block, norm=norm, dropout=drop
            )
        self.model = _SkipBlock(
            channels(0),
            channels(0),
            submodule=block,
            input_ch=in_channels,
            out_ch=out_channels,
            outermost=True,
            norm=norm,
        )
        self.bottleneck_channels = channels(inner)

    @property
    def size_multiple(self) -> int:
        """Inputs must have height and width divisible by this many pixels."""
        return 2**self.num_downs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, in_channels, H, W)`` in [-1, 1] to ``(N, out_channels, H, W)`` in [-1, 1]."""
        if x.ndim != 4:
            raise ValueError(f"expected a 4-D (N, C, H, W) tensor, got shape {tuple(x.shape)}")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"expected {self.in_channels} input channels, got {x.shape[1]} "
                f"(shape {tuple(x.shape)})"
            )
        h, w = x.shape[-2:]
        m = self.size_multiple
        if h % m or w % m or h == 0 or w == 0:
            raise ValueError(
                f"input height and width must be non-zero multiples of 2**num_downs = {m} px, "
                f"got {h}×{w}"
            )
        return self.model(x)
