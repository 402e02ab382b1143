"""``python -m model_training segbench``: does synthetic data make a tumour segmenter better?

Trains the same small 2-D U-Net (MONAI) under three arms (real only, real + synthetic,
synthetic only) with the same budget, augmentation and seeds, and reports tumour Dice and
lesion-wise detection on held-out cases. Modules: :mod:`.config` (presets, command line),
:mod:`.cases` (liver-centred crops), :mod:`.split` (patient / lesion split, leak checks),
:mod:`.synthetic` (synthetic pools), :mod:`.training` (model and loop), :mod:`.metrics`,
:mod:`.report`, :mod:`.command` (the orchestration).
"""
