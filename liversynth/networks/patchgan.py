"""The pix2pix PatchGAN discriminator.

It scores overlapping patches of the channel-wise concatenation of (generator input, image)
and returns one logit per patch (no sigmoid: train with ``BCEWithLogitsLoss``). With
``n_layers`` stride-2 convolutions followed by two stride-1 ones (all 4×4), an ``S×S`` input
gives ``S / 2**n_layers - 2`` patches per side (:func:`output_size_px`), each seeing a square of
:func:`receptive_field_px` pixels: n_layers 3 → 70 px (62×62 logits at 512, pix2pix's default),
n_layers 4 → 142 px (30×30 at 512, the paper).

Example:
    >>> import torch
    >>> d = PatchDiscriminator(3, ndf=8, n_layers=3)
    >>> d(torch.zeros(1, 3, 64, 64)).shape
    torch.Size([1, 1, 6, 6])
"""

from __future__ import annotations

import torch
from torch import nn

from liversynth.networks.unet import NORMS, _check_positive_int, norm_layer

_KERNEL = 4


def output_size_px(input_px: int, n_layers: int) -> int:
    """Side of the patch-logit map for an ``input_px`` square input (conv arithmetic)."""
    size = input_px
    for _ in range(n_layers):
        size = (size + 2 - _KERNEL) // 2 + 1
    for _ in range(2):
        size = size + 2 - _KERNEL + 1
    return size


def receptive_field_px(n_layers: int) -> int:
    """Receptive field (px) of one output logit, walking the layers from the output back."""
    field = 1
    for _ in range(2):  # the two stride-1 convolutions
        field = field + _KERNEL - 1
    for _ in range(n_layers):
        field = (field - 1) * 2 + _KERNEL
    return field


class PatchDiscriminator(nn.Module):
    """PatchGAN discriminator (pix2pix ``NLayerDiscriminator``).

    Args:
        in_channels: channels of the (generator input, image) concatenation.
        ndf: channels of the first layer; later layers use ``ndf * min(2**i, 8)``.
        n_layers: number of stride-2 convolutions (paper: 4; pix2pix default: 3).
        norm: ``batch`` (pix2pix), ``instance`` or ``none``.

    Raises:
        ValueError: on any invalid argument.
    """

    def __init__(
        self, in_channels: int, ndf: int = 64, n_layers: int = 3, norm: str = "batch"
    ) -> None:
        super().__init__()
        _check_positive_int("in_channels", in_channels)
        _check_positive_int("ndf", ndf)
        _check_positive_int("n_layers", n_layers)
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.in_channels = in_channels
        self.n_layers = n_layers
        use_bias = norm != "batch"
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, ndf, _KERNEL, stride=2, padding=1),
            nn.LeakyReLU(0.2, True),
        ]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            # The last of these is the first stride-1 layer, as in pix2pix.
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, _KERNEL, stride=stride, padding=1, bias=use_bias),
                norm_layer(norm, ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(ndf * mult, 1, _KERNEL, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, in_channels, H, W)`` to patch logits ``(N, 1, h, w)``."""
        self._check_input(x)
        return self.model(x)

    def forward_features(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The activation after every LeakyReLU, and the patch logits (same as :meth:`forward`).

        The intermediate activations are what pix2pixHD's feature-matching loss compares
        between a real and a generated pair.
        """
        self._check_input(x)
        features: list[torch.Tensor] = []
        for layer in self.model:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                features.append(x)
        return features, x

    def _check_input(self, x: torch.Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected (N, {self.in_channels}, H, W), got shape {tuple(x.shape)}")
        min_px = 2**self.n_layers * 3  # below this the patch map would be empty
        if min(x.shape[-2:]) < min_px:
            raise ValueError(
                f"input {x.shape[-2]}×{x.shape[-1]} is too small for n_layers={self.n_layers} "
                f"(needs at least {min_px} px per side)"
            )
