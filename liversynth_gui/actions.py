"""Every command of the app as a QAction (text, shortcut, tooltip) and the menus that hold them.

Panels reuse the same actions on their buttons (``QToolButton.setDefaultAction``), so a
shortcut, a menu entry and a button are one thing with one enabled state.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6 import QtGui, QtWidgets

Key = QtGui.QKeySequence


def _action(
    parent: QtWidgets.QWidget,
    text: str,
    shortcuts: list[str] | str | None = None,
    tip: str = "",
    *,
    checkable: bool = False,
) -> QtGui.QAction:
    action = QtGui.QAction(text, parent)
    keys = [shortcuts] if isinstance(shortcuts, str) else list(shortcuts or [])
    if keys:
        action.setShortcuts([Key(k) for k in keys])
    shown = ", ".join(Key(k).toString(Key.SequenceFormat.NativeText) for k in keys)
    label = text.replace("&", "").rstrip("…")
    action.setToolTip(f"{tip or label} ({shown})" if shown else (tip or label))
    action.setStatusTip(tip or label)
    action.setCheckable(checkable)
    # Window-wide: shortcuts work whichever panel has focus.
    parent.addAction(action)
    return action


@dataclass
class AppActions:
    """The app's actions, created by :func:`build_actions`."""

    open_volume: QtGui.QAction
    open_dicom_folder: QtGui.QAction
    open_labels: QtGui.QAction
    open_demo: QtGui.QAction
    open_session: QtGui.QAction
    save_session: QtGui.QAction
    save_session_as: QtGui.QAction
    export_nifti: QtGui.QAction
    export_png: QtGui.QAction
    export_mask: QtGui.QAction
    export_dicom: QtGui.QAction
    quit: QtGui.QAction
    undo: QtGui.QAction
    redo: QtGui.QAction
    fill_holes: QtGui.QAction
    clear_mask: QtGui.QAction
    whiten_tumour: QtGui.QAction
    tool_pan: QtGui.QAction
    tool_brush: QtGui.QAction
    tool_eraser: QtGui.QAction
    new_stamp: QtGui.QAction
    commit_stamp: QtGui.QAction
    cancel_stamp: QtGui.QAction
    brush_smaller: QtGui.QAction
    brush_bigger: QtGui.QAction
    preset_abdomen: QtGui.QAction
    preset_liver: QtGui.QAction
    preset_bone: QtGui.QAction
    toggle_liver: QtGui.QAction
    toggle_tumour: QtGui.QAction
    toggle_lesion: QtGui.QAction
    reset_zoom: QtGui.QAction
    show_synthetic: QtGui.QAction
    fill_now: QtGui.QAction
    choose_model: QtGui.QAction
    help: QtGui.QAction

    def all(self) -> list[QtGui.QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def build_actions(window: QtWidgets.QMainWindow) -> AppActions:
    """Create every action, owned by ``window`` (their shortcuts are window-wide)."""
    w = window
    a = AppActions(
        open_volume=_action(
            w,
            "&Open volume…",
            "Ctrl+O",
            "Open a CT volume (NIfTI, DICOM zip/file, NumPy) or a case folder",
        ),
        open_dicom_folder=_action(
            w, "Open &DICOM folder…", "Ctrl+Shift+O", "Open a folder holding one DICOM series"
        ),
        open_labels=_action(
            w, "Open &labels…", "Ctrl+L", "Load liver/tumour labels for the open volume"
        ),
        open_demo=_action(w, "Open demo &phantom", None, "The built-in synthetic abdomen"),
        open_session=_action(w, "Open &session…", "Ctrl+Alt+O", "Reopen saved authoring work"),
        save_session=_action(w, "&Save session", "Ctrl+S", "Save the authoring work"),
        save_session_as=_action(w, "Save session &as…", "Ctrl+Shift+S"),
        export_nifti=_action(w, "Export synthetic volume + labels (NIfTI)…", "Ctrl+E"),
        export_png=_action(
            w,
            "Export current slices (PNG)…",
            None,
            "Synthetic, original and mask of the shown slice as 16-bit PNG",
        ),
        export_mask=_action(w, "Export lesion mask only (NIfTI)…"),
        export_dicom=_action(w, "Export synthetic series (DICOM, de-identified)…"),
        quit=_action(w, "&Quit", "Ctrl+Q"),
        undo=_action(w, "&Undo", ["Ctrl+Z"], "Undo the last stroke or edit"),
        redo=_action(w, "&Redo", ["Ctrl+Y", "Ctrl+Shift+Z"], "Redo"),
        fill_holes=_action(w, "Fill &holes", "H", "Close holes inside the painted lesion"),
        clear_mask=_action(w, "&Clear slice mask", "Shift+Del", "Erase the lesion on this slice"),
        whiten_tumour=_action(
            w,
            "&Whiten real tumour",
            "W",
            "Use the slice's real tumour as the mask (the paper's test)",
        ),
        tool_pan=_action(w, "&Pan", "P", "Left-drag pans the image", checkable=True),
        tool_brush=_action(w, "&Brush", "B", "Left-drag paints the lesion", checkable=True),
        tool_eraser=_action(w, "&Eraser", "E", "Left-drag erases the lesion", checkable=True),
        new_stamp=_action(w, "Place &stamp", "S", "Float the chosen lesion shape over the slice"),
        commit_stamp=_action(
            w, "Commit stamp", ["Return", "Enter"], "Add the stamp to the lesion mask"
        ),
        cancel_stamp=_action(w, "Cancel stamp", "Esc", "Remove the floating stamp"),
        brush_smaller=_action(w, "Smaller brush", "[", "Brush radius − 1 px (or Shift+wheel)"),
        brush_bigger=_action(w, "Bigger brush", "]", "Brush radius + 1 px (or Shift+wheel)"),
        preset_abdomen=_action(w, "Abdomen", "1", "Abdomen window W400 / L40", checkable=True),
        preset_liver=_action(
            w,
            "Liver",
            "2",
            "Liver window W150, centred on this liver's median HU (L100 without labels)",
            checkable=True,
        ),
        preset_bone=_action(w, "Bone", "3", "Bone window W1800 / L400", checkable=True),
        toggle_liver=_action(w, "Show &liver", "L", "Liver overlay on/off", checkable=True),
        toggle_tumour=_action(w, "Show &tumour", "T", "Tumour overlay on/off", checkable=True),
        toggle_lesion=_action(
            w, "Show lesion &mask", "M", "Lesion mask overlay on/off", checkable=True
        ),
        reset_zoom=_action(w, "&Fit image", "F", "Fit the whole slice in the view"),
        show_synthetic=_action(
            w,
            "Show &synthetic in the main view",
            "V",
            "Show the filled (synthetic) slice instead of the original",
            checkable=True,
        ),
        fill_now=_action(w, "Fill &now", "Ctrl+Return", "Run the filler on the mask now"),
        choose_model=_action(
            w, "Load &model file…", None, "Use another generator checkpoint (*.safetensors)"
        ),
        help=_action(w, "&How to…", "F1", "Show the how-to panel"),
    )
    for toggle in (a.toggle_liver, a.toggle_tumour, a.toggle_lesion):
        toggle.setChecked(True)
    tools = QtGui.QActionGroup(w)
    for tool in (a.tool_pan, a.tool_brush, a.tool_eraser):
        tools.addAction(tool)
    a.tool_brush.setChecked(True)
    presets = QtGui.QActionGroup(w)
    presets.setExclusionPolicy(QtGui.QActionGroup.ExclusionPolicy.ExclusiveOptional)
    for preset in (a.preset_abdomen, a.preset_liver, a.preset_bone):
        presets.addAction(preset)
    return a


def build_menus(menubar: QtWidgets.QMenuBar, a: AppActions, recent_menu: QtWidgets.QMenu) -> None:
    """Fill the menu bar: File, Edit, Lesion, View, Fill, Help."""
    file_menu = menubar.addMenu("&File")
    for act in (a.open_volume, a.open_dicom_folder, a.open_labels, a.open_demo):
        file_menu.addAction(act)
    file_menu.addMenu(recent_menu)
    file_menu.addSeparator()
    for act in (a.open_session, a.save_session, a.save_session_as):
        file_menu.addAction(act)
    file_menu.addSeparator()
    export = file_menu.addMenu("&Export")
    for act in (a.export_nifti, a.export_png, a.export_mask, a.export_dicom):
        export.addAction(act)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)

    edit = menubar.addMenu("&Edit")
    for act in (
        a.undo,
        a.redo,
        None,
        a.tool_pan,
        a.tool_brush,
        a.tool_eraser,
        a.brush_smaller,
        a.brush_bigger,
        None,
        a.fill_holes,
        a.clear_mask,
    ):
        edit.addSeparator() if act is None else edit.addAction(act)

    lesion = menubar.addMenu("&Lesion")
    for act in (a.whiten_tumour, None, a.new_stamp, a.commit_stamp, a.cancel_stamp):
        lesion.addSeparator() if act is None else lesion.addAction(act)

    view = menubar.addMenu("&View")
    for act in (
        a.preset_abdomen,
        a.preset_liver,
        a.preset_bone,
        None,
        a.toggle_liver,
        a.toggle_tumour,
        a.toggle_lesion,
        a.show_synthetic,
        None,
        a.reset_zoom,
    ):
        view.addSeparator() if act is None else view.addAction(act)

    fill = menubar.addMenu("F&ill")
    fill.addAction(a.fill_now)
    fill.addAction(a.choose_model)

    help_menu = menubar.addMenu("&Help")
    help_menu.addAction(a.help)
