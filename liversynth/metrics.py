"""Image-quality metrics with fixed definitions (DESIGN.md "Metrics"), so numbers compare.

Whole slice (paper-comparable):
    both slices are windowed to W400/L40 (−160..240 HU) and mapped to 8-bit 0..255
    (:func:`liversynth.windowing.to_uint8`, round to nearest), then
    ``psnr_slice`` = PSNR with data range 255 and
    ``ssim_slice`` = SSIM (Gaussian weights, σ = 1.5, ``use_sample_covariance=False``,
    data range 255), both from :mod:`skimage.metrics`.

Inside the lesion (mask pixels only):
    both slices are windowed to the same W400/L40 and scaled to [0, 1] in float64 (not quantised),
    ``psnr_lesion`` = 10·log10(1 / MSE) with the MSE over mask pixels only (data range 1),
    ``ssim_lesion`` = the SSIM map (same parameters, data range 1) averaged over mask pixels,
    ``mae_lesion_hu`` = mean |reference − synthetic| in raw HU (not windowed) over mask pixels.

Conventions:
    * Identical images give PSNR = ``inf`` (MSE 0) — never a division warning. JSON has no
      infinity: pass results through :func:`json_safe` before ``json.dump`` (inf/NaN → ``null``).
    * An empty mask gives ``NaN`` for the three lesion metrics (the whole-slice metrics are still
      computed), so batch tables keep one row per slice; :func:`json_safe` writes them as ``null``.
    * SSIM needs slices of at least 11×11 pixels (the σ = 1.5 Gaussian window).
    * ``compare`` is symmetric in (reference, synthetic) for every key.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from liversynth.windowing import PRESETS, Window, to_uint8

#: The metric window (W400/L40, −160..240 HU). Fixed: do not change, numbers must compare.
METRIC_WINDOW: Window = PRESETS["abdomen"]

#: The keys :func:`compare` returns, in a stable order for tables.
METRIC_KEYS: tuple[str, ...] = (
    "psnr_slice",
    "ssim_slice",
    "mae_slice_hu",
    "psnr_lesion",
    "ssim_lesion",
    "mae_lesion_hu",
)

_SSIM_KW: dict[str, Any] = {
    "gaussian_weights": True,
    "sigma": 1.5,
    "use_sample_covariance": False,
}


def _unit01(hu: np.ndarray, window: Window) -> np.ndarray:
    """HU → [0, 1] in ``window`` (float64, not quantised)."""
    return (np.clip(hu.astype(np.float64), window.low, window.high) - window.low) / window.width_hu


def _psnr_from_mse(mse: float, data_range: float) -> float:
    return math.inf if mse == 0.0 else float(10.0 * math.log10(data_range**2 / mse))


def compare(
    reference_hu: npt.ArrayLike, synthetic_hu: npt.ArrayLike, mask: npt.ArrayLike
) -> dict[str, float]:
    """Compare a synthetic slice with its reference (ground truth).

    Args:
        reference_hu: ``(H, W)`` reference slice in HU (H, W ≥ 11).
        synthetic_hu: ``(H, W)`` synthetic slice in HU.
        mask: ``(H, W)`` lesion mask (non-zero inside).

    Returns:
        ``{"psnr_slice", "ssim_slice", "mae_slice_hu", "psnr_lesion", "ssim_lesion",
        "mae_lesion_hu"}`` as floats
        (PSNR in dB, may be ``inf``; lesion metrics ``NaN`` for an empty mask).

    Raises:
        ValueError: if the shapes differ, are not 2-D, or are smaller than 11×11.
    """
    ref = np.asarray(reference_hu)
    syn = np.asarray(synthetic_hu)
    m = np.asarray(mask)
    if ref.ndim != 2 or ref.shape != syn.shape or ref.shape != m.shape:
        raise ValueError(
            f"compare needs three 2-D arrays of one shape, got reference {ref.shape}, "
            f"synthetic {syn.shape}, mask {m.shape}"
        )
    # Imported here: skimage.metrics pulls in scipy.stats (~1-2 s), which json_safe users and
    # importers of this module at start-up should not pay for.
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    if min(ref.shape) < 11:
        raise ValueError(f"slices must be at least 11×11 pixels for SSIM, got {ref.shape}")
    m = m if m.dtype == np.bool_ else m != 0

    ref8 = to_uint8(ref, METRIC_WINDOW)
    syn8 = to_uint8(syn, METRIC_WINDOW)
    mse8 = float(np.mean((ref8.astype(np.float64) - syn8.astype(np.float64)) ** 2))
    psnr_slice = (
        math.inf if mse8 == 0.0 else float(peak_signal_noise_ratio(ref8, syn8, data_range=255))
    )
    ssim_slice = float(structural_similarity(ref8, syn8, data_range=255, **_SSIM_KW))
    mae_slice = float(np.mean(np.abs(ref.astype(np.float64) - syn.astype(np.float64))))

    if not m.any():
        nan = math.nan
        return {
            "psnr_slice": psnr_slice,
            "ssim_slice": ssim_slice,
            "mae_slice_hu": mae_slice,
            "psnr_lesion": nan,
            "ssim_lesion": nan,
            "mae_lesion_hu": nan,
        }

    ref1 = _unit01(ref, METRIC_WINDOW)
    syn1 = _unit01(syn, METRIC_WINDOW)
    mse1 = float(np.mean((ref1[m] - syn1[m]) ** 2))
    _, ssim_map = structural_similarity(ref1, syn1, data_range=1.0, full=True, **_SSIM_KW)
    mae = float(np.mean(np.abs(ref[m].astype(np.float64) - syn[m].astype(np.float64))))
    return {
        "psnr_slice": psnr_slice,
        "ssim_slice": ssim_slice,
        "mae_slice_hu": mae_slice,
        "psnr_lesion": _psnr_from_mse(mse1, 1.0),
        "ssim_lesion": float(np.mean(ssim_map[m])),
        "mae_lesion_hu": mae,
    }


def json_safe(value: Any) -> Any:
    """Make metric results JSON-serialisable (strict JSON has no inf/NaN).

    Non-finite floats (``inf`` from identical images, ``NaN`` from empty masks) become ``None``
    (JSON ``null``); NumPy scalars become Python numbers; dicts, lists and tuples are converted
    recursively (tuples become lists). Anything else is returned unchanged.

    Example:
        >>> json_safe({"psnr_slice": float("inf"), "ssim_slice": np.float32(0.5)})
        {'psnr_slice': None, 'ssim_slice': 0.5}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
