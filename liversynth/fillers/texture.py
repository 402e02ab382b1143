"""The scan's own noise texture: measured in the liver around a lesion, synthesised on demand.

A smooth lesion in a noisy scan is the first thing that gives a synthetic tumour away. This
module measures the noise of *this* scan where it matters (the liver around the lesion) and
draws new noise with the same power spectrum, so a filler can give its lesion the grain of the
image it is pasted into, whatever the scanner, dose or reconstruction kernel.

* :func:`residual`: the image minus its Gaussian smoothing (σ :data:`RESIDUAL_SIGMA_PX`): noise
  and fine texture, without the anatomy;
* :func:`estimate_noise`: the residual's autocorrelation in a region (a masked periodogram, so
  any ring shape works), tapered to a few pixels of lag, turned into a small filter kernel
  whose white-noise response has that autocorrelation (= the noise power spectrum, NPS); with
  a stack of slices, also the correlation of the residual between adjacent slices;
* :func:`synthesize_noise`: white noise (seeded) filtered with that kernel; along ``z`` an AR(1)
  process with the measured adjacent-slice correlation, so a 3-D lesion's grain is as coherent
  between slices as the scan's;
* :func:`match_marginal`: the noise's values mapped, rank for rank, onto the quantiles of the
  liver's residual (Heeger–Bergen style: spectrum, then histogram), so the grain has the
  scan's skew and tails (small bright vessels), not a Gaussian's.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> from scipy import ndimage
    >>> img = 100 + 20 * ndimage.gaussian_filter(rng.standard_normal((96, 96)), 1.0) * 3.5
    >>> model = estimate_noise(img, np.ones((96, 96), bool))
    >>> n = synthesize_noise(model, (1, 96, 96), np.random.default_rng(1))[0]
    >>> 0.7 < float(residual(n).std() / residual(img).std()) < 1.3
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy import ndimage

#: The residual keeps detail finer than this (px): CT noise and parenchymal grain.
RESIDUAL_SIGMA_PX = 5.0
#: Autocorrelation lags kept (px); CT noise correlates over a few pixels only.
MAX_LAG_PX = 8
#: Side of the synthesis kernel (px).
KERNEL_PX = 21
#: Fewest region pixels for a measurement; below it, :data:`FALLBACK_NOISE` is used.
MIN_REGION_PX = 60


@dataclass(frozen=True)
class NoiseModel:
    """The noise of a scan around a lesion.

    Attributes:
        kernel: ``(KERNEL_PX, KERNEL_PX)`` filter; white unit noise filtered by it has the
            measured autocorrelation (its variance is the residual variance).
        sigma_hu: std of the residual in the region (HU).
        z_correlation: correlation of the residual between adjacent slices (0 for one slice).
        n_px: region pixels measured (0 = fallback).
    """

    kernel: np.ndarray
    sigma_hu: float
    z_correlation: float
    n_px: int


def residual(image_hu: np.ndarray) -> np.ndarray:
    """``image − gaussian(image, RESIDUAL_SIGMA_PX)`` in-plane (float64; 2-D or per slice)."""
    img = np.asarray(image_hu, np.float64)
    sigma = (0.0, RESIDUAL_SIGMA_PX, RESIDUAL_SIGMA_PX) if img.ndim == 3 else RESIDUAL_SIGMA_PX
    return img - ndimage.gaussian_filter(img, sigma)


def _gaussian_kernel(sigma_hu: float, width_px: float = 0.8) -> np.ndarray:
    """A fallback kernel: Gaussian-correlated noise of std ``sigma_hu``."""
    delta = np.zeros((KERNEL_PX, KERNEL_PX))
    delta[KERNEL_PX // 2, KERNEL_PX // 2] = 1.0
    k = ndimage.gaussian_filter(delta, width_px)
    return k * (sigma_hu / np.sqrt((k**2).sum()))


def fallback_noise(sigma_hu: float = 15.0) -> NoiseModel:
    """A generic CT noise model (used where no liver could be measured)."""
    return NoiseModel(_gaussian_kernel(sigma_hu), float(sigma_hu), 0.0, 0)


def _acf(res: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Masked autocorrelation of ``res`` over ``region`` at lags ``±MAX_LAG_PX`` (2-D)."""
    # Only the region's bounding box holds non-zero products, and any FFT period of at least
    # its side + MAX_LAG_PX gives the exact linear correlation at these lags: take the box and
    # a fast FFT length (a 128 px crop padded to its side + 9 = 137, a prime, costs ~6x more).
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    reg = region[box]
    h, w = reg.shape
    shape = (
        sp_fft.next_fast_len(h + MAX_LAG_PX + 1, real=True),
        sp_fft.next_fast_len(w + MAX_LAG_PX + 1, real=True),
    )
    r = np.where(reg, res[box], 0.0)
    fr = np.fft.rfft2(r, shape)
    fm = np.fft.rfft2(reg.astype(np.float64), shape)
    num = np.fft.irfft2(fr * np.conj(fr), shape)
    den = np.fft.irfft2(fm * np.conj(fm), shape)
    lags = np.r_[0 : MAX_LAG_PX + 1, -MAX_LAG_PX:0]
    num = num[np.ix_(lags, lags)]
    den = np.maximum(np.rint(den[np.ix_(lags, lags)]), 1.0)
    return np.fft.fftshift(num / den)  # centre = lag 0


def _kernel_from_acf(acf: np.ndarray) -> np.ndarray:
    """A kernel ``k`` with ``k ⋆ k ≈ acf`` (the square root of the NPS, made real)."""
    size = 2 * MAX_LAG_PX + 1
    taper = np.outer(np.hanning(size + 2)[1:-1], np.hanning(size + 2)[1:-1])
    grid = np.zeros((KERNEL_PX, KERNEL_PX))
    c, half = KERNEL_PX // 2, MAX_LAG_PX
    grid[c - half : c + half + 1, c - half : c + half + 1] = acf * taper
    nps = np.clip(np.fft.fft2(np.fft.ifftshift(grid)).real, 0.0, None)
    kernel = np.fft.fftshift(np.fft.ifft2(np.sqrt(nps)).real)
    total = np.sqrt((kernel**2).sum())
    return kernel * (np.sqrt(max(acf[half, half], 0.0)) / total) if total > 0 else grid


def inplane_box(where: np.ndarray, margin_px: int) -> tuple[slice, slice] | None:
    """Rows and columns of ``where``'s bounding box (over all slices) grown by ``margin_px``.

    Clipped to the array; ``None`` when ``where`` is empty. A filter of radius ``margin_px``
    evaluated on ``where`` gives the same values on this box as on the whole array (the box
    reaches the array's edge wherever the filter would).
    """
    w = np.asarray(where, bool)
    flat = np.asarray(w.any(axis=0)) if w.ndim == 3 else w
    rows, cols = np.flatnonzero(flat.any(axis=1)), np.flatnonzero(flat.any(axis=0))
    if rows.size == 0:
        return None
    return (
        slice(max(int(rows[0]) - margin_px, 0), min(int(rows[-1]) + 1 + margin_px, flat.shape[0])),
        slice(max(int(cols[0]) - margin_px, 0), min(int(cols[-1]) + 1 + margin_px, flat.shape[1])),
    )


def in_plane_distance(mask: np.ndarray, max_px: float | None = None) -> np.ndarray:
    """Euclidean distance (px) to the nearest mask pixel, in-plane per slice for a stack.

    A slice of a stack without lesion gets 1e9 everywhere (no ring on it). With ``max_px``,
    only the mask's box grown by ``max_px`` is measured (exactly: every mask pixel lies in
    it) and the rest is ``inf``.
    """
    m = np.asarray(mask, bool)
    if m.ndim == 2:
        return in_plane_distance(m[None], max_px)[0]
    if max_px is None:
        return np.stack([ndimage.distance_transform_edt(~s) if s.any() else s + 1e9 for s in m])
    out = np.full(m.shape, np.inf)
    for z, s in enumerate(m):
        box = inplane_box(s, int(np.ceil(max_px)) + 1)
        if box is None:
            out[z] = 1e9
        else:
            out[z][box] = ndimage.distance_transform_edt(~s[box])
    return out


def noise_region(
    image_hu: np.ndarray,
    mask: np.ndarray,
    liver: np.ndarray | None,
    *,
    ring_px: tuple[float, float] = (3.0, 24.0),
    outlier_mad: float = 3.5,
    distance_px: np.ndarray | None = None,
) -> np.ndarray:
    """Where the noise is measured: liver (or soft tissue) in a ring around the lesion.

    Vessels and other outliers (beyond ``outlier_mad`` robust standard deviations of the
    ring's HU) are left out: they are anatomy, not grain. Works on 2-D slices and 3-D stacks (in-plane
    distances per slice). ``distance_px``: :func:`in_plane_distance` of ``mask`` when the
    caller has it already (the result is the same).
    """
    return noise_regions(
        image_hu, mask, liver, ring_px=ring_px, outlier_mads=(outlier_mad,), distance_px=distance_px
    )[0]


def noise_regions(
    image_hu: np.ndarray,
    mask: np.ndarray,
    liver: np.ndarray | None,
    *,
    ring_px: tuple[float, float] = (3.0, 24.0),
    outlier_mads: tuple[float, ...] = (3.5,),
    distance_px: np.ndarray | None = None,
) -> list[np.ndarray]:
    """:func:`noise_region` for several ``outlier_mad`` values, sharing the ring and its statistics."""
    img = np.asarray(image_hu, np.float64)
    dist = in_plane_distance(mask) if distance_px is None else distance_px
    ring = (dist >= ring_px[0]) & (dist <= ring_px[1]) & (img > -50.0) & (img < 250.0)
    if liver is not None:
        in_liver = ring & np.asarray(liver, bool)
        if in_liver.sum() >= MIN_REGION_PX:
            ring = in_liver
    if ring.sum() < MIN_REGION_PX:
        return [ring for _ in outlier_mads]
    vals = img[ring]
    med = np.median(vals)
    mad = 1.4826 * np.median(np.abs(vals - med)) + 1.0
    deviation = np.abs(img - med)
    structure = np.ones((1, 3, 3), bool) if ring.ndim == 3 else np.ones((3, 3), bool)
    regions = []
    for outlier_mad in outlier_mads:
        keep = ring & (deviation <= outlier_mad * mad)
        # Erode by one pixel so the residual of a vessel's edge does not count either.
        regions.append(
            np.asarray(ndimage.binary_erosion(keep, structure))
            if keep.sum() > 4 * MIN_REGION_PX
            else keep
        )
    return regions


def estimate_noise(
    image_hu: np.ndarray, region: np.ndarray, *, residual_hu: np.ndarray | None = None
) -> NoiseModel:
    """The noise model of ``image_hu`` (``(H, W)`` or ``(Z, H, W)``) measured in ``region``.

    ``residual_hu``: :func:`residual` of ``image_hu`` when the caller has it already.
    """
    img = np.asarray(image_hu, np.float64)
    reg = np.asarray(region, bool)
    if img.ndim == 2:
        img, reg = img[None], reg[None]
    if reg.sum() < MIN_REGION_PX:
        return fallback_noise()
    res = residual(img) if residual_hu is None else np.asarray(residual_hu).reshape(img.shape)
    acfs, weights = [], []
    for z in range(img.shape[0]):
        if reg[z].sum() >= MIN_REGION_PX // 2:
            acfs.append(_acf(res[z], reg[z]))
            weights.append(float(reg[z].sum()))
    acf = np.average(np.stack(acfs), axis=0, weights=weights)
    sigma = float(np.sqrt(max(acf[MAX_LAG_PX, MAX_LAG_PX], 1.0)))
    rho = []
    for z in range(img.shape[0] - 1):
        both = reg[z] & reg[z + 1]
        if both.sum() >= MIN_REGION_PX:
            rho.append(float(np.corrcoef(res[z][both], res[z + 1][both])[0, 1]))
    z_corr = float(np.clip(np.mean(rho), 0.0, 0.95)) if rho else 0.0
    return NoiseModel(_kernel_from_acf(acf), sigma, z_corr, int(reg.sum()))


def synthesize_noise(
    model: NoiseModel, shape_zyx: tuple[int, int, int], rng: np.random.Generator
) -> np.ndarray:
    """Noise with the model's spectrum, ``(Z, H, W)`` float64 HU, AR(1)-correlated along ``z``.

    The same ``rng`` state gives the same field (bit-identical).
    """
    z, h, w = shape_zyx
    white = rng.standard_normal((z, h, w))
    rho = model.z_correlation
    for k in range(1, z):
        white[k] = rho * white[k - 1] + np.sqrt(1.0 - rho**2) * white[k]
    kernel = np.zeros((h, w))
    kh, kw = min(KERNEL_PX, h), min(KERNEL_PX, w)
    c = KERNEL_PX // 2
    small = model.kernel[c - kh // 2 : c - kh // 2 + kh, c - kw // 2 : c - kw // 2 + kw]
    kernel[:kh, :kw] = small
    kernel = np.roll(kernel, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    spectrum = np.fft.rfft2(kernel)
    return np.fft.irfft2(np.fft.rfft2(white, axes=(1, 2)) * spectrum, (h, w), axes=(1, 2))


def match_marginal(noise: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``noise`` with its values replaced, rank for rank, by quantiles of ``reference``.

    Args:
        noise: any array (its ordering is kept).
        reference: 1-D sample of the wanted distribution (e.g. the liver residual, HU).

    Returns:
        float64 array of ``noise``'s shape, distributed like ``reference``.
    """
    ref = np.sort(np.asarray(reference, np.float64).ravel())
    flat = np.asarray(noise, np.float64).ravel()
    if ref.size < 2 or flat.size == 0:
        return np.asarray(noise, np.float64)
    # The value of rank k is interp((k + 0.5) / n): interpolate the sorted ranks once (a
    # monotone query, ~15x faster than the same values in pixel order) and scatter them back.
    # Without ties the unstable (SIMD) sort gives the stable sort's order; with ties, the
    # stable one decides, so the result never depends on the sort used.
    order = np.argsort(flat)
    ordered = flat[order]
    if (ordered[1:] == ordered[:-1]).any():
        order = np.argsort(flat, kind="stable")
    out = np.empty(flat.size)
    out[order] = np.interp(
        (np.arange(flat.size) + 0.5) / flat.size, (np.arange(ref.size) + 0.5) / ref.size, ref
    )
    return out.reshape(np.shape(noise))


def marginal_sample(
    image_hu: np.ndarray, region: np.ndarray, *, residual_hu: np.ndarray | None = None
) -> np.ndarray:
    """The residual values of ``image_hu`` in ``region`` with the ring's vessels kept.

    The region of :func:`noise_region` leaves vessels out (they would bias the spectrum); the
    marginal keeps everything up to 8 robust standard deviations (a lesion's tails).
    ``residual_hu``: :func:`residual` of ``image_hu`` when the caller has it already.
    """
    res = residual(image_hu) if residual_hu is None else residual_hu
    vals = res[np.asarray(region, bool)]
    return vals - vals.mean() if vals.size else vals
