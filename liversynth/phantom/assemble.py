"""Assemble the phantom: paint tissues slice by slice, add vessels and tumours, then CT physics."""

from __future__ import annotations

import numpy as np

from liversynth.geometry import centred_affine_lps
from liversynth.phantom import body, organs
from liversynth.phantom.anatomy import Anatomy, draw_anatomy
from liversynth.phantom.geometry import Z_EXTENT_MM, SliceGrid
from liversynth.phantom.grid3d import Grid3D
from liversynth.phantom.texture import ct_noise, partial_volume, smooth_field
from liversynth.phantom.tissues import Tissue, lookup_tables
from liversynth.phantom.tumours import plan_tumours, render_tumour
from liversynth.phantom.vessels import Segment, grow_tree, render_segments
from liversynth.typing import SpacingZYX
from liversynth.volume import LIVER, TUMOUR, Case, Volume

NOISE_SIGMA_HU = 12.0


def _paint_tissues(
    rng: np.random.Generator, anat: Anatomy, shape: tuple[int, int, int], grid3: Grid3D
) -> np.ndarray:
    d, h, w = shape
    vx, vy, vz = grid3.voxel_mm
    loops = smooth_field(rng, shape, (14.0 / vz, 16.0 / vy, 16.0 / vx))
    gas = smooth_field(rng, shape, (8.0 / vz, 10.0 / vy, 10.0 / vx))
    grid = SliceGrid.for_shape(h, w)
    tissue = np.zeros(shape, dtype=np.uint8)
    for z in range(d):
        t = (z + 0.5) / d
        z_mm = t * Z_EXTENT_MM
        ts = tissue[z]
        frame = body.paint_body_wall(ts, grid, t, anat)
        organs.paint_gut(ts, grid, frame, loops[z], gas[z])
        organs.paint_stomach(ts, grid, t, anat)
        organs.paint_pancreas(ts, grid, t, anat)
        organs.paint_liver(ts, grid, t, anat, frame)
        organs.paint_spleen(ts, grid, t, anat, frame)
        organs.paint_kidneys(ts, grid, t, anat)
        organs.paint_great_vessels(ts, grid, t, anat)
        body.paint_back(ts, grid, t, z_mm, anat)
        body.paint_lung_bases(ts, grid, t, frame, anat)
    return tissue


def _vessel_trees(rng: np.random.Generator, anat: Anatomy) -> list[Segment]:
    """Portal veins from the hilum (right and left trunks) and hepatic veins from the IVC."""
    cx, cy = anat.liver_center
    hilum = (cx + 38, cy + 8, 0.5 * Z_EXTENT_MM)
    segments = grow_tree(
        rng, hilum, (-1.0, -0.1, 0.25), length_mm=30, radius_mm=6.5, depth=5, spread_rad=0.75
    )
    segments += grow_tree(
        rng, hilum, (1.0, -0.9, 0.35), length_mm=26, radius_mm=5.0, depth=4, spread_rad=0.7
    )
    ix, iy = anat.ivc_center
    top = (ix, iy - 6, 0.98 * Z_EXTENT_MM)
    for direction in ((-1.0, -0.2, -0.45), (-0.3, -1.0, -0.45), (0.7, -1.0, -0.35)):
        segments += grow_tree(
            rng, top, direction, length_mm=36, radius_mm=5.0, depth=4, spread_rad=0.55
        )
    return segments


def make_phantom(
    seed: int = 0,
    shape: tuple[int, int, int] = (48, 256, 256),
    spacing_mm: SpacingZYX = (2.5, 1.5, 1.5),
) -> Case:
    """A deterministic synthetic abdominal CT (portal venous phase) with liver and tumour labels.

    The anatomy always fills the field of view whatever ``shape`` (it is laid out in a nominal
    384 × 384 × 120 mm frame); ``spacing_mm`` is only recorded in the volume. The default shape
    matches the nominal frame exactly. Orientation follows :class:`liversynth.volume.Volume`:
    row 0 anterior, column 0 the patient's right (the liver is on the image's left), z feet → head.
    Its patient position is centred on the LPS origin (:func:`liversynth.geometry.centred_affine_lps`).

    Args:
        seed: the same seed always gives identical arrays; different seeds give different
            anatomy, vessels and tumours.
        shape: ``(z, y, x)`` voxels (each ≥ 8; in-plane ≥ 64 for recognisable anatomy).
        spacing_mm: ``(z, y, x)`` voxel size recorded in the volume.

    Returns:
        a :class:`Case` named ``phantom-<seed>``; ``hu`` int16, labels uint8 0/1/2 (tumours only
        inside the liver); ``volume.metadata["tumours"]`` lists the planned tumours.
    """
    if len(shape) != 3 or min(shape) < 8:
        raise ValueError(f"phantom shape must be three sizes ≥ 8, got {shape}")
    shape = (int(shape[0]), int(shape[1]), int(shape[2]))
    rng = np.random.default_rng(seed)
    anat = draw_anatomy(rng)
    grid3 = Grid3D(shape)
    tissue = _paint_tissues(rng, anat, shape, grid3)

    vessels = render_segments(_vessel_trees(rng, anat), grid3)
    tissue[vessels & (tissue == Tissue.LIVER)] = Tissue.LIVER_VESSEL
    liver = (tissue == Tissue.LIVER) | (tissue == Tissue.LIVER_VESSEL)

    rendered = [
        r
        for t in plan_tumours(rng, liver, grid3)
        if (r := render_tumour(rng, t, grid3)) is not None
    ]
    base, amp = lookup_tables()
    vx, vy, vz = grid3.voxel_mm
    texture = smooth_field(rng, shape, (4.0 / vz, 5.0 / vy, 5.0 / vx))
    hu = base[tissue]
    hu += amp[tissue] * texture
    del texture
    labels = liver.astype(np.uint8) * np.uint8(LIVER)
    for r in rendered:
        voxels = r.inside & liver[r.box]
        hu[r.box][voxels] = r.hu[voxels]
        labels[r.box][voxels] = TUMOUR
    del tissue, liver

    hu = partial_volume(hu, (0.35, 0.6, 0.6))
    hu += ct_noise(rng, shape, NOISE_SIGMA_HU)
    np.rint(hu, out=hu)
    np.clip(hu, -1024, 3071, out=hu)
    metadata = {
        "modality": "CT",
        "phantom": True,
        "seed": int(seed),
        "tumours": [
            {
                "kind": r.tumour.kind,
                "mean_hu": round(r.tumour.mean_hu, 1),
                "center_zyx": [int(round(v)) for v in grid3.to_index(np.array(r.tumour.center_mm))],
                "radii_mm": [round(v, 1) for v in r.tumour.radii_mm],
            }
            for r in rendered
        ],
    }
    volume = Volume(
        hu.astype(np.int16),
        (float(spacing_mm[0]), float(spacing_mm[1]), float(spacing_mm[2])),
        source=f"phantom seed={seed}",
        metadata=metadata,
        affine_lps=centred_affine_lps(shape, spacing_mm),
    )
    return Case(name=f"phantom-{seed}", volume=volume, labels=labels)
