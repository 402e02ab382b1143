"""Tissue classes of the phantom and their CT numbers (portal venous phase)."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Tissue(IntEnum):
    """Tissue ids painted into the phantom's label-of-tissues volume (uint8)."""

    AIR = 0
    FAT = 1
    SKIN = 2
    MUSCLE = 3
    VISCERAL_FAT = 4
    BOWEL = 5
    GAS = 6
    FLUID = 7
    CORTICAL_BONE = 8
    CANCELLOUS_BONE = 9
    DISC = 10
    CSF = 11
    AORTA = 12
    IVC = 13
    KIDNEY_CORTEX = 14
    KIDNEY_MEDULLA = 15
    RENAL_SINUS = 16
    SPLEEN = 17
    LIVER = 18
    LIVER_VESSEL = 19
    TUMOUR = 20
    STOMACH_WALL = 21
    PANCREAS = 22
    LUNG = 23
    TABLE = 24
    POSTERIOR_ARCH = 25


# (mean HU, texture amplitude HU). The texture is a smooth unit-variance field shared by all
# tissues, so neighbouring organs are not flat; CT noise is added separately.
_PROPERTIES: dict[Tissue, tuple[float, float]] = {
    Tissue.AIR: (-1000.0, 0.0),
    Tissue.FAT: (-105.0, 8.0),
    Tissue.SKIN: (30.0, 5.0),
    Tissue.MUSCLE: (52.0, 6.0),
    Tissue.VISCERAL_FAT: (-95.0, 12.0),
    Tissue.BOWEL: (35.0, 18.0),
    Tissue.GAS: (-950.0, 30.0),
    Tissue.FLUID: (12.0, 3.0),
    Tissue.CORTICAL_BONE: (760.0, 80.0),
    Tissue.CANCELLOUS_BONE: (210.0, 40.0),
    Tissue.DISC: (85.0, 8.0),
    Tissue.CSF: (12.0, 4.0),
    Tissue.AORTA: (185.0, 4.0),
    Tissue.IVC: (135.0, 6.0),
    Tissue.KIDNEY_CORTEX: (165.0, 8.0),
    Tissue.KIDNEY_MEDULLA: (140.0, 8.0),
    Tissue.RENAL_SINUS: (-60.0, 15.0),
    Tissue.SPLEEN: (112.0, 5.0),
    Tissue.LIVER: (112.0, 6.0),
    Tissue.LIVER_VESSEL: (175.0, 5.0),
    Tissue.TUMOUR: (0.0, 0.0),  # per tumour, see tumours.py
    Tissue.STOMACH_WALL: (70.0, 8.0),
    Tissue.PANCREAS: (100.0, 10.0),
    Tissue.LUNG: (-860.0, 25.0),
    Tissue.TABLE: (60.0, 5.0),
    Tissue.POSTERIOR_ARCH: (480.0, 60.0),
}


def lookup_tables() -> tuple[np.ndarray, np.ndarray]:
    """(mean HU, texture amplitude HU) as float32 tables indexed by tissue id."""
    n = max(Tissue) + 1
    base = np.zeros(n, dtype=np.float32)
    amp = np.zeros(n, dtype=np.float32)
    for tissue, (mean_hu, amp_hu) in _PROPERTIES.items():
        base[tissue] = mean_hu
        amp[tissue] = amp_hu
    return base, amp
