"""Two-way binding between the views (authoring + side by side) and the document.

Document events redraw the views; view signals (array indices, steps, drags) become document
calls. Nothing here computes image content beyond composing what is displayed (the whitened
input pane draws the mask as a white, outlined layer, so it shows under any window).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6 import QtCore
from scipy import ndimage

from liversynth.authoring import Document, LesionStamp
from liversynth.windowing import dragged_window
from liversynth_gui.binding import Connections
from liversynth_gui.viewer.side_by_side import SideBySideView
from liversynth_gui.viewer.slice_view import SliceView
from liversynth_gui.viewer.tool import Tool

#: The banner shown while the floating stamp or the mask leaves the liver.
OUTSIDE_LIVER_WARNING = (
    "⚠ {pct:.0f}% of the lesion lies outside the liver ({voxels} voxels, {mm3:.0f} mm³)"
)


class SliceBinding(QtCore.QObject):
    """Keeps a :class:`SliceView` and a :class:`SideBySideView` in step with a document.

    Signals:
        hoverText(str): status-bar description of the pixel under the cursor.
    """

    hoverText = QtCore.Signal(str)

    def __init__(
        self, view: SliceView, side: SideBySideView, parent: QtCore.QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.view, self.side = view, side
        self.doc: Document | None = None
        self._conns = Connections()
        self._tool_before_stamp = Tool.BRUSH
        self._posing = False  # True while the ROI itself is the origin of a pose change
        self.show_synthetic = False  # main view: the last fill instead of the original
        # The comparison panes follow the lesion until the user zooms or pans them.
        self._side_follows_lesion = True
        # The last pixel under the cursor: the read-out follows slice and fill changes
        # even when the mouse does not move (wheel, keys, undo on another slice).
        self._hover_rc: tuple[int, int] | None = None
        #: Draw the floating stamp filled (True) or as an outline, so the live fill shows.
        self.filled_stamp_preview = False
        #: Radius of the 3-D (sphere) brush in mm, ``None`` for the 2-D brush.
        self.sphere_radius_mm: Callable[[], float | None] = lambda: None
        for box in side.boxes.values():
            box.sigRangeChangedManually.connect(self._side_zoomed_by_user)
        view.strokeEvent.connect(self._on_stroke)
        view.sliceStepRequested.connect(self._on_slice_step)
        side.sliceStepRequested.connect(self._on_slice_step)
        view.brushStepRequested.connect(self._on_brush_step)
        view.windowDragged.connect(self._on_window_drag)
        side.windowDragged.connect(self._on_window_drag)
        view.hovered.connect(self._on_hover)
        side.hovered.connect(self._on_pane_hover)
        view.stampPoseChanged.connect(self._on_roi_moved)

    # -- document → views ------------------------------------------------------------------
    def bind(self, doc: Document) -> None:
        """Follow ``doc`` (forgetting any previous document) and redraw everything."""
        self._conns.clear()
        self.doc = doc
        ev = doc.events
        self._conns.listen(ev.volume_changed, self.refresh)
        self._conns.listen(ev.slice_changed, lambda _z: self._slice_changed())
        self._conns.listen(ev.window_changed, lambda _w: self._levels_changed())
        self._conns.listen(ev.mask_changed, self._mask_changed)
        self._conns.listen(ev.history_changed, self._mask_settled)
        self._conns.listen(ev.stamp_changed, self._stamp_changed)
        self._conns.listen(ev.fill_changed, self._fill_changed)
        self._conns.listen(ev.brush_changed, self.view.set_brush_radius)
        self.view.set_brush_radius(doc.brush_radius_px)
        self.refresh()

    def refresh(self) -> None:
        """Redraw slice, overlays, stamp and side-by-side panes from the document."""
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        self._show_main_image()
        self.view.layers["liver"].set_mask(doc.liver_mask())
        self.view.layers["tumour"].set_mask(doc.tumour_mask())
        self.view.layers["lesion"].set_mask(doc.mask)
        self._stamp_changed(doc.stamp)
        self._side_changed()

    def set_show_synthetic(self, on: bool) -> None:
        """Show the synthetic slice (when there is a fill for this slice) in the main view."""
        self.show_synthetic = bool(on)
        if self.doc is not None and self.doc.has_case:
            self._show_main_image()

    def _show_main_image(self) -> None:
        doc = self.doc
        assert doc is not None
        synthetic = shown_slice_fill(doc)
        image = synthetic if self.show_synthetic and synthetic is not None else doc.slice_hu()
        self.view.set_image(image, self._levels())
        self._update_info()

    def _fill_changed(self) -> None:
        if self.show_synthetic:
            self._show_main_image()
        self._side_changed()
        self._refresh_hover()

    def _slice_changed(self) -> None:
        self._side_follows_lesion = True
        self.refresh()
        self._refresh_hover()

    def _refresh_hover(self) -> None:
        if self._hover_rc is not None:
            self._on_hover(*self._hover_rc)

    def _side_zoomed_by_user(self, *_args: object) -> None:
        self._side_follows_lesion = False

    def follow_lesion(self) -> None:
        """Zoom the comparison panes onto the lesion again (the "Fit" action resets this)."""
        self._side_follows_lesion = True
        self._zoom_side_to_lesion()

    def _zoom_side_to_lesion(self) -> None:
        doc = self.doc
        if doc is None or not doc.has_case or not self._side_follows_lesion:
            return
        lesion = shown_lesion(doc)
        rows = np.flatnonzero(lesion.any(axis=1))
        if rows.size == 0:
            self.side.reset_zoom()
            return
        cols = np.flatnonzero(lesion.any(axis=0))
        centre = ((rows[0] + rows[-1] + 1) / 2.0, (cols[0] + cols[-1] + 1) / 2.0)
        extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
        # The lesion fills about half the pane: enough surrounding liver to judge the blend.
        self.side.zoom_to(centre, max(extent, 24.0))

    def _levels(self) -> tuple[float, float]:
        assert self.doc is not None
        return self.doc.window.low, self.doc.window.high

    def _update_info(self) -> None:
        doc = self.doc
        assert doc is not None and doc.case is not None
        z = doc.slice_index
        w = doc.window
        z_mm = slice_z_lps_mm(doc)
        synthetic = self.show_synthetic and shown_slice_fill(doc) is not None
        shown = "SYNTHETIC" if synthetic else "original"
        # Three short lines: the bottom-centre "P" letter stays clear.
        self.view.set_info(
            f"{doc.case.name}\nslice {z + 1}/{doc.n_slices} · z {z_mm:.1f} mm · {shown}\n"
            f"W {w.width_hu:.0f}  L {w.center_hu:.0f}"
        )

    def _levels_changed(self) -> None:
        """A new window (often many per second while dragging): relevel only."""
        self._update_info()
        levels = self._levels()
        self.view.set_levels(levels)
        self.side.set_levels(levels)

    def _mask_changed(self, z: int) -> None:
        assert self.doc is not None
        if z == self.doc.slice_index:
            self.view.layers["lesion"].set_mask(self.doc.mask)
            if not self.doc.stroke_active:  # while the hand moves, only the mask is redrawn
                self._mask_settled()

    def _mask_settled(self) -> None:
        """A step finished (stroke end, undo...): overlay, warning and panes catch up.

        The overlay is redrawn from the document here too, not only on ``mask_changed``: every
        history step ends in this event, so the main view can never keep an undone stroke.
        """
        doc = self.doc
        if doc is not None and doc.has_case:
            self.view.layers["lesion"].set_mask(doc.mask)
        # And the screen is repainted whole, not only the items Qt thinks changed: its minimal
        # viewport update was shown to leave ghosts (a crosshair line, a brush circle) in this
        # view (tests/gui/test_stale_paint.py). One full repaint per step, never per hover.
        self.view.viewport().update()
        self._update_warning()
        self._side_changed()

    def _side_changed(self) -> None:
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        truth = doc.slice_hu()
        self.side.set_slices(
            input_mask=shown_lesion(doc),
            truth_hu=truth,
            synthetic_hu=shown_slice_fill(doc),
            levels_hu=self._levels(),
        )
        self._zoom_side_to_lesion()

    def _stamp_changed(self, stamp: LesionStamp | None) -> None:
        doc = self.doc
        assert doc is not None
        if stamp is None:
            self.view.hide_stamp_roi()
            if self.view.tool == Tool.STAMP:
                self.view.set_tool(self._tool_before_stamp)
        else:
            if self.view.tool != Tool.STAMP:
                self._tool_before_stamp = self.view.tool
                self.view.set_tool(Tool.STAMP)
            if not self._posing:
                p = stamp.pose
                rows, cols = stamp.source.shape
                self.view.show_stamp_roi(
                    p.centre_rc, (rows * p.scale_y, cols * p.scale_x), -p.angle_deg
                )
            drawn = doc.stamp_slice_mask()
            if drawn is not None and not self.filled_stamp_preview:
                drawn = drawn & ~ndimage.binary_erosion(drawn, iterations=1)
            self.view.stamp_preview.set_mask(drawn)
            # The panes stay on the floating stamp, so its live fill is visible while it moves.
            self._zoom_side_to_lesion()
        self._update_warning()

    def set_filled_stamp_preview(self, on: bool) -> None:
        """Tint the whole stamp (``True``) or only its outline (the default)."""
        self.filled_stamp_preview = bool(on)
        if self.doc is not None and self.doc.has_case:
            self._stamp_changed(self.doc.stamp)

    def _update_warning(self) -> None:
        doc = self.doc
        assert doc is not None
        outside = doc.lesion_outside_liver(include_stamp=True)
        text = ""
        if outside is not None and outside[0] > 0:
            voxels, mm3, total = outside
            text = OUTSIDE_LIVER_WARNING.format(
                pct=max(voxels / total * 100.0, 1.0), voxels=voxels, mm3=mm3
            )
        self.view.set_banner(text)

    # -- views → document -------------------------------------------------------------------
    def _on_stroke(self, phase: str, row: int, col: int) -> None:
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        radius_mm = self.sphere_radius_mm()
        if radius_mm is not None:
            if phase == "start":  # the 3-D brush: one ball per click, one undo step each
                doc.paint_sphere(row, col, radius_mm, erase=self.view.tool == Tool.ERASER)
            return
        if phase == "start":
            doc.begin_stroke("erase" if self.view.tool == Tool.ERASER else "paint")
            doc.stroke_to(row, col)
        elif phase == "move" and doc.stroke_active:
            doc.stroke_to(row, col)
        elif phase == "finish":
            doc.end_stroke()

    def _on_slice_step(self, steps: int) -> None:
        if self.doc is not None and self.doc.has_case:
            self.doc.set_slice(self.doc.slice_index + steps)

    def _on_brush_step(self, steps: int) -> None:
        if self.doc is not None:
            self.doc.brush_radius_px = self.doc.brush_radius_px + steps

    def _on_window_drag(self, dx_px: float, dy_px: float) -> None:
        if self.doc is not None:
            self.doc.set_window(dragged_window(self.doc.window, dx_px, dy_px))

    def _on_roi_moved(self) -> None:
        doc, roi = self.doc, self.view.stamp_roi
        if doc is None or roi is None or doc.stamp is None:
            return
        centre_rc, (rows, cols), angle = roi.pose()
        src_rows, src_cols = doc.stamp.source.shape
        self._posing = True
        try:
            doc.update_stamp_pose(
                centre_rc=centre_rc,
                angle_deg=-angle,  # the ROI turns clockwise on screen for positive angles
                scale_x=max(cols / src_cols, 1e-3),
                scale_y=max(rows / src_rows, 1e-3),
            )
        finally:
            self._posing = False

    def _on_pane_hover(self, row: int, col: int) -> None:
        doc = self.doc
        if doc is not None and doc.has_case:
            self.hoverText.emit(describe_pane_pixel(doc, row, col))

    def _on_hover(self, row: int, col: int) -> None:
        doc = self.doc
        self._hover_rc = (row, col)
        if doc is None or not doc.has_case:
            return
        self.hoverText.emit(describe_pixel(doc, row, col))


def describe_pane_pixel(doc: Document, row: int, col: int) -> str:
    """Status-bar text for pixel (row, col) of the comparison panes: truth, synthetic and
    their difference in HU."""
    rows, cols = doc.slice_shape
    if not (0 <= row < rows and 0 <= col < cols):
        return f"slice {doc.slice_index + 1}/{doc.n_slices}"
    assert doc.case is not None
    truth = float(doc.case.volume.hu[doc.slice_index, row, col])
    text = f"truth HU {truth:6.0f}"
    synthetic = shown_slice_fill(doc)
    if synthetic is not None:
        value = float(synthetic[row, col])
        text += f"   synthetic HU {value:6.0f}   difference {value - truth:+6.0f} HU"
    return f"{text}   row {row:3d}  col {col:3d}  slice {doc.slice_index + 1}/{doc.n_slices}"


def slice_z_lps_mm(doc: Document) -> float:
    """LPS z (mm, patient feet → head) of the shown slice's centre: the table position a
    scanner console and PACS show for it."""
    assert doc.case is not None
    rows, cols = doc.slice_shape
    return doc.case.volume.index_to_lps_mm(doc.slice_index, (rows - 1) / 2, (cols - 1) / 2)[2]


def shown_lesion(doc: Document) -> np.ndarray:
    """The shown slice's lesion: the mask plus the floating stamp's cross-section."""
    drawn = doc.stamp_slice_mask()
    return doc.mask if drawn is None else doc.mask | drawn


def shown_slice_fill(doc: Document) -> np.ndarray | None:
    """The last fill (HU) when it belongs to the shown slice, else ``None``."""
    return doc.last_fill if doc.last_fill_z == doc.slice_index else None


def describe_pixel(doc: Document, row: int, col: int) -> str:
    """Status-bar text for pixel (row, col) of the shown slice: HU, indices and the patient
    position in DICOM LPS millimetres (``Volume.index_to_lps_mm``)."""
    rows, cols = doc.slice_shape
    z = doc.slice_index
    if not (0 <= row < rows and 0 <= col < cols):
        return f"slice {z + 1}/{doc.n_slices}"
    assert doc.case is not None
    vol = doc.case.volume
    hu = float(vol.hu[z, row, col])
    # The scanner's patient coordinates (DICOM LPS), as PACS, 3D Slicer (which shows RAS:
    # x and y negated) and ITK-SNAP give them for the same voxel.
    x_mm, y_mm, z_mm = vol.index_to_lps_mm(z, row, col)
    text = (
        f"HU {hu:6.0f}   row {row:3d}  col {col:3d}  slice {z + 1}/{doc.n_slices}"
        f"   LPS ({x_mm:6.1f}, {y_mm:6.1f}, {z_mm:6.1f}) mm"
    )
    synthetic = shown_slice_fill(doc)
    if synthetic is not None and bool(doc.mask[row, col]):
        text += f"   synthetic HU {float(synthetic[row, col]):6.0f}"
    labels = doc.case.labels
    if labels is not None:
        text += ("   background", "   liver", "   tumour")[min(int(labels[z, row, col]), 2)]
    return text
