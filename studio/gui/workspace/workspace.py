"""The labeling workspace: the canvas, its panels, and the keyboard-first actions.

`LabelingWorkspace` is the widget in the middle of the window (the missing-media bar over
the canvas). It builds the controller, the navigator over the gallery, the side panels (for
the window to dock) and one QAction per shortcut of the registry (for the window to add to
itself and its menus). Everything the user does here ends in one `LabelingController` call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QAbstractItemView, QFileDialog, QMenu, QVBoxLayout, QWidget

from studio.api import HistoryStep, ItemRecord, Project, RelinkReport, StudioError
from studio.core.geometry import encode_mask
from studio.gui.canvas import IMAGE_MISSING, Canvas
from studio.gui.canvas.shapes.base import DEFAULT_OPACITY
from studio.gui.canvas.tools.rotated_box_tool import TURN_STEP_DEGREES, turn_selected
from studio.gui.gallery.model import GalleryModel
from studio.gui.resources import icon
from studio.gui.sam.assistant import BoxMasks, SamAssistant, sam_options
from studio.gui.sam.checkpoint_dialog import SamCheckpointDialog
from studio.gui.task_runner import Progress, TaskRunner, stop_when_cancelled
from studio.gui.workspace.class_panel import ClassPanel
from studio.gui.workspace.class_picker import ClassPicker
from studio.gui.workspace.controller import RELABEL, TAG, LabelingController
from studio.gui.workspace.navigator import ItemNavigator
from studio.gui.workspace.reject_dialog import RejectDialog
from studio.gui.workspace.relink import MissingMediaBar, describe_relink
from studio.gui.workspace.shape_clipboard import ShapeClipboard
from studio.gui.workspace.shape_list import ShapeListPanel
from studio.gui.workspace.shape_menu import shape_menu
from studio.gui.workspace.shape_words import counted_shapes
from studio.gui.workspace.shortcuts import CLASS_SLOTS, ShortcutRegistry, tool_shortcut
from studio.gui.workspace.space_tap import SpaceTapFilter
from studio.gui.workspace.tag_panel import TagPanel
from studio.plugins.manager import StudioPlugins

ZOOM_STEP = 1.25
CROSSHAIR_SETTING = "canvas/crosshair"


class LabelingWorkspace(QWidget):
    message = Signal(str)  # a short note for the status bar
    edited = Signal()  # the project changed through this workspace
    relink_running = Signal(bool)

    def __init__(
        self,
        registry: ShortcutRegistry,
        settings: QSettings,
        gallery: QAbstractItemView,
        gallery_model: GalleryModel,
        parent: QWidget | None = None,
        plugins: StudioPlugins | None = None,
    ) -> None:
        """`plugins`: whose canvas tools to offer (default: the process's plugins)."""
        super().__init__(parent)
        self.setObjectName("workspace")
        self.registry = registry
        self.settings = settings
        self.canvas = Canvas(plugins=plugins)
        self.missing_bar = MissingMediaBar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.missing_bar)
        layout.addWidget(self.canvas, 1)
        self.controller = LabelingController(self.canvas, DEFAULT_OPACITY, self)
        self.space_tap = SpaceTapFilter(self.canvas, registry)
        self.navigator = ItemNavigator(gallery, gallery_model, self)
        self.class_panel = ClassPanel(self.controller)
        self.tag_panel = TagPanel(self.controller)
        self.shape_panel = ShapeListPanel(self.controller)
        self.picker = ClassPicker(self)
        self.picker.chosen.connect(self.controller.choose_class)
        self.clipboard = ShapeClipboard(self.controller, self)
        self.clipboard.message.connect(self.message)
        self.shape_menu: QMenu | None = None  # the last context menu shown on shapes
        self._relink_runner = TaskRunner(self)
        self._relink_runner.finished.connect(self._relink_finished)
        self._relink_runner.failed.connect(self._relink_failed)
        self.labeling_actions: dict[str, QAction] = {}
        self._build_actions()
        self.navigator.item_requested.connect(self.controller.show_item)
        self.navigator.item_requested.connect(self._give_canvas_the_keyboard)
        self.controller.item_changed.connect(self._item_changed)
        self.controller.edited.connect(self.edited)
        self.controller.failed.connect(self.message)
        self.controller.note.connect(self.message)
        self.canvas.context_menu_requested.connect(self.show_shape_menu)
        self.missing_bar.button.clicked.connect(self.choose_relink_folder)
        self.canvas.tool_changed.connect(self._tool_changed)
        self.canvas.message.connect(self.message)
        self.canvas.image_shown.connect(self._image_shown)
        self.sam = SamAssistant(sam_options(settings), self)
        self.sam.set_suggest(self.controller.suggest)
        self.sam.failed.connect(self.message)
        self.sam.encoding.connect(self._sam_encoding)
        self.canvas.set_sam_assistant(self.sam)
        self.canvas.sam_checkpoint_wanted.connect(self.choose_sam_checkpoint)
        self.controller.item_changed.connect(self._encode_ahead)
        self.sam_checkpoint_dialog: SamCheckpointDialog | None = None
        self._box_runner = TaskRunner(self)
        self._box_runner.finished.connect(self._suggest_box_masks)
        self._box_runner.failed.connect(self.message)

    # -- actions -------------------------------------------------------------------------

    def _action(self, name: str, slot: Callable[[], object]) -> QAction:
        action = self.registry.make_action(name, self, slot)
        self.labeling_actions[name] = action
        return action

    def _build_actions(self) -> None:
        self._tool_group = QActionGroup(self)
        for spec in self.canvas.tool_specs:
            self.registry.add(tool_shortcut(spec))
            action = self._action(f"tool_{spec.name}", self._tool_slot(spec.name))
            action.setCheckable(True)
            action.setIcon(icon(spec.icon))
            action.setStatusTip(spec.tip)
            self._tool_group.addAction(action)
        self.labeling_actions[f"tool_{self.canvas.tool()}"].setChecked(True)
        for slot in CLASS_SLOTS:
            self._action(f"class_{slot}", self._class_key_slot(slot))
        slots: dict[str, Callable[[], object]] = {
            "brush_bigger": lambda: self._resize_brush(ZOOM_STEP),
            "brush_smaller": lambda: self._resize_brush(1 / ZOOM_STEP),
            "turn_anticlockwise": lambda: turn_selected(self.canvas, -TURN_STEP_DEGREES),
            "turn_clockwise": lambda: turn_selected(self.canvas, TURN_STEP_DEGREES),
            "class_picker": self.open_class_picker,
            "add_class": self.class_panel.add_class,
            "rename_class": self.class_panel.rename_active,
            "recolor_class": self.class_panel.recolor_active,
            "class_schema": self.class_panel.edit_active_schema,
            "toggle_class_visibility": self.class_panel.toggle_active_visibility,
            "next_image": self.navigator.next,
            "previous_image": self.navigator.previous,
            "next_unlabeled": self.next_unlabeled,
            "mark_done_next": self.mark_done_and_next,
            "mark_done": lambda: self.mark("done"),
            "mark_done_empty": self.mark_done_empty,
            "mark_reviewed": lambda: self.mark("reviewed"),
            "mark_rejected": self.ask_reject_reason,
            "delete_shapes": self.controller.delete_selected,
            "copy_shapes": self.clipboard.copy,
            "paste_shapes": self.clipboard.paste,
            "bring_to_front": lambda: self.controller.restack_selected(to_front=True),
            "send_to_back": lambda: self.controller.restack_selected(to_front=False),
            "crosshair": self._crosshair_toggled,
            "accept_suggestions": self.controller.accept_selected,
            "sam_checkpoint": self.choose_sam_checkpoint,
            "boxes_to_masks": self.boxes_to_masks,
            "reject_suggestions": self.controller.reject_selected,
            "copy_previous": self.copy_previous,
            "fit": self.canvas.fit,
            "actual_size": self.canvas.actual_size,
            "zoom_in": lambda: self.canvas.zoom_by(ZOOM_STEP),
            "zoom_out": lambda: self.canvas.zoom_by(1 / ZOOM_STEP),
            "relink": self.choose_relink_folder,
        }
        for name, slot_function in slots.items():
            self._action(name, slot_function)
        crosshair = self.labeling_actions["crosshair"]
        crosshair.setCheckable(True)
        crosshair.setChecked(self.settings.value(CROSSHAIR_SETTING, False, type=bool))
        self.canvas.set_crosshair(crosshair.isChecked())
        for text, name in (("Add…", "add_class"), ("Rename…", "rename_class")):
            self.class_panel.add_button(text, self.labeling_actions[name])
        self.class_panel.add_button("Colour…", self.labeling_actions["recolor_class"])
        for name in ("rename_class", "recolor_class", "class_schema"):
            self.class_panel.view.addAction(self.labeling_actions[name])  # its context menu

    def _tool_slot(self, tool: str) -> Callable[[], None]:
        return lambda: self.set_tool(tool)

    def _class_key_slot(self, key: str) -> Callable[[], None]:
        return lambda: self.controller.press_class_key(key)

    # -- the project ---------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        """Show `project`, starting on its first image (the gallery must show it already)."""
        self.navigator.forget()
        self.sam.set_project(project)
        self.controller.set_project(project)
        if project is not None:
            self.navigator.open_row(0, select=False)  # ready for the first key press

    def reload(self) -> None:
        """Show the project's current state (after an external change, undo or relink)."""
        self.controller.reload()

    def follow(self, step: HistoryStep) -> None:
        """After an undo or redo: show an item it touched, unless it touched the shown one."""
        shown = self.controller.item
        if shown is not None and shown.id in step.item_ids:
            return
        model = self.navigator.model
        for item_id in step.item_ids:
            if model.row_of(item_id) is not None:
                self.navigator.open_item(item_id)
                return

    def _give_canvas_the_keyboard(self, item_id: int | None) -> None:
        """An image opened: the labeling keys go to it, never to the field the user was in
        (typing N V in the gallery's file-name filter would filter the gallery to nothing)."""
        if item_id is not None:
            self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def _item_changed(self, item: ItemRecord | None) -> None:
        if item is None and self.navigator.item_id is not None:
            self.navigator.forget()
        path = self.controller.media_path()
        self.missing_bar.show_missing(path if path is not None and not path.is_file() else None)

    # -- tools ---------------------------------------------------------------------------

    def tool_actions(self) -> list[QAction]:
        """One checkable action per canvas tool, in the registry's order (toolbar, menu)."""
        return [self.labeling_actions[f"tool_{name}"] for name in self.canvas.tool_names()]

    def set_tool(self, tool: str) -> None:
        self.canvas.set_tool(tool)
        self.labeling_actions[f"tool_{tool}"].setChecked(True)

    def _tool_changed(self, tool: str) -> None:
        action = self.labeling_actions.get(f"tool_{tool}")
        if action is not None:
            action.setChecked(True)

    def _resize_brush(self, factor: float) -> None:
        current = self.canvas.brush_size()
        size = round(current * factor)
        if size == current:  # small brushes still grow and shrink by a pixel
            size += 1 if factor > 1 else -1
        self.canvas.set_brush_size(size)
        self.message.emit(f"Brush: {self.canvas.brush_size()} px")

    def _crosshair_toggled(self) -> None:
        shown = self.labeling_actions["crosshair"].isChecked()
        self.settings.setValue(CROSSHAIR_SETTING, shown)
        self.canvas.set_crosshair(shown)
        self.message.emit(f"Crosshair guides {'on' if shown else 'off'} (shown while drawing)")

    def open_class_picker(self) -> None:
        """The class picker, titled with what choosing will do (see `class_choice_target`)."""
        if not self.controller.classes:
            self.message.emit("This project has no classes yet (add one with Ctrl+Shift+N)")
            return
        target = self.controller.class_choice_target()
        if target == RELABEL:
            shapes = counted_shapes(s.kind for s in self.controller.selected_shapes())
            title = f"Class of the selected {shapes}"
        elif target == TAG:
            title = "Tag the image with"
        else:
            title = "Drawing class (of the next shape)"
        self.picker.open_for(self.controller.classes, title, self.canvas)

    def show_shape_menu(self, where: QPoint) -> None:
        """The context menu of the selected shapes, at a global position."""
        if not self.controller.selected_shapes():
            return
        if self.shape_menu is not None:
            self.shape_menu.deleteLater()
        self.shape_menu = shape_menu(self.controller, self.labeling_actions, self)
        self.shape_menu.popup(where)

    # -- review --------------------------------------------------------------------------

    def mark(self, status: str) -> bool:
        item = self.controller.item
        if item is None:
            self.message.emit("Open an image first (double-click or Enter in the gallery)")
            return False
        return self.controller.set_status(status)

    def mark_done_and_next(self) -> None:
        if self.mark("done"):
            self.navigator.next()

    def mark_done_empty(self) -> None:
        shapes = len(self.controller.shapes)
        if shapes:
            self.message.emit(
                f"This image has {shapes} shape{'s' if shapes != 1 else ''}: delete them "
                "before marking it done with no objects"
            )
            return
        self.mark("done_empty")

    def ask_reject_reason(self) -> RejectDialog | None:
        item = self.controller.item
        if item is None:
            self.message.emit("Open an image first (double-click or Enter in the gallery)")
            return None
        dialog = RejectDialog(self.settings, Path(item.path).name, self.window())
        dialog.reason_given.connect(lambda reason: self.controller.set_status("rejected", reason))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def next_unlabeled(self) -> None:
        project = self.controller.project
        if project is None:
            return
        if not self.navigator.next_new(set(project.item_ids(status="new"))):
            self.message.emit("No new image left in the gallery")

    def copy_previous(self) -> None:
        source = self.navigator.previous_item_id()
        if self.controller.item is None or source is None:
            self.message.emit("There is no previous image to copy from")
            return
        copied = self.controller.copy_from(source)
        self.message.emit(f"Copied {len(copied)} annotation{'s' if len(copied) != 1 else ''}")

    # -- missing media -------------------------------------------------------------------

    def choose_relink_folder(self) -> None:
        project = self.controller.project
        if project is None or self.relinking:
            return
        start = str(self.settings.value("last_relink_dir", str(project.root)))
        folder = QFileDialog.getExistingDirectory(self, "Folder where the images are now", start)
        if folder:
            self.settings.setValue("last_relink_dir", folder)
            self.relink(Path(folder))

    def relink(self, folder: Path) -> None:
        """Look for the missing files under `folder` on a worker thread."""
        project = self.controller.project
        if project is None or self.relinking:
            return
        self._relink_runner.start(
            lambda progress, cancel: project.relink(
                [folder], progress=stop_when_cancelled(progress, cancel)
            )
        )
        self.relink_running.emit(True)
        self.message.emit(f"Looking for the missing files in {folder}…")

    @property
    def relinking(self) -> bool:
        return self._relink_runner.busy

    # -- SAM -----------------------------------------------------------------------------

    def _encode_ahead(self, item: ItemRecord | None) -> None:
        """Encode the shown image's SAM embedding, then the next ones in the order "next"
        follows (the gallery's, or the uncertainty queue's while it is followed)."""
        model = self.navigator.model
        upcoming: list[ItemRecord] = []
        if item is not None:
            rows = [
                model.row_of(i) for i in self.navigator.upcoming_ids(self.sam.options.look_ahead)
            ]
            records = [model.record(row) for row in rows if row is not None]
            upcoming = [record for record in records if record is not None]
        try:
            self.sam.show_item(item, upcoming)
        except StudioError as error:
            self.message.emit(str(error))

    def _sam_encoding(self, running: bool) -> None:
        self.message.emit("SAM: encoding…" if running else "SAM: images encoded")

    def choose_sam_checkpoint(self) -> None:
        """Show where SAM checkpoints come from, with a button to choose one's file."""
        if self.controller.project is None:
            self.message.emit("Open a project first")
            return
        if self.sam_checkpoint_dialog is None:
            self.sam_checkpoint_dialog = SamCheckpointDialog(self.sam.set_checkpoint, self)
        self.sam_checkpoint_dialog.show()
        self.sam_checkpoint_dialog.raise_()

    def boxes_to_masks(self) -> None:
        """Prompt SAM with each selected box (drawn, imported or suggested) and add the masks
        as pending suggestions of the boxes' classes, one undo step."""
        item = self.controller.item
        selected = set(self.controller.selection)
        boxes = [a for a in self.controller.shapes if a.id in selected and a.kind == "box"]
        if item is None or not boxes:
            self.message.emit("Select boxes to turn them into SAM masks")
            return
        if self.sam.checkpoint() is None:
            self.choose_sam_checkpoint()
            return
        sam = self.sam

        def work(progress: Progress, cancel: threading.Event) -> BoxMasks:
            return BoxMasks(item.id, boxes, sam.box_masks(item, [b.geometry for b in boxes]))

        self._box_runner.start(work)

    def _suggest_box_masks(self, result: BoxMasks) -> None:
        if result.masks is None:
            self.message.emit("SAM: encoding… (try again once the image is encoded)")
            return
        suggestions = [
            {
                "item_id": result.item_id,
                "label": box.label,
                "mask": encode_mask(mask),
                "source": "sam",
                "attributes": {"sam_prompts": {"points": [], "box": list(box.geometry)}},
            }
            for box, mask in zip(result.boxes, result.masks, strict=True)
            if mask.any()
        ]
        if not suggestions:
            self.message.emit("SAM found no mask in the selected boxes")
            return
        self.controller.suggest(suggestions)

    def _relink_finished(self, report: RelinkReport) -> None:
        self.relink_running.emit(False)
        self.reload()
        self._item_changed(self.controller.item)
        self.edited.emit()
        self.message.emit(describe_relink(report))

    def _relink_failed(self, error: str) -> None:
        self.relink_running.emit(False)
        self.message.emit(f"Relink failed: {error}")

    def _image_shown(self, state: str) -> None:
        if state == IMAGE_MISSING:
            self.missing_bar.show_missing(self.controller.media_path())

    def finish_relink(self) -> None:
        """Stop a relink in flight before its project closes (a stopped relink writes
        nothing: it re-points the items in one transaction at its end)."""
        if self.relinking:
            self._relink_runner.shutdown()
            self.relink_running.emit(False)

    def shutdown(self) -> None:
        """Stop every worker (the window is closing)."""
        self.finish_relink()
        self.sam.stop()
        self.canvas.shutdown()
