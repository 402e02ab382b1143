"""Networks: the pix2pix U-Net generator, the PatchGAN discriminator and their config.

Example:
    >>> cfg = ModelConfig.preset("crop")
    >>> g, d = build_generator(cfg), build_discriminator(cfg)
    >>> g.in_channels, d.in_channels
    (2, 3)
"""

from __future__ import annotations

from torch import nn

from liversynth.networks.config import ARCHITECTURES, FORMAT_VERSION, ModelConfig
from liversynth.networks.patchgan import PatchDiscriminator, output_size_px, receptive_field_px
from liversynth.networks.unet import UNetGenerator


def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """pix2pix initialisation: conv weights ~ N(0, std), norm scales ~ N(1, std), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module


def build_generator(cfg: ModelConfig, *, init: bool = True) -> UNetGenerator:
    """A generator for ``cfg`` in train mode, on the current default device.

    Args:
        cfg: the model configuration.
        init: apply the pix2pix initialisation (off when weights are loaded right after).
    """
    cfg.validate()
    generator = UNetGenerator(
        cfg.in_channels,
        out_channels=cfg.out_channels,
        ngf=cfg.ngf,
        num_downs=cfg.num_downs,
        dropout=cfg.dropout,
        max_mult=cfg.max_mult,
        norm=cfg.norm,
        dropout_levels=cfg.dropout_levels,
    )
    if init:
        init_weights(generator)
    return generator


def build_discriminator(cfg: ModelConfig) -> PatchDiscriminator:
    """A PatchGAN for ``cfg`` on (generator input, image) pairs, with pix2pix initialisation."""
    cfg.validate()
    disc = PatchDiscriminator(
        cfg.d_in_channels, ndf=cfg.ndf, n_layers=cfg.n_layers, norm=cfg.d_norm
    )
    init_weights(disc)
    return disc


__all__ = [
    "ARCHITECTURES",
    "FORMAT_VERSION",
    "ModelConfig",
    "PatchDiscriminator",
    "UNetGenerator",
    "build_discriminator",
    "build_generator",
    "init_weights",
    "output_size_px",
    "receptive_field_px",
]
