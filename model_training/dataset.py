"""The training data: prepared slices (and phantom cases) as crops for the generator.

Data order is a pure function of ``(seed, epoch)`` and each sample's augmentation of
``(seed, epoch, draw index)``: no data-loader state has to be saved, resuming in the middle of
an epoch replays exactly the same crops, and worker processes cannot change the result.

Example:
    >>> epoch_draws(3, seed=0, epoch=0, count=5).tolist() == epoch_draws(3, 0, 0, 5).tolist()
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from liversynth.errors import LoadError
from liversynth.networks import ModelConfig
from liversynth.whitening import generator_input
from liversynth.windowing import hu_to_unit
from model_training.augment import AugmentParams, center_crop, random_crop
from model_training.noise_augment import NoiseParams, add_noise
from model_training.records import SliceRecord, crop_to_liver, extract_case
from model_training.split import assign_splits


@dataclass
class SliceSets:
    """Records by split, arrays loaded (test arrays only when asked).

    ``healthy_train`` / ``healthy_val``: the dataset's healthy-liver pairs
    (:mod:`model_training.healthy`) of those splits, loaded only when asked.
    """

    train: list[SliceRecord]
    val: list[SliceRecord]
    test: list[SliceRecord]
    summary: dict[str, Any]
    healthy_train: list[SliceRecord] = field(default_factory=list)
    healthy_val: list[SliceRecord] = field(default_factory=list)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a prepared dataset.

    Raises:
        LoadError: no or unreadable manifest.
    """
    path = Path(folder) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadError(
            path, "no manifest: prepare the dataset with 'model_training prepare'"
        ) from None
    except (OSError, json.JSONDecodeError) as err:
        raise LoadError(path, f"unreadable manifest ({err})") from None
    if manifest.get("format") != "liversynth-dataset":
        raise LoadError(path, "not a LiverSynth dataset manifest")
    return manifest


def load_slice_sets(
    folder: Path | None,
    *,
    splits: tuple[str, ...] = ("train", "val"),
    healthy_splits: tuple[str, ...] = (),
) -> SliceSets:
    """Read a prepared dataset; arrays are loaded for the records of ``splits`` and the
    healthy-liver records of ``healthy_splits`` (``train`` / ``val``)."""
    sets = SliceSets([], [], [], {})
    if folder is None:
        return sets
    manifest = read_manifest(folder)
    for meta in manifest["slices"]:
        record = SliceRecord.from_meta(meta)
        if record.split in splits:
            record.load_arrays(Path(folder))
        getattr(sets, record.split).append(record)
    for meta in manifest.get("healthy", []):
        record = SliceRecord.from_meta(meta)
        if record.split in healthy_splits:
            getattr(sets, "healthy_" + record.split).append(record.load_arrays(Path(folder)))
    sets.summary = {
        "dataset": str(folder),
        "split_unit": manifest.get("split_unit"),
        "cases": [c["name"] for c in manifest.get("cases", [])],
        "counts": manifest.get("counts"),
        "healthy_counts": manifest.get("healthy_counts"),
    }
    return sets


def add_phantoms(
    sets: SliceSets, n: int, *, seed: int, shape: tuple[int, int, int], margin_px: int = 64
) -> SliceSets:
    """Add ``n`` phantom cases (``liversynth.phantom.make_phantom``).

    With a real dataset the phantoms only add training slices; alone they are split like a
    prepared dataset (by lesion for fewer than three phantoms), so validation still works.
    """
    if n <= 0:
        return sets
    from liversynth.phantom import make_phantom

    records: list[SliceRecord] = []
    for i in range(n):
        case = make_phantom(seed=seed + i, shape=shape)
        case_records = extract_case(case)
        for r in case_records:
            r.case, r.patient = f"phantom{seed + i}", f"phantom{seed + i}"
        records.extend(case_records)
    alone = not (sets.train or sets.val or sets.test)
    if alone:
        assign_splits(records, seed=seed, val_fraction=0.2, test_fraction=0.0)
    else:
        for r in records:
            r.split = "train"
    for r in records:
        if r.split == "train":
            crop_to_liver(r, margin_px)
        getattr(sets, r.split).append(r)
    sets.summary = {**sets.summary, "phantom_cases": n, "phantom_shape": list(shape)}
    return sets


def epoch_draws(n_records: int, seed: int, epoch: int, count: int) -> np.ndarray:
    """Record indices drawn in one epoch: seeded permutations, concatenated up to ``count``."""
    rng = np.random.default_rng([seed, epoch, 0x5EED])
    reps = -(-count // n_records)
    return np.concatenate([rng.permutation(n_records) for _ in range(reps)])[:count]


class CropDataset(Dataset):
    """The draws of one rank in one epoch, from a given step on, as generator samples.

    Item ``i`` is ``(input (C, S, S), target (1, S, S), lesion mask (1, S, S))`` float32 tensors
    in the network range; the mask is 0/1.

    Args:
        records: training records (arrays loaded).
        cfg: the model configuration (crop size, window, mask channel).
        seed, epoch: determine order and augmentation.
        steps: steps per epoch; batch_size, rank, world: the distributed layout.
        start_step: first step of the epoch still to do (resuming mid-epoch).
        augment: augmentation ranges, or None for centred crops.
        noise: noise-level augmentation (:mod:`model_training.noise_augment`), or None.
    """

    def __init__(
        self,
        records: list[SliceRecord],
        cfg: ModelConfig,
        *,
        seed: int,
        epoch: int,
        steps: int,
        batch_size: int,
        rank: int = 0,
        world: int = 1,
        start_step: int = 0,
        augment: AugmentParams | None = None,
        noise: NoiseParams | None = None,
    ) -> None:
        if not records:
            raise ValueError("no training slices")
        self.records, self.cfg, self.seed, self.epoch = records, cfg, seed, epoch
        self.augment, self.noise = augment, noise
        draws = epoch_draws(len(records), seed, epoch, steps * batch_size * world)
        ids = []
        for step in range(start_step, steps):
            first = (step * world + rank) * batch_size
            ids.extend(range(first, first + batch_size))
        self.draw_ids = np.asarray(ids, dtype=np.int64)
        self.record_ids = draws[self.draw_ids] if ids else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.draw_ids)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        record = self.records[int(self.record_ids[i])]
        rng = np.random.default_rng([self.seed, self.epoch, int(self.draw_ids[i])])
        assert record.hu is not None
        hu, mask = random_crop(record.hu, record.eval_mask(), self.cfg.crop_px, rng, self.augment)
        if self.noise is not None:  # after the crop's draws: off = the same crops as before
            hu = add_noise(hu, rng, self.noise)
        return sample_tensors(hu, mask, self.cfg)


def sample_tensors(
    hu: np.ndarray, mask: np.ndarray, cfg: ModelConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(generator input, target, mask) tensors for an HU crop and its lesion mask."""
    x = generator_input(hu, mask, cfg.window, mask_channel=cfg.mask_channel)
    y = hu_to_unit(hu, cfg.window)[None]
    m = mask.astype(np.float32)[None]
    return torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(y)), torch.from_numpy(m)


def validation_batches(
    records: list[SliceRecord], cfg: ModelConfig
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Deterministic centred crops of the validation slices (one sample each, batched by 1)."""
    out = []
    for r in records:
        assert r.hu is not None
        hu, mask = center_crop(r.hu, r.eval_mask(), cfg.crop_px)
        x, y, m = sample_tensors(hu, mask, cfg)
        out.append((x[None], y[None], m[None]))
    return out
