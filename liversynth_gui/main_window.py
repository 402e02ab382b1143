"""The main window: assembles views, panels and commands; holds no image logic.

Layout: tools on the left, the large authoring view in the centre with the slice slider under
it, the four linked comparison panes and the metrics on the right, help (F1) on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from liversynth.authoring import Document
from liversynth_gui.actions import build_actions, build_menus
from liversynth_gui.actions_3d import add_3d_menus, build_3d_actions
from liversynth_gui.background import BackgroundRunner
from liversynth_gui.edit_commands import EditCommands
from liversynth_gui.export_commands import ExportCommands
from liversynth_gui.file_commands import FileCommands
from liversynth_gui.fill_controller import DEBOUNCE_MS, FillController
from liversynth_gui.panels.common import group
from liversynth_gui.panels.filler import FillerPanel
from liversynth_gui.panels.help import HelpPanel
from liversynth_gui.panels.lesion3d import Lesion3DPanel
from liversynth_gui.panels.measure import MeasurePanel
from liversynth_gui.panels.metrics import MetricsPanel
from liversynth_gui.panels.overlays import OverlaysPanel
from liversynth_gui.panels.slice_nav import SliceNavigator
from liversynth_gui.panels.stamp import StampPanel
from liversynth_gui.panels.tools import ToolsPanel
from liversynth_gui.panels.window_level import WindowLevelPanel
from liversynth_gui.status import StatusLine
from liversynth_gui.teaching.teach_menu import TeachMenu
from liversynth_gui.three_d import ThreeDCommands
from liversynth_gui.viewer.ortho_binding import OrthoBinding
from liversynth_gui.viewer.ortho_views import OrthoLayout, PlaneView
from liversynth_gui.viewer.side_by_side import SideBySideView
from liversynth_gui.viewer.slice_binding import SliceBinding
from liversynth_gui.viewer.slice_view import SliceView
from liversynth_gui.worker import FillWorker

#: Width of the tools column on screens narrower than 1500 px (it scrolls sideways if needed).
SMALL_TOOLS_PX = 300


@dataclass
class WindowOptions:
    """How the window runs (tests use synchronous workers and temporary folders).

    Attributes:
        synchronous: run fills and loads inline instead of in background threads.
        debounce_ms: pause after an edit before a fill is requested.
        autosave_dir: autosave folder (``None``: ``liversynth.authoring.autosave`` default).
        cache_dir: demo phantom cache (``None``: no cache).
        settings: QSettings for recent files (``None``: the application's).
    """

    synchronous: bool = False
    debounce_ms: int = DEBOUNCE_MS
    autosave_dir: Path | None = None
    cache_dir: Path | None = None
    settings: QtCore.QSettings | None = None


class MainWindow(QtWidgets.QMainWindow):
    """LiverSynth's window. ``self.doc`` is the document every panel is bound to."""

    def __init__(self, options: WindowOptions | None = None) -> None:
        super().__init__()
        opts = options or WindowOptions()
        self.setWindowTitle("LiverSynth[*]")
        self.setAcceptDrops(True)
        self.doc = Document()
        self.actions = build_actions(self)
        self.actions3d = build_3d_actions(self)
        self.view = SliceView()
        self.coronal, self.sagittal = PlaneView("coronal"), PlaneView("sagittal")
        self.views_readout = QtWidgets.QLabel()  # the 2×2 layout's fourth cell
        self.side = SideBySideView()
        self.worker = FillWorker(synchronous=opts.synchronous, parent=self)
        self.fill = FillController(self.worker, opts.debounce_ms, self)
        self.loader = BackgroundRunner(synchronous=opts.synchronous, parent=self)
        self.exporter = BackgroundRunner(synchronous=opts.synchronous, parent=self)
        self.binding = SliceBinding(self.view, self.side, self)
        self.ortho = OrthoBinding(self.view, self.coronal, self.sagittal, self)
        a = self.actions
        self.tools = ToolsPanel(a)
        self.stamp = StampPanel(a)
        self.window_level = WindowLevelPanel(a)
        self.overlays = OverlaysPanel(a, self.view)
        self.filler = FillerPanel(a, self.fill)
        self.metrics = MetricsPanel()
        self.slice_nav = SliceNavigator()
        self.help = HelpPanel()
        self.lesion3d = Lesion3DPanel(self.actions3d)
        self.measure = MeasurePanel(self.actions3d, self.view)
        self.edit = EditCommands(a, self.view, self.side, self.fill, self)
        self.files = FileCommands(
            self,
            a,
            self.loader,
            autosave_dir=opts.autosave_dir,
            cache_dir=opts.cache_dir,
            settings=opts.settings,
        )
        self.exports = ExportCommands(self, a, self.exporter)
        self.three_d = ThreeDCommands(self, self.actions3d, self.loader)
        build_menus(self.menuBar(), a, self.files.recent.menu)
        add_3d_menus(self.menuBar(), self.actions3d)
        self.teach = TeachMenu(self)  # Teach menu and File → Open quiz…
        self._layout()
        screen = QtGui.QGuiApplication.primaryScreen()
        available = QtCore.QSize(1600, 1000) if screen is None else screen.availableSize()
        self.fit_screen(available.width(), available.height())
        self.status = StatusLine(self.statusBar())
        self._connect()
        self.set_document(self.doc)

    # -- assembly ------------------------------------------------------------------------------
    def _layout(self) -> None:
        centre = QtWidgets.QWidget()
        box = QtWidgets.QVBoxLayout(centre)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        self.views = OrthoLayout(self.view, self.coronal, self.sagittal, self.views_readout)
        box.addWidget(self.views, 1)
        box.addWidget(self.slice_nav)
        self.setCentralWidget(centre)

        tools = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(tools)
        col.setContentsMargins(6, 6, 6, 6)
        for title, panel in (
            ("Paint", self.tools),
            ("Lesion stamp", self.stamp),
            ("3-D lesion", self.lesion3d),
            ("Window / level", self.window_level),
            ("Overlays", self.overlays),
            ("Filler", self.filler),
        ):
            wrap = QtWidgets.QVBoxLayout()
            wrap.setContentsMargins(2, 2, 2, 2)
            wrap.addWidget(panel)
            col.addWidget(group(title, wrap))
        col.addStretch(1)
        # Lists of long names (real lesions, fillers) must not widen the column on a laptop.
        for combo in tools.findChildren(QtWidgets.QComboBox):
            combo.setSizeAdjustPolicy(
                QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(10)
        for spin in tools.findChildren(QtWidgets.QAbstractSpinBox):
            spin.setMinimumWidth(64)  # below its "120.00 mm" hint; the value stays readable
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(tools)
        scroll.setWidgetResizable(True)
        self.tools_dock = self._dock("Tools", scroll, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tools_dock.setMinimumWidth(360)

        compare = QtWidgets.QWidget()
        right = QtWidgets.QVBoxLayout(compare)
        right.setContentsMargins(4, 4, 4, 4)
        right.addWidget(self.side, 1)
        metrics_box = QtWidgets.QVBoxLayout()
        metrics_box.addWidget(self.metrics)
        right.addWidget(group("Metrics (synthetic vs ground truth)", metrics_box))
        measure_box = QtWidgets.QVBoxLayout()
        measure_box.addWidget(self.measure)
        right.addWidget(group("Lesion measurements", measure_box))
        # On a short screen the metrics scroll below the panes instead of squeezing them.
        compare_scroll = QtWidgets.QScrollArea()
        compare_scroll.setWidget(compare)
        compare_scroll.setWidgetResizable(True)
        compare_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.compare_dock = self._dock(
            "Compare: whitened input · synthetic · truth · difference",
            compare_scroll,
            QtCore.Qt.DockWidgetArea.RightDockWidgetArea,
        )
        compare_scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scrollbar_px = self.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_ScrollBarExtent)
        compare_scroll.setMinimumWidth(compare.minimumSizeHint().width() + scrollbar_px + 4)
        self.help_dock = self._dock(
            "How to (F1)", self.help, QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        )
        # The authoring view gets the most room; the how-to sits under the comparison (F1).
        self.resizeDocks(
            [self.tools_dock, self.compare_dock], [370, 520], QtCore.Qt.Orientation.Horizontal
        )
        self.resizeDocks(
            [self.compare_dock, self.help_dock], [700, 240], QtCore.Qt.Orientation.Vertical
        )

    def fit_screen(self, width_px: int, height_px: int) -> None:
        """Lay the window out for a screen of this size (1366×768 laptops, 1024×700 beamers).

        Below 1500 px the tools column narrows and the how-to (F1) starts hidden; below
        1200 px the tools become a tab beside the comparison, so the image keeps its room.
        The comparison panes never shrink below ``MIN_PANE_PX``: their dock scrolls instead.
        """
        if width_px < 1500 or height_px < 900:
            self.tools_dock.setMinimumWidth(SMALL_TOOLS_PX)
            self.help_dock.hide()
            self.resizeDocks(
                [self.tools_dock, self.compare_dock],
                [SMALL_TOOLS_PX, 1],
                QtCore.Qt.Orientation.Horizontal,
            )
        if width_px < 1200:
            self.tabifyDockWidget(self.compare_dock, self.tools_dock)
            self.compare_dock.raise_()
        self.resize(min(1600, width_px), min(1000, height_px))

    def _dock(
        self, title: str, widget: QtWidgets.QWidget, area: QtCore.Qt.DockWidgetArea
    ) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title.split(":")[0])
        dock.setWidget(widget)
        dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        a = self.actions
        a.quit.triggered.connect(self.close)
        a.help.triggered.connect(self.toggle_help)
        self.binding.hoverText.connect(self.status.hover.setText)
        self.slice_nav.typingDone.connect(self.view.setFocus)
        for source in (self.fill, self.edit):
            source.status.connect(lambda text: self.status.show(text))
        self.fill.error.connect(self._show_error)
        self.edit.reset_side.connect(self.binding.follow_lesion)
        a.show_synthetic.toggled.connect(self.binding.set_show_synthetic)
        self.worker.busy_changed.connect(lambda b: self.status.set_busy(b, "filling…"))
        self.loader.busy_changed.connect(lambda b: self.status.set_busy(b, "loading…"))
        self.exporter.busy_changed.connect(lambda b: self.status.set_busy(b, "exporting…"))

    def _show_error(self, title: str, message: str) -> None:
        from liversynth_gui import dialogs

        dialogs.show_error(self, title, message)

    # -- the document --------------------------------------------------------------------------
    def set_document(self, doc: Document, title: str = "") -> None:
        """Bind every panel to ``doc`` (a reopened session is a new document)."""
        old = self.doc
        if old is not doc:
            old.events.dirty_changed.disconnect(self.setWindowModified)
        self.doc = doc
        for bindable in (
            self.binding,
            self.fill,
            self.tools,
            self.stamp,
            self.window_level,
            self.filler,
            self.metrics,
            self.slice_nav,
            self.edit,
            self.ortho,
            self.lesion3d,
            self.measure,
            self.three_d,
        ):
            bindable.bind(doc)
        self.files.autosaver.doc = doc
        doc.events.dirty_changed.connect(self.setWindowModified)
        self.setWindowModified(doc.dirty)
        if title:
            self.setWindowTitle(f"LiverSynth — {title}[*]")
        self.view.setFocus()

    def capture_view_state(self) -> dict[str, object]:
        """Zoom/pan and overlays, for the session file."""
        from liversynth_gui import view_state

        return view_state.capture(self)

    def restore_view_state(self, state: dict[str, object]) -> None:
        """Apply what :meth:`capture_view_state` saved (a reopened session)."""
        from liversynth_gui import view_state

        view_state.restore(self, state)

    def show_status(self, text: str, timeout_ms: int = 6000) -> None:
        """A transient message in the status bar."""
        self.status.show(text, timeout_ms)

    def toggle_help(self) -> None:
        """Show or hide the how-to panel (F1)."""
        self.help_dock.setVisible(not self.help_dock.isVisible())

    # -- Qt events -----------------------------------------------------------------------------
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self.files.confirm_discard("quit"):
            event.ignore()
            return
        self.fill.timer.stop()
        self.worker.shutdown(3000)
        self.fill.measurer.shutdown(3000)
        self.loader.wait(3000)
        self.exporter.wait(30000)
        self.files.shutdown()
        event.accept()

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files.open_paths(paths)
