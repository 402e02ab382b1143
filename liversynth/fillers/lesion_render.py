"""From a smooth structure prediction to a lesion with the scan's grain: the ``gan`` renderer.

The generator predicts the lesion's *structure* (level, rim, large-scale pattern) well but,
trained with an L1 loss, as a conditional mean: its fine detail is about a third of the
scan's (5 vs 15 HU residual std on 3D-IRCADb 1.1). :func:`render_lesion` turns such a
prediction into a lesion that carries the noise of the image it is pasted into:

1. ``contrast_hu``: the structure is set to the requested contrast to the liver level
   (:func:`liversynth.fillers.appearance.set_contrast`), before any grain is added;
2. **grain**: noise with the power spectrum of the liver around the lesion in *this* image
   (:mod:`liversynth.fillers.texture`), scaled to make up exactly the missing residual
   variance (``sqrt(max(0, σ_liver² − σ_structure²))``), seeded; AR(1)-correlated along z with
   the scan's own adjacent-slice correlation for a volume; optionally
   (``RenderOptions.envelope``, off by default) its local amplitude is modulated by a smooth
   seeded log-normal envelope (:data:`ENVELOPE_SIGMA_PX`), since real tumour grain is
   heteroscedastic; on the train/val lesions this lowered the judge's AUC from 0.86 to 0.69,
   on the held-out test lesions it did not (0.877 → 0.882), so it is not the default;
3. ``heterogeneity``: zero-mean mottling uncorrelated with the lesion
   (:func:`~liversynth.fillers.appearance.mottle_field`);
4. **margin**: the structure keeps the margin profile the network learnt from real margins
   (on the training lesions the real and predicted profiles across the mask boundary agree to
   within 0.1 of the contrast at every distance from −8 to +8 px; docs/realism); what a fixed
   blend gets wrong is the *grain* at the seam: blending two independent noise images with
   weights w and 1 − w lowers the variance there to (w² + (1 − w)²) of the original, a smooth
   ring around every lesion. The band therefore gets extra noise of variance 2w(1 − w)·σ²,
   which keeps the grain's variance constant across the edge.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> image = (100 + 15 * rng.standard_normal((1, 64, 64))).astype(np.float32)
    >>> mask = np.zeros((1, 64, 64), bool); mask[0, 24:40, 24:40] = True
    >>> smooth = np.where(mask, 60.0, 100.0)
    >>> out = render_lesion(smooth, image, mask, None, None, np.random.default_rng(1), 2.0)
    >>> 10 < float(out[0][mask[0]].std()) < 20
    True
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from liversynth.fillers.appearance import (
    GRAIN_SIGMA_PX,
    HETEROGENEITY_FULL_HU,
    liver_level_hu,
    mottle_field,
    set_contrast,
)
from liversynth.fillers.base import Appearance
from liversynth.fillers.compositing import blend_weight
from liversynth.fillers.texture import (
    RESIDUAL_SIGMA_PX,
    estimate_noise,
    in_plane_distance,
    inplane_box,
    marginal_sample,
    match_marginal,
    noise_regions,
    residual,
    synthesize_noise,
)
from liversynth.fillers.tumour_grain import (
    BANDS_PX,
    SLOPE_SMOOTH_PX,
    band_gains,
    deep_core,
    heteroscedastic,
    inside_band_var,
    lesion_histogram,
    load_prior,
    tumour_marginal,
)


@dataclass(frozen=True)
class RenderOptions:
    """Which parts of the renderer run (the ablation switches; all on by default).

    Attributes:
        grain: add the scan-matched noise (off: the structure prediction alone).
        match_spectrum: shape the noise with the measured NPS (off: white noise of the same
            variance).
        match_histogram: map the noise onto the liver residual's distribution (off: Gaussian).
        seam: variance-preserving noise in the blending band.
        z_coherent: AR(1) noise along z with the scan's correlation (off: independent slices).
        deficit_only: scale the noise to the variance the structure lacks (off: the liver's
            full residual variance is added on top of the structure).
        envelope: std of the log local amplitude of the grain (0: stationary grain, the
            default). On the train/val lesions 0.3 / 0.4 / 0.5 gave judge AUC 0.75 / 0.69 /
            0.68 (stationary 0.86); 0.4 on the test lesions gave 0.882 (stationary 0.877), so
            the gain did not generalise and the default stays 0.
        bright_tail: before histogram matching, clip the liver residual's bright (vessel)
            tail at this multiple of its dark tail's depth (:func:`clip_bright_tail`; 0: no
            clip, round 4's default). Matched rank for rank, the vessels' tail otherwise paints
            bright specks into a hypodense lesion (fill max 303 HU where the real tumour's is
            192). 1 (symmetric tails) removes them all but the fixed judge scored it worse
            (train+val lesions 0.858, healthy liver 0.877, vs 0.829 / 0.651 unclipped); 2 keeps
            both (0.829 / 0.663) and cuts the brightest specks (max 303 → 209 HU);
            docs/realism/round5_decision_rule.md.
    """

    grain: bool = True
    match_spectrum: bool = True
    match_histogram: bool = True
    seam: bool = False
    z_coherent: bool = True
    deficit_only: bool = True
    envelope: float = 0.0
    band_grain: bool = False
    tumour_marginal: bool = False
    intensity_slope: float = 0.0
    lesion_histogram: float = 0.0
    edge_free_deficit: bool = False
    deep_deficit: bool = False
    bright_tail: float = 2.0


DEFAULT_RENDER = RenderOptions()


#: Smoothness of the grain's amplitude envelope (Gaussian σ: in-plane px, along z slices).
ENVELOPE_SIGMA_PX = (1.0, 3.0, 3.0)

#: The noise band used to measure how much grain the structure already has (px, Gaussian σ).
NOISE_BAND_PX = 2.0


def _reach_px(sigma_px: float) -> int:
    """Radius of scipy's Gaussian filter at its default truncation (4σ)."""
    return int(4.0 * sigma_px + 0.5)


def structure_margin_px(
    appearance: Appearance | None, band_px: float, options: RenderOptions | None = None
) -> int:
    """How far beyond the lesion's bounding box :func:`render_lesion` reads ``structure_hu``.

    The grain's deficit reads the structure through :func:`_band_var`'s Gaussian (8 px), the
    composite reads the result up to ``band_px + 1`` px from the lesion, and a contrast request
    first smooths the structure (``GRAIN_SIGMA_PX``: 6 px more). The ``gan`` engine computes
    the structure only that far from the lesion (the network's decoder is most of a fill's
    time), so a step that reads it further out must extend this function
    (tests/core/test_fill_speed.py checks it). Of the tumour-prior ``options``, the per-band
    grain reads it through the coarsest band's Gaussian (16 px) and the intensity slope through
    a 1.5 px smoothing (tests/core/test_tumour_grain.py checks them).
    """
    reach = max(_reach_px(NOISE_BAND_PX), int(np.ceil(band_px)) + 1)
    if options is not None and options.band_grain:
        reach = max(reach, _reach_px(BANDS_PX[-1][1]))
    if options is not None and options.intensity_slope:
        reach = max(reach, _reach_px(SLOPE_SMOOTH_PX))
    if appearance is not None and appearance.contrast_hu is not None:
        reach += _reach_px(GRAIN_SIGMA_PX)
    return reach


def _band_var(image_hu: np.ndarray, where: np.ndarray) -> float:
    """Variance of ``image − gaussian(image, NOISE_BAND_PX)`` (in-plane) over ``where``."""
    img = np.asarray(image_hu, np.float64)
    img = img if img.ndim == 3 else img[None]
    w = np.asarray(where, bool).reshape(img.shape)
    if w.sum() <= 1:
        return 0.0
    # Filtered only around ``where`` (same values there, a fraction of the pixels).
    box = inplane_box(w, _reach_px(NOISE_BAND_PX))
    assert box is not None
    part = img[:, box[0], box[1]]
    band = part - ndimage.gaussian_filter(part, (0.0, NOISE_BAND_PX, NOISE_BAND_PX))
    return float(band[w[:, box[0], box[1]]].var())


def _residual_near(image_hu: np.ndarray, where: np.ndarray) -> np.ndarray:
    """:func:`residual` of ``(Z, H, W)`` crops, computed only where ``where`` can read it (else 0)."""
    img = np.asarray(image_hu, np.float64)
    box = inplane_box(where, _reach_px(RESIDUAL_SIGMA_PX))
    out = np.zeros(img.shape)
    if box is not None:
        out[:, box[0], box[1]] = residual(img[:, box[0], box[1]])
    return out


def clip_bright_tail(sample: np.ndarray, ratio: float) -> np.ndarray:
    """Clip the liver residual's bright tail at ``ratio`` × the depth of its dark tail.

    Parenchymal grain is close to symmetric; what makes the liver ring's residual skewed to the
    bright side is vessels and their halos. Rank-matched into a lesion, that tail becomes bright
    specks no real hypovascular tumour shows, so the bright tail is cut at ``ratio`` times the
    dark tail's depth (its 0.5th percentile, measured from the median; 1 = symmetric tails),
    and the rest of the distribution is kept.
    """
    med = float(np.median(sample))
    depth = med - float(np.quantile(sample, 0.005))
    return np.clip(sample, med - ratio * depth, med + ratio * depth)


def _modulate(noise: np.ndarray, log_std: float, rng: np.random.Generator) -> np.ndarray:
    """``noise`` times a smooth log-normal envelope, rescaled to keep its overall std."""
    if log_std <= 0:
        return noise
    field = ndimage.gaussian_filter(rng.standard_normal(noise.shape), ENVELOPE_SIGMA_PX)
    field /= max(float(field.std()), 1e-9)
    sd = float(noise.std())
    out = noise * np.exp(log_std * field)
    return out * (sd / max(float(out.std()), 1e-9))


def _in_plane_erosion(mask: np.ndarray) -> np.ndarray:
    core = ndimage.binary_erosion(mask, np.ones((1, 3, 3), bool))
    return core if core.sum() >= 10 else mask


def render_lesion(
    structure_hu: np.ndarray,
    image_hu: np.ndarray,
    mask: np.ndarray,
    liver: np.ndarray | None,
    appearance: Appearance | None,
    rng: np.random.Generator,
    band_px: float,
    *,
    spacing_mm: tuple[float, float, float] | None = None,
    options: RenderOptions = DEFAULT_RENDER,
) -> np.ndarray:
    """Render ``(Z, S, S)`` lesion crops (HU) from structure crops; see the module docstring.

    Args:
        structure_hu: the generator's prediction per slice (HU).
        image_hu: the crops of the image being filled (the lesion itself blanked or whitened).
        mask: lesion crops (bool); liver: liver crops or ``None``.
        appearance: the request (``None``: the model decides).
        rng: seeded generator (the fill's only source of randomness).
        band_px: the composite's blending band (for the seam noise).
        spacing_mm: voxel spacing (mottle size); options: ablation switches.

    Returns:
        float64 crops to composite; inside the mask they are the lesion.
    """
    appearance = appearance or Appearance()
    s = np.asarray(structure_hu, np.float64)
    m = np.asarray(mask, bool)
    # The liver level is needed only for a contrast request.
    level = 0.0 if appearance.contrast_hu is None else liver_level_hu(image_hu, m, liver)
    if appearance.contrast_hu is not None:
        s = set_contrast(s, m, level, float(appearance.contrast_hu))
    out = s
    if options.grain:
        # One distance map and one residual serve the spectrum's region (vessels out) and the
        # histogram's (vessels kept) alike.
        region, loose = noise_regions(
            image_hu, m, liver, outlier_mads=(3.5, 8.0), distance_px=in_plane_distance(m, 24.0)
        )
        res = _residual_near(image_hu, region | loose)
        model = estimate_noise(image_hu, region, residual_hu=res)
        if not options.z_coherent:
            model = replace(model, z_correlation=0.0)
        # The structure already has some fine detail; the grain makes up what it lacks in the
        # noise band (σ < NOISE_BAND_PX), measured against the liver in the same band.
        liver_var = max(_band_var(image_hu, region), 1.0)
        deep = deep_core(m) if options.deep_deficit else None
        if options.deep_deficit:
            ratio = (
                _band_var(s, deep) / liver_var if deep is not None else load_prior().structure_share
            )
        elif options.edge_free_deficit:
            ratio = inside_band_var(s, m, NOISE_BAND_PX) / liver_var
        else:
            ratio = _band_var(s, _in_plane_erosion(m)) / liver_var
        if not options.deficit_only:
            ratio = 0.0
        deficit = model.sigma_hu * np.sqrt(max(1.0 - ratio, 0.0))
        if options.match_spectrum:
            noise = synthesize_noise(model, m.shape, rng)
        else:
            noise = rng.standard_normal(m.shape) * model.sigma_hu
        noise = _modulate(noise, options.envelope, rng)
        if options.tumour_marginal:
            noise = tumour_marginal(noise, load_prior().quantiles, model.sigma_hu)
        elif options.match_histogram:
            sample = marginal_sample(image_hu, loose, residual_hu=res)
            if sample.size >= 20:
                if options.bright_tail > 0:
                    sample = clip_bright_tail(sample, options.bright_tail)
                noise = match_marginal(noise, sample) * (model.sigma_hu / max(sample.std(), 1e-6))
        noise = heteroscedastic(noise, s, m, options.intensity_slope)
        if options.band_grain:
            out = s + band_gains(noise, s, image_hu, m, region, load_prior().band_gain)
        else:
            out = s + noise * (deficit / model.sigma_hu)
        if options.seam and band_px > 0:
            w = np.stack([blend_weight(mz, band_px) for mz in m]).astype(np.float64)
            band = (w > 0) & (w < 1)
            seam = np.zeros_like(out)
            extra = synthesize_noise(model, m.shape, rng)
            # composite writes w·new + (1 − w)·old: w·(extra·sqrt(2(1 − w)/w)) has variance
            # 2w(1 − w)·σ², which restores the blend's lost variance.
            seam[band] = extra[band] * np.sqrt(2.0 * (1.0 - w[band]) / w[band])
            out = out + seam
    if options.lesion_histogram > 0:
        out = lesion_histogram(out, m, load_prior().lesion_quantiles, options.lesion_histogram)
    if appearance.heterogeneity:
        field = mottle_field(m.shape, m, out, rng, spacing_mm)
        out = out + float(appearance.heterogeneity) * HETEROGENEITY_FULL_HU * field
    if appearance.contrast_hu is not None:
        out = out + (level + float(appearance.contrast_hu) - float(out[m].mean()))
    return out
