"""The labeling controller: canvas gestures become project edits, project state the canvas.

It owns no widget. It reads and writes the project only through `studio.api.Project`, one
call per user action (so every action is one undo step and is committed at once), and
drives the canvas only through the canvas's public methods. Panels and the window listen to
its signals; after each of its own edits it re-reads the shown item from the project, so
what the canvas shows is always what the file holds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, Signal

from studio.api import (
    LABELING_MODE,
    AnnotationRecord,
    HistoryStep,
    ItemRecord,
    LabelClassRecord,
    Project,
    StudioError,
)
from studio.gui.workspace.class_keys import class_for_key
from studio.gui.workspace.shape_words import counted_shapes

TAG_MODES = ("single_label", "multi_label")
# What choosing a class (a digit key, the class picker) does now; see `class_choice_target`.
RELABEL, TAG, DRAWING_CLASS = "relabel", "tag", "drawing class"
Result = TypeVar("Result")


class CanvasPort(Protocol):
    """The canvas methods the controller calls (its signals are connected by name)."""

    def set_image(self, path: Path | None, width: int, height: int) -> None: ...
    def set_annotations(
        self, annotations: list[AnnotationRecord], classes: list[LabelClassRecord]
    ) -> None: ...
    def set_active_class(self, label_class: LabelClassRecord | None) -> None: ...
    def select_annotations(self, ids: list[int]) -> None: ...
    def set_class_visible(self, class_id: int, visible: bool) -> None: ...
    def set_class_opacity(self, class_id: int, opacity: float) -> None: ...
    def tool(self) -> str: ...


class LabelingController(QObject):
    item_changed = Signal(object)  # ItemRecord | None: another item is shown (or none)
    annotations_changed = Signal(list)  # every AnnotationRecord of the shown item
    classes_changed = Signal(list)  # the classes offered for labeling (not archived)
    active_class_changed = Signal(object)  # LabelClassRecord | None
    selection_changed = Signal(list)  # selected annotation ids
    class_view_changed = Signal(int)  # a class's visibility or opacity changed
    mode_changed = Signal(str)  # the project's labeling mode
    edited = Signal()  # this controller committed an edit
    failed = Signal(str)  # an edit was refused; the message says why
    note = Signal(str)  # what an action did, in words ("2 boxes → cat")

    def __init__(
        self, canvas: Any, default_opacity: float = 1.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._default_opacity = default_opacity
        self._canvas: CanvasPort = canvas
        self._project: Project | None = None
        self._item: ItemRecord | None = None
        self._annotations: list[AnnotationRecord] = []
        self._all_classes: list[LabelClassRecord] = []
        self._active_id: int | None = None
        self._selection: list[int] = []
        self._mode = "objects"
        self._hidden: set[int] = set()
        self._opacity: dict[int, float] = {}
        self._loading = False
        canvas.shape_created.connect(self._create_shape)
        canvas.shape_edited.connect(self._edit_shape)
        canvas.delete_requested.connect(self.delete_annotations)
        canvas.selection_changed.connect(self._canvas_selected)

    # -- state -------------------------------------------------------------------------

    @property
    def project(self) -> Project | None:
        return self._project

    @property
    def item(self) -> ItemRecord | None:
        return self._item

    @property
    def annotations(self) -> list[AnnotationRecord]:
        return list(self._annotations)

    @property
    def shapes(self) -> list[AnnotationRecord]:
        return [a for a in self._annotations if a.kind != "tag"]

    @property
    def tag_class_ids(self) -> list[int]:
        """The classes of the image's final tags (a person's, or accepted suggestions)."""
        return [a.class_id for a in self._annotations if a.kind == "tag" and not a.is_pending]

    @property
    def suggested_tags(self) -> list[AnnotationRecord]:
        """The image's pending tag suggestions (a classifier's pre-labels)."""
        return [a for a in self._annotations if a.kind == "tag" and a.is_pending]

    @property
    def classes(self) -> list[LabelClassRecord]:
        """The classes one can label with (archived ones are left out)."""
        return [c for c in self._all_classes if not c.archived]

    @property
    def active_class(self) -> LabelClassRecord | None:
        return self._offered_class(self._active_id) if self._active_id is not None else None

    @property
    def selection(self) -> list[int]:
        return list(self._selection)

    @property
    def mode(self) -> str:
        return self._mode

    def is_class_visible(self, class_id: int) -> bool:
        return class_id not in self._hidden

    def class_opacity(self, class_id: int) -> float:
        return self._opacity.get(class_id, self._default_opacity)

    # -- the project and the shown item ------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        self._project = project
        self._active_id = None
        self._hidden.clear()
        self._opacity.clear()
        self._read_classes_and_mode()
        self.show_item(None)

    def show_item(self, item_id: int | None) -> None:
        """Show one item of the project (None: nothing) with its annotations."""
        record = None
        if item_id is not None and self._project is not None:
            found = self._project.items_by_ids([item_id])
            record = found[0] if found else None
        self._item = record
        self._selection = []
        self._show_image()
        self._read_annotations()
        self.item_changed.emit(record)
        self.selection_changed.emit([])

    def reload(self) -> None:
        """Re-read classes, mode, the shown item and its annotations (after any change)."""
        if self._project is None:
            return
        self._read_classes_and_mode()
        if self._item is None:
            return
        found = self._project.items_by_ids([self._item.id])
        if not found:
            self.show_item(None)
            return
        previous, self._item = self._item, found[0]
        if (previous.path, previous.sha256) != (self._item.path, self._item.sha256):
            self._show_image()  # relinked or replaced: load the file again
        self._read_annotations()
        if self._item != previous:
            self.item_changed.emit(self._item)

    def media_path(self) -> Path | None:
        if self._project is None or self._item is None:
            return None
        return self._project.media_path(self._item)

    def _show_image(self) -> None:
        path = self.media_path()
        if self._item is None or path is None:
            self._canvas.set_image(None, 0, 0)
        else:
            self._canvas.set_image(path, self._item.width, self._item.height)

    def _read_classes_and_mode(self) -> None:
        project = self._project
        self._all_classes = project.classes() if project is not None else []
        offered = self.classes
        if self.active_class is None:
            self._active_id = offered[0].id if offered else None
        mode = str(project.setting(LABELING_MODE)) if project is not None else "objects"
        self._canvas.set_active_class(self.active_class)
        self.classes_changed.emit(offered)
        self.active_class_changed.emit(self.active_class)
        if mode != self._mode:
            self._mode = mode
            self.mode_changed.emit(mode)

    def _read_annotations(self) -> None:
        project, item = self._project, self._item
        self._annotations = project.annotations(item.id) if project and item else []
        kept = {a.id for a in self._annotations}
        self._selection = [i for i in self._selection if i in kept]
        self._loading = True
        try:
            self._canvas.set_annotations(self.shapes, self._all_classes)
            self._canvas.select_annotations(self._selection)
        finally:
            self._loading = False
        self.annotations_changed.emit(self.annotations)
        self.selection_changed.emit(self.selection)

    # -- edits -------------------------------------------------------------------------

    def _run(self, edit: Callable[[Project], Result]) -> Result | None:
        """Run one project edit; refused edits are reported, never raised to Qt."""
        if self._project is None:
            return None
        try:
            result = edit(self._project)
        except StudioError as error:
            self.failed.emit(str(error))
            self.reload()
            return None
        self.reload()
        self.edited.emit()
        return result

    def _create_shape(self, kind: str, geometry: object) -> None:
        item, label_class = self._item, self.active_class
        if item is None:
            return
        if label_class is None:
            self.failed.emit("Add a class first: a shape needs one")
            self._read_annotations()  # the canvas drops the shape it drew
            return
        created = self._run(lambda p: p.annotate(item.id, label_class.id, **{kind: geometry}))
        if created is not None:
            self.select([created])

    def suggest(self, annotations: list[dict[str, Any]]) -> list[int]:
        """Add pending suggestions (one undo step) and select them, so Y accepts them."""
        created = self._run(lambda p: p.suggest_annotations(annotations)) or []
        if created:
            self.select(created)
        return created

    def _edit_shape(self, annotation_id: int, geometry: object) -> None:
        self._run(lambda p: p.update_annotation(annotation_id, geometry=geometry))

    def set_attributes(self, annotation_id: int, values: dict[str, Any]) -> None:
        """Set a shape's user attributes (one undo step; a bad value is refused and said)."""
        self._run(lambda p: p.set_annotation_attributes(annotation_id, values))

    def set_class_schema(self, class_id: int, **schema: Any) -> None:
        """Set a class's attributes and/or keypoints (see `Project.set_class_schema`)."""
        self._run(lambda p: p.set_class_schema(class_id, **schema))

    def delete_annotations(self, annotation_ids: list[int]) -> None:
        ids = list(annotation_ids)
        if ids:
            self._run(lambda p: p.delete_annotations(ids))

    def delete_selected(self) -> None:
        self.delete_annotations(self._selection)

    def accept_selected(self) -> None:
        """Accept the selected pending suggestions (one undo step); other shapes are ignored.
        With no suggested shape selected, the image's suggested tags are accepted (a tag has
        no outline to select)."""
        ids = [a.id for a in self.shapes if a.id in self._selection and a.is_pending]
        ids = ids or [a.id for a in self.suggested_tags]
        if not ids:
            self.failed.emit("Select a suggestion (a dashed shape) to accept it")
            return
        self._run(lambda p: p.accept_suggestions(ids))

    def reject_selected(self) -> None:
        """Reject the selected suggestions (one undo step): they leave the canvas but stay in
        the project; a person's own shapes in the selection are left alone. With no suggestion
        selected, the image's suggested tags are rejected."""
        ids = [a.id for a in self.shapes if a.id in self._selection and a.review is not None]
        ids = ids or [a.id for a in self.suggested_tags]
        if not ids:
            self.failed.emit("Select a suggestion to reject it")
            return
        self._run(lambda p: p.reject_suggestions(ids))

    def _offered_class(self, class_id: int) -> LabelClassRecord | None:
        """The class with this id among those one can label with (None: archived, unknown)."""
        return next((c for c in self.classes if c.id == class_id), None)

    def selected_shapes(self) -> list[AnnotationRecord]:
        selected = set(self._selection)
        return [a for a in self.shapes if a.id in selected]

    def relabel_selected(self, class_id: int) -> None:
        """Give every selected shape the class (one undo step); suggestions are accepted."""
        shapes = self.selected_shapes()
        label_class = self._offered_class(class_id)
        if not shapes or label_class is None:
            return
        ids = [shape.id for shape in shapes]
        if self._run(lambda p: p.set_class_of_shapes(ids, class_id)) is not None:
            self.note.emit(f"{counted_shapes(s.kind for s in shapes)} → {label_class.name}")

    def paste_shapes(self, shapes: list[AnnotationRecord]) -> list[int] | None:
        """Paste copies of `shapes` into the shown item (one undo step) and select them; the
        new ids, or None when there is no item or the project refused."""
        item = self._item
        if item is None:
            return None
        pasted = self._run(lambda p: p.paste_shapes(item.id, shapes))
        if pasted:
            self.select(pasted)
        return pasted

    def restack_selected(self, to_front: bool) -> None:
        """Bring the selected shapes to the front, or send them to the back (one undo step)."""
        shapes = self.selected_shapes()
        if not shapes:
            self.failed.emit("Select the shapes to bring to the front or send to the back")
            return
        ids = [shape.id for shape in shapes]
        if self._run(lambda p: p.restack_shapes(ids, to_front=to_front)) is not None:
            moved = counted_shapes(s.kind for s in shapes)
            note = f"Brought {moved} to the front" if to_front else f"Sent {moved} to the back"
            self.note.emit(note)

    def set_status(self, status: str, reason: str | None = None) -> bool:
        item = self._item
        if item is None:
            return False
        self._run(lambda p: p.set_status(item.id, status, reason=reason))
        return self._item is not None and self._item.status == status

    def copy_from(self, source_item_id: int) -> list[int]:
        """Copy another item's annotations onto the shown one; the new annotation ids."""
        item = self._item
        if item is None:
            return []
        return self._run(lambda p: p.copy_annotations(source_item_id, item.id)) or []

    # -- tags ----------------------------------------------------------------------------

    def choose_tag(self, class_id: int) -> None:
        """The key path: single-label replaces the tag, multi-label toggles it."""
        current = self.tag_class_ids
        if self._mode == "single_label":
            self._set_tags([class_id])
        else:
            self.set_tag(class_id, class_id not in current)

    def set_tag(self, class_id: int, present: bool) -> None:
        """The panel path: tick or untick one tag (single-label keeps at most one)."""
        current = self.tag_class_ids
        if present:
            wanted = [class_id] if self._mode == "single_label" else [*current, class_id]
        else:
            wanted = [c for c in current if c != class_id]
        self._set_tags(wanted)

    def _set_tags(self, class_ids: list[int]) -> None:
        item = self._item
        if item is None or sorted(set(class_ids)) == sorted(self.tag_class_ids):
            return
        self._run(lambda p: p.set_image_tags(item.id, class_ids))

    # -- classes -------------------------------------------------------------------------

    def set_active_class(self, class_id: int | None) -> None:
        self._active_id = class_id
        self._canvas.set_active_class(self.active_class)
        self.active_class_changed.emit(self.active_class)

    def press_class_key(self, key: str) -> None:
        """A digit key: the class with that key, chosen as `choose_class` says."""
        label_class = class_for_key(self.classes, key)
        if label_class is None:
            self.failed.emit(f"No class has the key {key}")
            return
        self.choose_class(label_class.id)

    def class_choice_target(self) -> str:
        """What choosing a class does now, in every labeling mode alike:

        - RELABEL: shapes are selected, so they take the class (with a drawing tool active,
          the class becomes the drawing class too: the shape just drawn is the selection);
        - TAG: a tag mode with the Select tool and no shape selected: the image is tagged;
        - DRAWING_CLASS: otherwise the class is the one the next drawn shape gets.
        The tag panel tags the image whatever is selected.
        """
        if self.selected_shapes():
            return RELABEL
        if self._mode in TAG_MODES and self._canvas.tool() == "select":
            return TAG
        return DRAWING_CLASS

    def choose_class(self, class_id: int) -> None:
        """A class key or the class picker: relabel, tag or set the drawing class (see
        `class_choice_target`); the status bar says which happened."""
        label_class = self._offered_class(class_id)
        if label_class is None:
            return
        target = self.class_choice_target()
        if target == RELABEL:
            if self._canvas.tool() != "select":
                # A shape just drawn stays selected: its key fixes its class and the next one's.
                self.set_active_class(class_id)
            self.relabel_selected(class_id)
        elif target == TAG:
            tagged = class_id not in self.tag_class_ids or self._mode == "single_label"
            self.choose_tag(class_id)
            if self._item is not None:
                verb = "Image tagged" if tagged else "Tag removed"
                self.note.emit(f"{verb}: {label_class.name}")
        else:
            self.set_active_class(class_id)
            self.note.emit(f"Drawing class: {label_class.name}")

    def add_class(self, name: str) -> LabelClassRecord | None:
        added = self._run(lambda p: p.add_classes([name]))
        if added:
            self.set_active_class(added[0].id)
            return added[0]
        return None

    def update_class(self, class_id: int, **values: Any) -> None:
        self._run(lambda p: p.update_class(class_id, **values))

    def set_class_visible(self, class_id: int, visible: bool) -> None:
        if visible:
            self._hidden.discard(class_id)
        else:
            self._hidden.add(class_id)
        self._canvas.set_class_visible(class_id, visible)
        self.class_view_changed.emit(class_id)

    def set_class_opacity(self, class_id: int, opacity: float) -> None:
        self._opacity[class_id] = opacity
        self._canvas.set_class_opacity(class_id, opacity)
        self.class_view_changed.emit(class_id)

    def set_mode(self, mode: str) -> None:
        """Change the project's labeling mode (a setting, not an undo step)."""
        if self._project is None or mode == self._mode:
            return
        try:
            self._project.set_setting(LABELING_MODE, mode)
        except StudioError as error:
            self.failed.emit(str(error))
            return
        self._mode = mode
        self.mode_changed.emit(mode)

    # -- selection and history ---------------------------------------------------------

    def select(self, annotation_ids: list[int]) -> None:
        known = {a.id for a in self._annotations}
        ids = [i for i in annotation_ids if i in known]
        if ids == self._selection:
            return
        self._selection = ids
        self._loading = True
        try:
            self._canvas.select_annotations(ids)
        finally:
            self._loading = False
        self.selection_changed.emit(list(ids))

    def _canvas_selected(self, annotation_ids: list[int]) -> None:
        if self._loading or list(annotation_ids) == self._selection:
            return
        self._selection = list(annotation_ids)
        self.selection_changed.emit(list(annotation_ids))

    def undo(self) -> HistoryStep:
        """Undo the latest edit (raises NothingToUndoError); the caller shows what it touched."""
        assert self._project is not None
        step = self._project.undo()
        self.reload()
        return step

    def redo(self) -> HistoryStep:
        assert self._project is not None
        step = self._project.redo()
        self.reload()
        return step
