"""Edit and view actions → document / view calls, and their enabled states.

Undo/redo show what they will undo ("Undo paint"); whiten is offered only where the slice has
a real tumour; the tool actions follow the view's tool (the stamp takes over while it floats).
"""

from __future__ import annotations

from PySide6 import QtCore

from liversynth.authoring import Document
from liversynth_gui.actions import AppActions
from liversynth_gui.binding import Connections
from liversynth_gui.fill_controller import FillController
from liversynth_gui.viewer.side_by_side import SideBySideView
from liversynth_gui.viewer.slice_view import SliceView
from liversynth_gui.viewer.tool import Tool


class EditCommands(QtCore.QObject):
    """Connects the edit/view actions to the current document and the views.

    Signals:
        status(str): a message for the status bar.
        reset_side(): "Fit" was asked; the comparison panes should follow the lesion again.
    """

    status = QtCore.Signal(str)
    reset_side = QtCore.Signal()

    def __init__(
        self,
        actions: AppActions,
        view: SliceView,
        side: SideBySideView,
        fill: FillController,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.a, self.view, self.side = actions, view, side
        self.doc: Document | None = None
        self._conns = Connections()
        a = actions
        a.undo.triggered.connect(lambda: self._call("undo"))
        a.redo.triggered.connect(lambda: self._call("redo"))
        a.fill_holes.triggered.connect(lambda: self._call("fill_holes"))
        a.clear_mask.triggered.connect(lambda: self._call("clear_mask"))
        a.whiten_tumour.triggered.connect(self.whiten)
        a.brush_smaller.triggered.connect(lambda: self._brush(-1))
        a.brush_bigger.triggered.connect(lambda: self._brush(+1))
        a.tool_pan.triggered.connect(lambda: view.set_tool(Tool.PAN))
        a.tool_brush.triggered.connect(lambda: view.set_tool(Tool.BRUSH))
        a.tool_eraser.triggered.connect(lambda: view.set_tool(Tool.ERASER))
        a.reset_zoom.triggered.connect(self.reset_zoom)
        a.fill_now.triggered.connect(fill.fill_now)
        view.toolChanged.connect(self._tool_changed)

    def bind(self, doc: Document) -> None:
        """Follow ``doc``."""
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.history_changed, self._history)
        self._conns.listen(doc.events.volume_changed, self._refresh)
        self._conns.listen(doc.events.slice_changed, lambda _z: self._refresh())
        self._conns.listen(doc.events.mask_changed, lambda _z: self._refresh())
        self._refresh()

    def _call(self, method: str) -> None:
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        label = {"undo": doc.history.undo_label, "redo": doc.history.redo_label}.get(method, "")
        if getattr(doc, method)():
            what = method.replace("_", " ")
            self.status.emit(f"{what.capitalize()} {label}".strip())

    def whiten(self) -> None:
        """Make the real tumour of the shown slice the lesion mask (the paper's test)."""
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        if doc.whiten_real_tumour():
            self.status.emit("Real tumour whitened: the fill is compared with the real lesion")
        else:
            self.status.emit("No real tumour on this slice (or no labels): nothing to whiten")

    def _brush(self, step: int) -> None:
        if self.doc is not None:
            self.doc.brush_radius_px = self.doc.brush_radius_px + step

    def reset_zoom(self) -> None:
        """Fit the slice in the authoring view; the comparison panes follow the lesion again."""
        self.view.reset_zoom()
        self.side.reset_zoom()
        self.reset_side.emit()

    def _tool_changed(self, tool: Tool) -> None:
        action = {
            Tool.PAN: self.a.tool_pan,
            Tool.BRUSH: self.a.tool_brush,
            Tool.ERASER: self.a.tool_eraser,
        }.get(tool)
        if action is not None:
            action.setChecked(True)

    def _history(self) -> None:
        doc = self.doc
        assert doc is not None
        self.a.undo.setEnabled(doc.can_undo)
        self.a.redo.setEnabled(doc.can_redo)
        self.a.undo.setText(f"&Undo {doc.history.undo_label}".strip())
        self.a.redo.setText(f"&Redo {doc.history.redo_label}".strip())

    def _refresh(self) -> None:
        doc = self.doc
        assert doc is not None
        has = doc.has_case
        tumour = doc.tumour_mask() if has else None
        self.a.whiten_tumour.setEnabled(tumour is not None and bool(tumour.any()))
        for act in (self.a.fill_holes, self.a.clear_mask, self.a.new_stamp):
            act.setEnabled(has)
        self.a.clear_mask.setEnabled(has and bool(doc.mask.any()))
        self._history()
