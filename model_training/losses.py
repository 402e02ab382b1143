"""The pix2pix losses (Isola et al. 2017; the paper's Table 1 weights).

* Discriminator: ``(BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)) / 2`` on the PatchGAN logits (the
  halving slows D relative to G, as in pix2pix).
* Generator: ``λ_adv · BCE(D(x, G(x)), 1) + λ_L1 · L1(G(x), y)``.

L1 may weigh lesion pixels ``lesion_weight`` times more than the rest: after compositing only
the lesion region of the output is kept, so the rest of the crop only matters as context.
With ``lesion_weight = 1`` this is the plain mean absolute error of pix2pix.

Example:
    >>> import torch
    >>> a, b, m = torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)
    >>> float(weighted_l1(a, b, m, lesion_weight=10.0))
    1.0
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def adversarial_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """BCE-with-logits of PatchGAN logits against an all-real or all-fake target (float32)."""
    logits = logits.float()
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def weighted_l1(
    fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor, *, lesion_weight: float = 1.0
) -> torch.Tensor:
    """Mean absolute error, lesion pixels weighted ``lesion_weight`` (normalised by the weights).

    Args:
        fake, real: ``(N, 1, H, W)`` in the network range.
        mask: ``(N, 1, H, W)`` lesion mask, 0/1.
        lesion_weight: >= 1.
    """
    diff = (fake.float() - real.float()).abs()
    if lesion_weight == 1.0:
        return diff.mean()
    weights = 1.0 + (lesion_weight - 1.0) * mask.float()
    return (diff * weights).sum() / weights.sum()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """pix2pix discriminator loss (halved sum of the real and fake BCE terms)."""
    return 0.5 * (adversarial_loss(real_logits, True) + adversarial_loss(fake_logits, False))


def lesion_mae_hu(
    fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor, window_width_hu: float
) -> torch.Tensor:
    """Per-sample mean absolute error inside the lesion, in HU (network range × width / 2).

    Returns:
        ``(N,)`` tensor; samples with an empty mask give NaN.
    """
    diff = (fake.float() - real.float()).abs() * mask.float()
    area = mask.float().flatten(1).sum(1)
    return diff.flatten(1).sum(1) / area * (window_width_hu / 2.0)


def gaussian_lowpass(images: torch.Tensor, sigma_px: float) -> torch.Tensor:
    """``(N, C, H, W)`` images blurred by a Gaussian of ``sigma_px`` (reflect padding), float32.

    ``sigma_px <= 0`` returns ``images`` itself, unchanged. Used on both sides of the L1 term
    (``TrainConfig.l1_lowpass_px``): detail finer than σ no longer counts in L1, so the generator
    is not taught to average it away. The blur runs in float32 (under autocast the output may be
    bf16/fp16, and L1 is computed in float32 anyway).
    """
    if sigma_px <= 0:
        return images
    images = images.float()
    radius = max(1, int(3.0 * sigma_px + 0.5))
    radius = min(radius, images.shape[-1] - 1, images.shape[-2] - 1)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32, device=images.device)
    k = torch.exp(-0.5 * (t / sigma_px) ** 2)
    k = k / k.sum()
    c = images.shape[1]
    out = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    out = F.conv2d(out, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(out, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def feature_matching_loss(
    fake_features: list[torch.Tensor], real_features: list[torch.Tensor]
) -> torch.Tensor:
    """pix2pixHD's feature matching: mean L1 between the discriminator's activations of the
    generated and the real pair, averaged over layers (float32; ``real_features`` detached)."""
    if len(fake_features) != len(real_features) or not fake_features:
        raise ValueError("feature matching needs the same, non-zero number of layers")
    per_layer = [
        (f.float() - r.detach().float()).abs().mean()
        for f, r in zip(fake_features, real_features, strict=True)
    ]
    return torch.stack(per_layer).mean()
