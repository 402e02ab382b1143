"""Glue for 3-D authoring: the 3-D actions to the views, the fill controller and the loader.

Loading a lesion bank (a labelled case folder/file of any layout, or a saved ``.npz`` bank)
runs in the background loader; its lesions then appear in the 3-D panel's source list.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore

from liversynth.authoring import Document
from liversynth.lesions.bank import LesionBank
from liversynth_gui.actions_3d import Actions3D
from liversynth_gui.background import BackgroundRunner
from liversynth_gui.binding import Connections
from liversynth_gui.panels.measure import describe_lesion_measures

if TYPE_CHECKING:
    from liversynth_gui.main_window import MainWindow

#: File filter of the "Load lesion bank…" dialog.
BANK_FILTERS = "Lesion bank or labelled case (*.npz *.nii *.nii.gz *.zip);;All files (*)"


def load_bank(path: str | Path) -> LesionBank:
    """A bank from a saved ``.npz`` bank, or from the tumours of a labelled case (any layout)."""
    path = Path(path)
    if path.suffix == ".npz":
        try:
            return LesionBank.load(path)
        except Exception:  # an .npz that is a case (NumPy volume + labels), not a bank
            pass
    return LesionBank.from_cases([path])


class ThreeDCommands(QtCore.QObject):
    """Connects :class:`Actions3D` to the window's views, fill controller and loader."""

    def __init__(self, window: MainWindow, actions: Actions3D, loader: BackgroundRunner) -> None:
        super().__init__(window)
        self.window = window
        self.loader = loader
        self.doc: Document | None = None
        self._conns = Connections()
        w, a = window, actions
        w.views_readout.setWordWrap(True)
        w.views_readout.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        w.views_readout.setStyleSheet("padding: 10px; color: #e8d27a;")
        a.grid_layout.toggled.connect(self._grid)  # the layout is built after the commands
        a.filled_stamp_preview.toggled.connect(w.binding.set_filled_stamp_preview)
        a.cancel_fill.triggered.connect(w.fill.cancel)
        a.load_bank.triggered.connect(self.choose_bank)
        a.load_bank_folder.triggered.connect(self.choose_bank_folder)
        w.actions.show_synthetic.toggled.connect(w.ortho.set_show_synthetic)
        for name, act in (
            ("liver", w.actions.toggle_liver),
            ("tumour", w.actions.toggle_tumour),
            ("lesion", w.actions.toggle_lesion),
        ):
            act.toggled.connect(lambda on, n=name: w.ortho.set_layer_visible(n, on))
        w.binding.sphere_radius_mm = lambda: w.lesion3d.sphere_radius_mm
        w.measure.planes = [w.coronal, w.sagittal]
        w.ortho.crosshairMoved.connect(lambda *_: self.update_readout())

    def _grid(self, on: bool) -> None:
        self.window.views.set_grid(on)
        self.update_readout()

    def bind(self, doc: Document) -> None:
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.history_changed, self.update_readout)
        self.update_readout()

    def update_readout(self) -> None:
        """The fourth cell of the 2×2 layout: crosshair voxel and the lesion's measurements."""
        doc, label = self.doc, self.window.views_readout
        if not self.window.views.is_grid:
            return  # hidden: measured when the 2×2 layout is shown
        if doc is None or doc.case is None:
            label.setText("")
            return
        o = self.window.ortho
        hu = float(doc.case.volume.hu[doc.slice_index, o.row, o.col])
        label.setText(
            f"Crosshair: slice {doc.slice_index + 1}/{doc.n_slices}, row {o.row + 1}, "
            f"col {o.col + 1} · {hu:.0f} HU\n\n{describe_lesion_measures(doc)}"
        )

    def choose_bank(self) -> None:
        """Ask for a bank file or a labelled case file, then load it in the background."""
        from liversynth_gui import dialogs

        path = dialogs.choose_open_file(self.window, "Load lesion bank", BANK_FILTERS)
        if path:
            self.load(path)

    def choose_bank_folder(self) -> None:
        """Ask for a labelled case folder (IRCAD, LiTS, DICOM + masks), then load its lesions."""
        from liversynth_gui import dialogs

        path = dialogs.choose_folder(self.window, "Load the lesions of a case folder")
        if path:
            self.load(path)

    def load(self, path: str | Path) -> None:
        """Load a bank from ``path`` (background) and offer its lesions as stamp sources."""
        self.window.show_status(f"Loading lesions from {Path(path).name}…")
        self.loader.run(lambda: load_bank(path), self._loaded)

    def _loaded(self, bank: object) -> None:
        if self.doc is None or not isinstance(bank, LesionBank):
            return
        self.doc.set_lesion_bank(bank)
        self.window.show_status(f"{len(bank)} lesion(s) ready in the 3-D stamp list")
