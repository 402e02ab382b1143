"""The ``gan`` filler: a trained generator applied to a crop around the lesion.

``Filler.fill`` crops a square around the lesion (the model's ``crop_px``; larger for a large
lesion, rounded up to a multiple of ``2**num_downs``), builds the whitened generator input,
runs the generator once (the lesion's *structure*), maps the output back to HU, gives it the
grain of this scan and the requested appearance (:func:`~liversynth.fillers.lesion_render.
render_lesion`: noise with the power spectrum of the surrounding liver, seeded) and composites
it into the slice with a narrow soft edge (weight 1 in the mask, falling linearly to 0 at
``band_px + 1`` px from it). Pixels at a distance ``>= band_px + 1`` px from the lesion are
returned bit-identical.

**BatchNorm and dropout at inference.** pix2pix runs its generator in train mode at test time
(batch statistics, dropout as noise). With a batch of one crop that makes the lesion's pixels
depend on everything else in the crop, so the GUI preview would flicker with every edit. We use
eval mode (running statistics, no dropout) for the structure, and take the randomness where
it belongs, from ``seed``: the grain and the mottling are drawn from a generator seeded by
it, so the same (slice, mask, seed, appearance) gives a bit-identical fill and another seed
another plausible lesion. ``render=None`` gives the plain generator output (the pre-texture
engine, for comparison).

``fill_volume`` fills a 3-D lesion as one object: one crop box per lesion for all its slices,
the structure of every slice in one batch, one liver level, one noise model measured over the
lesion's slices and noise correlated along z like the scan's (AR(1)), one contrast.

Example:
    >>> import numpy as np
    >>> from liversynth.networks import ModelConfig, build_generator
    >>> cfg = ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2)
    >>> filler = Filler(build_generator(cfg), cfg)
    >>> hu = np.full((64, 64), 60.0, np.float32)
    >>> m = np.zeros((64, 64), bool); m[30:34, 30:34] = True
    >>> out = filler.fill(hu, m)
    >>> out.dtype, bool((out[:20] == hu[:20]).all())
    (dtype('float32'), True)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from liversynth.checkpoint import load_model, resolve_device
from liversynth.fillers.base import Appearance, FillHints
from liversynth.fillers.compositing import (
    CropBox,
    check_slice_and_mask,
    composite,
    crop_box,
    extract,
    lesion_bbox,
)
from liversynth.fillers.gan_runtime import default_model_path, limit_threads, usable_cores
from liversynth.fillers.gan_structure import StructurePredictor
from liversynth.fillers.lesion_groups import group_lesions
from liversynth.fillers.lesion_render import (
    DEFAULT_RENDER,
    RenderOptions,
    render_lesion,
    structure_margin_px,
)
from liversynth.networks import ModelConfig, UNetGenerator
from liversynth.typing import SpacingZYX
from liversynth.whitening import generator_input
from liversynth.windowing import unit_to_hu

#: Blending band outside the lesion (px): wide enough to hide the seam, narrow enough that
#: almost nothing of the original slice changes.
DEFAULT_BAND_PX = 2
__all__ = ["DEFAULT_FLIPS", "Filler", "default_model_path", "resolve_device", "usable_cores"]

#: Flip-ensemble size used by default. On the held-out lesions of 3Dircadb1.1 (docs/model)
#: averaging the generator over mirror images of the crop lowered inside-lesion MAE from 18.83
#: HU (1 view) to 18.25 (2: identity + left-right) and 18.13 (4), and raised inside-lesion SSIM
#: from 0.545 to 0.572 and 0.583. Two views keep most of the gain at ~1.4x the cost of one
#: (the views run as one batch); four cost ~2.2x and push a live fill on a 2-core CPU past
#: 50 ms (benchmarks/). ``flips=4`` is there for offline work.
DEFAULT_FLIPS = 2


class Filler:
    """Fills a lesion mask with generator output (the ``gan`` filler).

    Args:
        generator: a trained :class:`UNetGenerator`; it is run in eval mode, and a module
            that was in train mode (a generator being trained) is put back in train mode.
        config: its :class:`ModelConfig` (window, mask channel, crop size).
        band_px: blending band outside the mask (px).
        model_path: where the weights came from (shown in the GUI and in provenance).
        flips: mirror images averaged per structure prediction.
        render: the texture renderer's switches; ``None``: the plain generator output.

    Attributes:
        name: ``"gan"``.
        structure: the generator's flip-ensemble predictor and its cache of recent
            predictions (:class:`~liversynth.fillers.gan_structure.StructurePredictor`;
            ``structure.cache_entries = 0`` turns the cache off, e.g. to time cold fills).
    """

    name = "gan"

    def __init__(
        self,
        generator: UNetGenerator,
        config: ModelConfig,
        *,
        band_px: float = DEFAULT_BAND_PX,
        model_path: Path | None = None,
        flips: int = DEFAULT_FLIPS,
        render: RenderOptions | None = DEFAULT_RENDER,
    ) -> None:
        if generator.in_channels != config.in_channels:
            raise ValueError(
                f"generator takes {generator.in_channels} channels but the config implies "
                f"{config.in_channels}"
            )
        if band_px < 0:
            raise ValueError(f"band_px must be >= 0, got {band_px}")
        if flips not in (1, 2, 4):
            raise ValueError(f"flips must be 1, 2 or 4 (mirror images averaged), got {flips}")
        self.render = render
        # The module is used as given (not copied): a trainer can wrap the generator it is
        # training, and ``fill`` restores its train/eval mode afterwards.
        self._generator = generator
        self._config = config
        self._window = config.window
        self.band_px = band_px
        self.model_path = model_path
        # The flip ensemble, run through EvalUNet on the CPU (channels-last, BatchNorm folded,
        # decoder only where the fill reads it: equal to the module's forward to ~1e-6 of the
        # network range) and cached by exact input (gan_structure).
        self.structure = StructurePredictor(generator, flips)
        self._torch_device = self.structure.device
        limit_threads()

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        device: str | torch.device = "auto",
        *,
        band_px: float = DEFAULT_BAND_PX,
        flips: int = DEFAULT_FLIPS,
        render: RenderOptions | None = DEFAULT_RENDER,
    ) -> Filler:
        """Load a model file (see :func:`liversynth.checkpoint.load_model`).

        Args:
            path: a LiverSynth ``.safetensors`` model.
            device: ``auto`` (CUDA if available, else CPU), ``cpu``, ``cuda``, ``cuda:N``.
            band_px: blending band outside the mask (px).
            flips: mirror images averaged per fill (1 = plain generator, 2 = default).
            render: texture renderer switches (``None``: plain generator output).

        Raises:
            ModelFileError: the file is missing or not a valid LiverSynth model.
            ValueError: an unusable device.
        """
        generator, config = load_model(path, device=resolve_device(device))
        return cls(
            generator, config, band_px=band_px, model_path=Path(path), flips=flips, render=render
        )

    @property
    def flips(self) -> int:
        """Mirror images averaged per structure prediction."""
        return self.structure.flips

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda"`` (the device type the generator runs on)."""
        return self._torch_device.type

    @property
    def config(self) -> ModelConfig:
        """The model's configuration."""
        return self._config

    def crop_for(self, mask: np.ndarray) -> CropBox | None:
        """The crop box used for ``mask`` (``None`` when the mask is empty)."""
        bbox = lesion_bbox(mask)
        if bbox is None:
            return None
        cfg = self._config
        return crop_box(
            bbox, mask.shape, cfg.crop_px, margin_px=self._margin_px(), multiple=cfg.size_multiple
        )

    def fill(
        self,
        slice_hu: npt.ArrayLike,
        mask: npt.ArrayLike,
        *,
        liver_mask: npt.ArrayLike | None = None,
        seed: int | None = None,
        appearance: Appearance | None = None,
    ) -> np.ndarray:
        """Return a float32 copy of ``slice_hu`` with the lesion ``mask`` synthesised.

        Args:
            slice_hu: ``(H, W)`` slice in HU.
            mask: ``(H, W)`` lesion mask (non-zero inside).
            liver_mask: liver region: where the scan's noise and the liver level are measured
                (without it, soft tissue around the lesion).
            seed: seeds the grain and mottling (``None`` = 0); same seed, same fill.
            appearance: contrast to the liver and heterogeneity (``None``: the model decides).

        Returns:
            float32 ``(H, W)`` HU; the input (as float32) where the mask is empty, and
            bit-identical to it at ``>= band_px + 1`` px (Euclidean) from the lesion.

        Raises:
            ValueError: bad shapes, or non-finite HU in the crop around the lesion.
        """
        image, m = check_slice_and_mask(slice_hu, mask)
        liver = None if liver_mask is None else np.asarray(liver_mask, bool)
        if liver is not None and liver.shape != image.shape:
            raise ValueError(f"liver_mask shape {liver.shape} differs from slice {image.shape}")
        groups = self.lesion_groups(m)
        # One crop per group of nearby lesions; crops of one size run as one batch.
        jobs: dict[int, list[tuple[int, np.ndarray, CropBox, np.ndarray, np.ndarray]]] = {}
        for k, group in enumerate(groups):
            box = self.crop_for(group)
            assert box is not None  # groups are never empty
            crop_hu, x = self._input(image, m, box)
            jobs.setdefault(box.size, []).append((k, group, box, crop_hu, x))
        out = image
        for same_size in jobs.values():
            ys = self.structure.predict(
                torch.from_numpy(np.stack([job[4] for job in same_size])),
                self._needed([extract(job[1], job[2], pad=0) for job in same_size], appearance),
            )
            for (k, group, box, crop_hu, _), y in zip(same_size, ys, strict=True):
                structure = unit_to_hu(y, self._window)
                crop = self._rendered(
                    structure[None],
                    crop_hu[None],
                    extract(group, box, pad=0)[None].astype(bool),
                    None if liver is None else extract(liver, box, pad=0)[None].astype(bool),
                    appearance,
                    _rng(seed, k),
                    None,
                )[0]
                out = composite(out, crop, group, box, self.band_px)
        return out

    def fill_volume(
        self,
        hu_zyx: np.ndarray,
        mask_zyx: np.ndarray,
        *,
        liver_zyx: np.ndarray | None = None,
        seed: int | None = None,
        spacing_mm: SpacingZYX | None = None,
        appearance: Appearance | None = None,
        hints: FillHints | None = None,
    ) -> np.ndarray:
        """Fill a 3-D lesion as one object (module docstring); other slices are copied.

        Each group of nearby lesions (on the projection of the mask along z) gets one crop
        box for all its slices; the result is bit-identical to the input at ``>= band_px + 1``
        px (in-plane) from the lesion and on slices the lesion does not touch.
        """
        del hints  # the whole lesion is one batch: there is no slice to do first
        hu = np.asarray(hu_zyx)
        m3 = np.asarray(mask_zyx, bool)
        if hu.ndim != 3 or m3.shape != hu.shape:
            raise ValueError(
                f"fill_volume needs a 3-D volume and a mask of the same shape, got "
                f"{hu.shape} and {m3.shape}"
            )
        out = hu.astype(np.float32, copy=True)
        liver3 = None if liver_zyx is None else np.asarray(liver_zyx, bool)
        for k, group in enumerate(self.lesion_groups(np.asarray(m3.any(axis=0)))):
            box = self.crop_for(group)
            assert box is not None
            sub = m3 & group[None]
            zs = np.flatnonzero(sub.any(axis=(1, 2)))
            z0, z1 = int(zs[0]), int(zs[-1]) + 1
            inputs = [self._input(out[z], sub[z], box) for z in range(z0, z1)]
            needed = self._needed([extract(group, box, pad=0)], appearance)
            ys = np.concatenate(
                [
                    self.structure.predict(
                        torch.from_numpy(np.stack([x for _, x in inputs[i : i + 8]])), needed
                    )
                    for i in range(0, len(inputs), 8)
                ]
            )
            crops = self._rendered(
                unit_to_hu(ys, self._window),
                np.stack([c for c, _ in inputs]),
                np.stack([extract(sub[z], box, pad=0) for z in range(z0, z1)]).astype(bool),
                None
                if liver3 is None
                else np.stack([extract(liver3[z], box, pad=0) for z in range(z0, z1)]).astype(bool),
                appearance,
                _rng(seed, k),
                None if spacing_mm is None else tuple(float(v) for v in spacing_mm),
            )
            for i, z in enumerate(range(z0, z1)):
                if sub[z].any():
                    out[z] = composite(out[z], crops[i], sub[z], box, self.band_px)
        return out

    def _input(
        self, image: np.ndarray, mask: np.ndarray, box: CropBox
    ) -> tuple[np.ndarray, np.ndarray]:
        """The HU crop and the whitened generator input of ``box``."""
        crop_hu = extract(image, box, pad="edge")
        if not np.isfinite(crop_hu).all():
            raise ValueError("the slice has non-finite HU values around the lesion")
        # Where the crop reaches past the image (image smaller than the crop) both the slice
        # and the mask are edge-extended, so a lesion at the border stays whitened there
        # instead of leaking its original pixels into the generator input. The whole mask
        # is whitened in every crop: a neighbouring lesion's real pixels never leak either.
        crop_mask = extract(mask, box, pad="edge")
        x = generator_input(
            crop_hu, crop_mask, self._window, mask_channel=self._config.mask_channel
        )
        return crop_hu, x

    def _rendered(
        self,
        structure_hu: np.ndarray,
        crop_hu: np.ndarray,
        mask: np.ndarray,
        liver: np.ndarray | None,
        appearance: Appearance | None,
        rng: np.random.Generator,
        spacing_mm: tuple[float, ...] | None,
    ) -> np.ndarray:
        """Structure crops → final lesion crops (:func:`render_lesion`; plain when ``render`` is None)."""
        if self.render is None:
            return structure_hu
        return render_lesion(
            structure_hu,
            crop_hu,
            mask,
            liver,
            appearance,
            rng,
            self.band_px,
            spacing_mm=spacing_mm,  # type: ignore[arg-type]
            options=self.render,
        )

    def lesion_groups(self, mask: np.ndarray) -> list[np.ndarray]:
        """Split a mask into groups of nearby lesions, each filled from its own crop
        (:func:`~liversynth.fillers.lesion_groups.group_lesions` with this model's crop).

        Returns:
            Non-empty bool masks that partition ``mask`` (empty list for an empty mask).
        """
        fit_px = self._config.crop_px - 2 * self._margin_px()
        return group_lesions(mask, fit_px, self._box_size)

    def _box_size(self, mask: np.ndarray) -> int:
        box = self.crop_for(mask)
        return 0 if box is None else box.size

    def _margin_px(self) -> int:
        # Context around the lesion: at least the blending band, and an eighth of the crop so
        # that a lesion filling the crop still has surrounding tissue to match.
        return max(int(np.ceil(self.band_px)) + 1, self._config.crop_px // 8)

    def _needed(
        self, crop_masks: list[np.ndarray], appearance: Appearance | None
    ) -> tuple[int, int, int, int]:
        """The crop pixels whose structure the fill uses: the lesions' box plus a margin.

        The composite reads up to ``band_px + 1`` px from the lesion, the renderer up to
        :func:`~liversynth.fillers.lesion_render.structure_margin_px` from its box.
        """
        boxes = [b for b in (lesion_bbox(m) for m in crop_masks) if b is not None]
        margin = int(np.ceil(self.band_px)) + 1
        if self.render is not None:
            margin = max(margin, structure_margin_px(appearance, self.band_px, self.render))
        return (
            min(b[0] for b in boxes) - margin,
            max(b[1] for b in boxes) + margin,
            min(b[2] for b in boxes) - margin,
            max(b[3] for b in boxes) + margin,
        )


def _rng(seed: int | None, group: int) -> np.random.Generator:
    """The generator of one lesion group's grain: fixed by (seed, group)."""
    return np.random.default_rng(np.random.SeedSequence([(seed or 0) & 0xFFFFFFFF, group]))
