"""The synthetic pools: read from a ``synthesize`` output, or made on the fly.

On the fly, items come from :func:`model_training.synthesis.item.make_item` (the code behind
``synthesize``) with a filler from the registry (:func:`liversynth.fillers.registry.make_filler`),
a lesion bank cut from the *training* lesions only, and an appearance drawn per item from the
given ranges (passed to engines that honour it, recorded for all).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from liversynth.errors import LiverSynthError, LoadError
from liversynth.export.pseudonym import Pseudonymizer
from liversynth.fillers.base import Appearance
from liversynth.lesions.bank import LesionBank, extract_lesions
from liversynth.volume import Case
from model_training.segbench.cases import CaseData, SlicePool, _window, crop_slice, liver_centre_yx

#: What ``synthesize`` writes instead of a case name (see liversynth.export.pseudonym).
_PSEUDONYM = re.compile(r"case-[0-9a-f]{10}")


def training_bank(cases: list[Case], allowed_ids: list[str]) -> LesionBank:
    """Lesion bank of the training lesions only (``case#component`` in ``allowed_ids``)."""
    allowed = set(allowed_ids)
    lesions = [les for c in cases for les in extract_lesions(c) if les.lesion_id in allowed]
    return LesionBank(lesions)


class AppearanceFiller:
    """Wraps a filler: each item gets an :class:`Appearance` drawn from ranges by its seed."""

    def __init__(
        self,
        inner: Any,
        contrast_hu: tuple[float, float],
        heterogeneity: tuple[float, float],
        *,
        honoured: bool,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.contrast_hu = contrast_hu
        self.heterogeneity = heterogeneity
        self.honoured = honoured

    def appearance(self, seed: int | None) -> Appearance:
        rng = np.random.default_rng([0 if seed is None else seed, 7])
        return Appearance(
            contrast_hu=float(rng.uniform(*self.contrast_hu)),
            heterogeneity=float(rng.uniform(*self.heterogeneity)),
        )

    def describe(self, seed: int | None) -> dict[str, Any]:
        return {"appearance": self.appearance(seed).to_dict(), "appearance_honoured": self.honoured}

    def fill(
        self,
        slice_hu: np.ndarray,
        mask: np.ndarray,
        *,
        liver_mask: np.ndarray | None = None,
        seed: int | None = None,
    ) -> np.ndarray:
        kw: dict[str, Any] = {"liver_mask": liver_mask, "seed": seed}
        if self.honoured:
            kw["appearance"] = self.appearance(seed)
        return self.inner.fill(slice_hu, mask, **kw)


def _pool(name: str, images, tumours, livers, sources, pixel_mm: float) -> SlicePool:
    n = len(images)
    if n == 0:
        raise LiverSynthError(f"{name}: no synthetic item could be read or made")
    shape = images[0].shape
    return SlicePool(
        name=name,
        image=np.stack(images).astype(np.float32),
        tumour=np.stack(tumours),
        liver=np.stack(livers),
        ignore=np.zeros((n, *shape), bool),
        lesions=np.stack(tumours).astype(np.int32),
        z=np.zeros(n, np.int64),
        spacing_mm=(0.0, pixel_mm, pixel_mm),
        sources=sources,
    )


def _crop_item(hu2d, labels2d, spacing_yx, centre, pixel_mm, side_px):
    image = _window(
        crop_slice(hu2d.astype(np.float32), centre, spacing_yx, pixel_mm, side_px, labels=False)
    )
    lab = crop_slice(
        labels2d.astype(np.float32), centre, spacing_yx, pixel_mm, side_px, labels=True
    )
    return image, lab == 2, lab >= 1


def generate_pool(
    healthy: list[Case],
    bank: LesionBank,
    *,
    filler_name: str,
    count: int,
    seed: int,
    contrast_hu: tuple[float, float],
    heterogeneity: tuple[float, float],
    pixel_mm: float,
    side_px: int,
    model: str | None = None,
    device: str = "cpu",
) -> tuple[SlicePool, list[dict[str, Any]]]:
    """``count`` single-slice synthetic items (the slice through each lesion's widest part).

    Raises:
        ValueError: an unknown filler, or ``copy_paste`` (needs a donor bank on disk: make the
            items with ``synthesize`` and pass ``--synthetic``).
    """
    from liversynth.fillers.registry import filler_info, make_filler
    from model_training.synthesis.context import build_context
    from model_training.synthesis.item import make_item

    info = filler_info(filler_name)
    if info.needs_bank:
        raise ValueError(
            f"--filler {filler_name} needs a bank file: run `synthesize --filler {filler_name}` "
            "with the training cases as --lesions and pass its folder as --synthetic"
        )
    ctx = build_context(healthy, bank if len(bank) else None, None, margin_mm=3.0, vessel_hu="auto")
    inner = make_filler(filler_name, model_path=model, device=device)
    filler = AppearanceFiller(inner, contrast_hu, heterogeneity, honoured=info.honours_appearance)
    centres = {s.name: liver_centre_yx(s.liver) for s in ctx.scans}
    images, tumours, livers, sources, records = [], [], [], [], []
    for k in range(count):
        item = make_item(ctx, filler, seed, k, volume=False)
        sp = (item.scan.spacing_mm[1], item.scan.spacing_mm[2])
        img, tum, liv = _crop_item(
            item.hu[0], item.labels[0], sp, centres[item.scan.name], pixel_mm, side_px
        )
        images.append(img)
        tumours.append(tum)
        livers.append(liv)
        sources.append(f"{item.scan.name}:z{item.z_range[0]}:item{k}")
        records.append(item.record)
    return _pool(f"synthetic:{filler_name}", images, tumours, livers, sources, pixel_mm), records


def _png_spacing(record: dict[str, Any]) -> tuple[float, float]:
    transform = record.get("transform") or {}
    spacing = transform.get("spacing_mm")
    for op in transform.get("ops", []):
        if op.get("op") == "resample" and op.get("to_spacing_mm"):
            spacing = op["to_spacing_mm"]
    if not spacing:
        raise LoadError(record.get("source_case", "?"), "png item without spacing in its record")
    return float(spacing[1]), float(spacing[2])


def read_pool(folder: Path, *, pixel_mm: float, side_px: int) -> tuple[SlicePool, dict[str, Any]]:
    """Items of a ``synthesize`` output (``png`` or ``nifti`` format) and its manifest.

    Volume items contribute every slice that shows their lesion.

    Raises:
        LoadError: no ``manifest.json`` or an unsupported format.
    """
    from liversynth.export.png import read_png16
    from liversynth.io import load_volume

    path = folder / "manifest.json"
    if not path.is_file():
        raise LoadError(folder, "not a synthesize output (no manifest.json)")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    fmt = manifest.get("format")
    images, tumours, livers, sources = [], [], [], []
    for rec in manifest.get("items", []):
        stem = f"item_{int(rec['index']):05d}"
        if fmt == "png":
            from PIL import Image

            hu = read_png16(folder / f"{stem}.png")
            labels = np.asarray(Image.open(folder / f"{stem}_label.png"))
            planes = [(hu, labels, _png_spacing(rec))]
        elif fmt == "nifti":
            vol = load_volume(folder / f"{stem}.nii.gz")
            lab = np.asarray(load_volume(folder / f"{stem}_label.nii.gz").hu).astype(np.int32)
            sp = (vol.spacing_mm[1], vol.spacing_mm[2])
            zs = np.nonzero((lab == 2).any(axis=(1, 2)))[0]
            planes = [(np.asarray(vol.hu[z]), lab[z], sp) for z in zs]
        else:
            raise LoadError(folder, f"segbench reads png or nifti synthesize outputs, not {fmt!r}")
        for hu2d, lab2d, sp in planes:
            liver = lab2d >= 1
            if not liver.any():
                continue
            ys, xs = np.nonzero(liver)
            centre = ((ys.min() + ys.max()) / 2.0, (xs.min() + xs.max()) / 2.0)
            img, tum, liv = _crop_item(hu2d, lab2d, sp, centre, pixel_mm, side_px)
            images.append(img)
            tumours.append(tum)
            livers.append(liv)
            sources.append(f"{folder.name}/{stem}")
    return _pool(f"synthetic:{folder.name}", images, tumours, livers, sources, pixel_mm), manifest


def synthetic_case_names(
    manifest: dict[str, Any], known_names: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """``(healthy case names, bank lesion ids)`` a synthesize manifest says it used.

    ``synthesize`` writes case names as pseudonyms (``case-<hex>``) unless told to keep them;
    each pseudonym of one of ``known_names`` (this run's cases and patients) is mapped back, so
    the leak check sees a test patient whatever the manifest calls it. That needs the salt the
    manifest was written with (this user's, or ``$LIVERSYNTH_PSEUDONYM_SALT``); a pseudonym
    that maps to no known case is kept as it is and reported on stderr.
    """
    pseudonym = Pseudonymizer()
    back = {pseudonym.name(n): n for n in known_names}

    def real(name: str) -> str:
        if name in back:
            return back[name]
        if _PSEUDONYM.fullmatch(name):
            print(
                f"segbench: warning: {name} in the synthesize manifest matches none of the cases "
                "here; if it was written with another pseudonym salt, the leak check cannot see "
                "it (rerun synthesize with --keep-case-names or the same "
                "LIVERSYNTH_PSEUDONYM_SALT)",
                file=sys.stderr,
            )
        return name

    healthy = [real(str(n)) for n in manifest.get("healthy") or []]
    lesions = []
    for lesion_id in (manifest.get("lesions") or {}).get("lesions") or []:
        case, sep, rest = str(lesion_id).partition("#")
        lesions.append(real(case) + sep + rest)
    return healthy, lesions


def healthy_names(healthy: list[CaseData]) -> list[str]:
    return [c.name for c in healthy] + [c.patient_id for c in healthy]
