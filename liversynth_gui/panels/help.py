"""The "how to" panel (F1): a short guide a clinician can read in one minute."""

from __future__ import annotations

from PySide6 import QtWidgets

HOW_TO_HTML = """
<h3>LiverSynth in six steps</h3>
<ol>
<li><b>Find a slice</b> with liver: mouse wheel, ↑/↓ or PageUp/PageDown, or the slice box.
Ctrl+wheel zooms, middle-drag pans, <b>right-drag</b> sets window (←→ width, ↑↓ level);
presets 1 abdomen · 2 liver · 3 bone.</li>
<li><b>Paint a lesion</b>: brush <b>B</b>, eraser <b>E</b>; size with <b>[ ]</b> or Shift+wheel.
One stroke = one undo step (Ctrl+Z / Ctrl+Y). <i>Fill holes</i> closes gaps; <i>Clear</i> empties
the slice.</li>
<li><b>Or stamp one</b> (<b>S</b>): pick a real lesion of this case or a procedural shape (size in mm),
drag it, turn it with the round handle, scale with the corners, flip; <b>Enter</b> commits,
<b>Esc</b> cancels. An orange warning appears when the stamp leaves the liver.</li>
<li><b>Whiten the real tumour</b> (<b>W</b>): the paper's test — the real lesion is removed and
re-synthesised, so the ground truth is a real tumour.</li>
<li><b>Watch the fill</b>: every edit re-runs the chosen filler (GAN or a classical one) in the
background. The four small views show whitened input · synthetic · ground truth · difference
(±100 HU), zoom and pan together. Metrics (whole slice and inside the lesion) update with each
fill; on a healthy slice they measure change, not fidelity.</li>
<li><b>Save</b>: File ▸ Export for NIfTI volume + labels, PNG slices, the mask alone or de-identified
DICOM (all marked synthetic); File ▸ Save session (Ctrl+S) keeps the work to reopen exactly.
Work is autosaved every 30 s and offered back after a crash.</li>
</ol>
<p>Overlays: <b>L</b> liver · <b>T</b> tumour · <b>M</b> lesion mask (opacity sliders in the
Overlays panel). <b>V</b> shows the synthetic slice in the big view. <b>F</b> fits the image,
<b>P</b> pan tool.</p>
<p><i>Research tool. Synthetic images are not for diagnosis.</i></p>
"""


class HelpPanel(QtWidgets.QTextBrowser):
    """Read-only rich text with the how-to."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setHtml(HOW_TO_HTML)
