"""The ``gan`` engine's structure prediction: the generator over a flip ensemble, fast and cached.

:class:`StructurePredictor` runs the generator (eval mode) on whitened crops, averages it over
``flips`` mirror images, and returns it in the network range. On the CPU the network runs
through :class:`~liversynth.networks.eval_unet.EvalUNet` (channels-last, BatchNorm folded,
decoder only over the pixels the fill uses). Each call's result is kept in a small cache keyed
by the *exact* input bytes, the needed region, the flips and the identity and in-place version
of every weight and buffer: a live fill that is asked again with only the seed or the
appearance changed (the GUI's contrast and heterogeneity boxes refill live) skips the network
and gets the bit-identical structure, and any change of the input or of the weights misses.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
import torch

from liversynth.networks.eval_unet import EvalUNet, supported

#: The (left-right, up-down) mirrorings of the ensemble, in order.
FLIPS = ((False, False), (False, True), (True, False), (True, True))
#: Structure predictions kept (a 128 px crop's is 64 KB, a batch of 8 slices of 256 px 2 MB).
CACHE_ENTRIES = 8

Region = tuple[int, int, int, int]


class StructurePredictor:
    """The generator's flip-ensemble prediction for ``(N, C, S, S)`` inputs (module docstring).

    Args:
        generator: the network (used as given: a generator in train mode is put back in it).
        flips: mirror images averaged (1, 2 or 4).
        cache_entries: results kept (0: no cache).
    """

    def __init__(
        self, generator: torch.nn.Module, flips: int, cache_entries: int = CACHE_ENTRIES
    ) -> None:
        self.generator = generator
        self.flips = flips
        param = next(generator.parameters())
        self.device = param.device
        self.dtype = param.dtype
        self._fast = EvalUNet(generator) if supported(generator) else None  # type: ignore[arg-type]
        self._cache: OrderedDict[tuple[object, ...], np.ndarray] = OrderedDict()
        self.cache_entries = cache_entries
        self._lock = threading.Lock()  # the cache may be shared by threads filling at once
        #: Predictions served from the cache / computed (for tests and benchmarks).
        self.hits = 0
        self.misses = 0

    @property
    def fast(self) -> bool:
        """Whether the network runs through :class:`EvalUNet` (a CPU float32 U-Net)."""
        return self._fast is not None and supported(self.generator)

    def predict(self, x: torch.Tensor, needed: Region | None = None) -> np.ndarray:
        """Outputs for ``(N, C, S, S)`` inputs, each the mean over ``flips`` mirrors.

        Args:
            x: the whitened inputs.
            needed: ``(y0, y1, x0, x1)`` of the crop that is used; outside it the output may
                be 0 (``None``: all of it is computed).

        Returns:
            ``(N, S, S)`` float32 outputs in the network range (a fresh array).
        """
        # The key (a hash of the input and every weight's version) only when a cache is kept.
        key = self._key(x, needed) if self.cache_entries > 0 else None
        with self._lock:
            if key is not None and (hit := self._cache.get(key)) is not None:
                self.hits += 1
                self._cache.move_to_end(key)
                return hit.copy()
            self.misses += 1
        out = self._ensemble(x, needed)
        if key is not None:
            with self._lock:
                self._cache[key] = out.copy()
                while len(self._cache) > self.cache_entries:
                    self._cache.popitem(last=False)
        return out

    def _key(self, x: torch.Tensor, needed: Region | None) -> tuple[object, ...]:
        """Everything the prediction depends on: input bytes, region, flips, weights."""
        data = np.ascontiguousarray(x.detach().cpu().numpy())
        digest = hashlib.blake2b(data.tobytes(), digest_size=20).hexdigest()
        # A weight or running statistic written in place (optimiser step, load_state_dict)
        # bumps its version; a replaced tensor has another identity.
        weights = tuple(
            (id(t), t._version, t.data_ptr())
            for t in self.generator.state_dict(keep_vars=True).values()
        )
        return (digest, data.shape, str(data.dtype), needed, self.flips, self.fast, weights)

    def _ensemble(self, x: torch.Tensor, needed: Region | None) -> np.ndarray:
        flips = FLIPS[: self.flips]
        views = torch.cat([mirror(x, lr, ud) for lr, ud in flips])
        region = None
        if needed is not None:
            # Each mirrored view needs the mirror image of the region: compute their union.
            h, w = x.shape[-2:]
            y0, y1, x0, x1 = needed
            rows = [(y0, y1) if not ud else (h - y1, h - y0) for _, ud in flips]
            cols = [(x0, x1) if not lr else (w - x1, w - x0) for lr, _ in flips]
            region = (
                min(r[0] for r in rows),
                max(r[1] for r in rows),
                min(c[0] for c in cols),
                max(c[1] for c in cols),
            )
        y = torch.from_numpy(self._run(views, region))[:, 0]
        y = y.reshape(len(flips), x.shape[0], *x.shape[-2:])
        restored = [mirror(y[k], lr, ud) for k, (lr, ud) in enumerate(flips)]
        return torch.stack(restored).mean(0).numpy()

    def _run(self, x: torch.Tensor, region: Region | None) -> np.ndarray:
        """The generator on a ``(N, C, S, S)`` input, in eval mode (``liversynth.fillers.gan``).

        Through :class:`EvalUNet` the decoder runs only over ``region`` (elsewhere 0); the
        plain module (another device or dtype) computes everything.
        """
        generator = self.generator
        was_training = generator.training
        generator.eval()
        try:
            with torch.inference_mode():
                x = x.to(self.device, self.dtype)
                if self.fast and self._fast is not None:
                    y = self._fast(x, region)
                else:
                    y = generator(x)
                return y.float().cpu().numpy()
        finally:
            if was_training:
                generator.train()


def mirror(t: torch.Tensor, left_right: bool, up_down: bool) -> torch.Tensor:
    """``t`` (``(..., H, W)``) mirrored; applying it twice gives ``t`` back."""
    dims = [d for d, on in ((-1, left_right), (-2, up_down)) if on]
    return torch.flip(t, dims) if dims else t
