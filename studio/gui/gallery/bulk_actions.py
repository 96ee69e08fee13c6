"""Bulk edits of the items selected in the gallery: status, split, tags, clearing annotations.

Each action is one call of `studio.api.Project`, so one edit of many items is one undo step.
`BulkActions` owns the QActions (with shortcuts, for menus and the gallery's context menu),
reads the selection from the gallery view, refreshes the gallery model after each edit and
reports it through `edited(message)`, or a refused edit through `failed(message)`.

Shortcuts apply while the gallery (or a child of it) has the focus, so they never compete
with the canvas's keys; each edits once per press, however long its key is held:

    Alt+1 … Alt+6          status: new, in progress, done, done (empty), reviewed, rejected
    Ctrl+Alt+1/2/3, +0     split: train, val, test, none
    Ctrl+T, Ctrl+Shift+T   add a tag…, remove a tag…
    Ctrl+Shift+Del         delete every annotation of the selected items
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QInputDialog, QMenu, QWidget

from studio.api import Project, StudioError
from studio.core.wording import counted
from studio.gui.gallery.model import STATUS_LABELS, GalleryModel

STATUS_SHORTCUTS = {status: f"Alt+{n}" for n, status in enumerate(STATUS_LABELS, start=1)}
SPLIT_CHOICES = {"train": "Train", "val": "Validation", "test": "Test", "none": "No split"}
SPLIT_SHORTCUTS = {"train": "Ctrl+Alt+1", "val": "Ctrl+Alt+2", "test": "Ctrl+Alt+3"}
SPLIT_SHORTCUTS["none"] = "Ctrl+Alt+0"
ADD_TAG_SHORTCUT = "Ctrl+T"
REMOVE_TAG_SHORTCUT = "Ctrl+Shift+T"
CLEAR_SHORTCUT = "Ctrl+Shift+Del"
MAX_TAG_SOURCES = 2_000  # selected items whose tags the "Remove tag" dialog offers


def clear_annotations(project: Project, item_ids: list[int]) -> int:
    """Delete every annotation of `item_ids` as one undo step; returns how many went.

    Uses `Project.clear_annotations` where the API has it (one statement per 500 items);
    otherwise collects the annotation ids item by item and deletes them in one edit.
    """
    clear = getattr(project, "clear_annotations", None)
    if clear is not None:
        return int(clear(item_ids))
    annotation_ids = [record.id for item_id in item_ids for record in project.annotations(item_id)]
    if annotation_ids:
        project.delete_annotations(annotation_ids)
    return len(annotation_ids)


class BulkActions(QObject):
    """The bulk actions on `view`'s selected items of `model` (a GalleryModel).

    `actions()` lists every QAction for menus; `menu()` builds a "Selection" menu, which is
    also the view's context menu. Actions are enabled only while items are selected.
    """

    edited = Signal(str)  # a bulk edit succeeded: what it did (the model is refreshed)
    failed = Signal(str)  # a bulk edit was refused: why (nothing changed)

    def __init__(
        self, view: QAbstractItemView, model: GalleryModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent if parent is not None else view)
        self.view = view
        self.model = model
        self.status_actions = {
            status: self._action(
                f"Mark as {label}", STATUS_SHORTCUTS[status], self._status_slot(status)
            )
            for status, label in STATUS_LABELS.items()
        }
        self.split_actions = {
            split: self._action(text, SPLIT_SHORTCUTS[split], self._split_slot(split))
            for split, text in SPLIT_CHOICES.items()
        }
        self.add_tag_action = self._action("Add tag…", ADD_TAG_SHORTCUT, self.ask_tag_to_add)
        self.remove_tag_action = self._action(
            "Remove tag…", REMOVE_TAG_SHORTCUT, self.ask_tag_to_remove
        )
        self.clear_action = self._action(
            "Delete all annotations", CLEAR_SHORTCUT, self.clear_annotations
        )
        self.assistant_actions: list[QAction] = []  # the window's, e.g. Segment everything
        view.addActions(self.actions())
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._show_context_menu)
        model.modelReset.connect(self._update_enabled)
        model.layoutChanged.connect(self._update_enabled)
        model.rowsRemoved.connect(self._update_enabled)
        self._watch_selection()
        self._update_enabled()

    # -- actions and menus ---------------------------------------------------------------

    def _action(self, text: str, shortcut: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setAutoRepeat(False)  # a held key edits once
        action.triggered.connect(slot)
        return action

    def _status_slot(self, status: str) -> Callable[[], None]:
        return lambda: self.set_status(status)

    def _split_slot(self, split: str) -> Callable[[], None]:
        return lambda: self.set_split(split)

    def actions(self) -> list[QAction]:
        """Every bulk action: statuses, splits, add tag, remove tag, delete annotations."""
        return [
            *self.status_actions.values(),
            *self.split_actions.values(),
            self.add_tag_action,
            self.remove_tag_action,
            self.clear_action,
        ]

    def menu(self, parent: QWidget | None = None) -> QMenu:
        """A "Selection" menu with a submenu of statuses and one of splits, and at its end
        the window's `assistant_actions` (which keep their own shortcuts and enabling)."""
        menu = QMenu("&Selection", parent)
        status_menu = menu.addMenu("Set &status")
        status_menu.addActions(list(self.status_actions.values()))
        split_menu = menu.addMenu("Set s&plit")
        split_menu.addActions(list(self.split_actions.values()))
        menu.addSeparator()
        menu.addActions([self.add_tag_action, self.remove_tag_action])
        menu.addSeparator()
        menu.addAction(self.clear_action)
        if self.assistant_actions:
            menu.addSeparator()
            menu.addActions(self.assistant_actions)
        return menu

    def _show_context_menu(self, position: object) -> None:
        if not self.selected_ids():
            return
        menu = self.menu(self.view)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.view.viewport().mapToGlobal(position))

    def _watch_selection(self) -> None:
        selection = self.view.selectionModel()
        if selection is not None:
            selection.selectionChanged.connect(self._update_enabled)

    def _update_enabled(self) -> None:
        has_selection = self._selection_count() > 0 and self.model.project is not None
        for action in self.actions():
            action.setEnabled(has_selection)

    # -- the selection -------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The item ids of the selected rows, in row order."""
        selection = self.view.selectionModel()
        if selection is None:
            return []
        ranges = sorted(selection.selection(), key=lambda r: r.top())
        ids: list[int] = []
        for selected in ranges:
            ids.extend(self.model.ids_in_rows(selected.top(), selected.bottom()))
        return list(dict.fromkeys(ids))

    def _selection_count(self) -> int:
        selection = self.view.selectionModel()
        if selection is None:
            return 0
        return sum(r.bottom() - r.top() + 1 for r in selection.selection())

    def selected_tags(self) -> list[str]:
        """The tags of the selected items (of the first 2,000 of a larger selection: the
        dialog's field also takes any typed tag), sorted: the "Remove tag" choices."""
        tags: set[str] = set()
        for item_id in self.selected_ids()[:MAX_TAG_SOURCES]:
            row = self.model.row_of(item_id)
            record = self.model.record(row) if row is not None else None
            if record is not None:
                tags.update(record.tags)
        return sorted(tags)

    # -- the edits -----------------------------------------------------------------------

    def set_status(self, status: str) -> None:
        label = STATUS_LABELS.get(status, status)
        self._edit(
            lambda project, ids: project.set_status(ids, status),
            lambda ids, _: f"Marked {counted(len(ids), 'image')} as {label}",
        )

    def set_split(self, split: str) -> None:
        text = "no split" if split == "none" else f"split {split}"
        self._edit(
            lambda project, ids: project.set_split(ids, split),
            lambda ids, _: f"Set {text} on {counted(len(ids), 'image')}",
        )

    def add_tag(self, tag: str) -> None:
        tag = tag.strip()
        self._edit(
            lambda project, ids: project.tag_items(ids, add=tag),
            lambda ids, _: f"Tagged {counted(len(ids), 'image')} “{tag}”",
        )

    def remove_tag(self, tag: str) -> None:
        tag = tag.strip()
        self._edit(
            lambda project, ids: project.tag_items(ids, remove=tag),
            lambda ids, _: f"Removed the tag “{tag}” from {counted(len(ids), 'image')}",
        )

    def clear_annotations(self) -> None:
        self._edit(
            clear_annotations,
            lambda ids, count: (
                f"Deleted {counted(count, 'annotation')} of {counted(len(ids), 'image')}"
            ),
        )

    def _edit(
        self,
        change: Callable[[Project, list[int]], object],
        describe: Callable[[list[int], object], str],
    ) -> None:
        """Apply `change` to the selection through the API, then refresh and report."""
        project, ids = self.model.project, self.selected_ids()
        if project is None or not ids:
            return
        try:
            result = change(project, ids)
        except (StudioError, ValueError) as error:
            self.failed.emit(str(error))
            return
        self.model.refresh()
        self.edited.emit(describe(ids, result))

    # -- asking for a tag ----------------------------------------------------------------

    def ask_tag_to_add(self) -> None:
        """Ask for a tag (window-modal, without blocking the event loop), then add it."""
        self._ask_tag("Add a tag", "Tag to add to the selected items:", [], self.add_tag)

    def ask_tag_to_remove(self) -> None:
        """Ask which tag to remove, offering those the selected items carry."""
        self._ask_tag(
            "Remove a tag",
            "Tag to remove from the selected items:",
            self.selected_tags(),
            self.remove_tag,
        )

    def _ask_tag(
        self, title: str, label: str, choices: list[str], apply: Callable[[str], None]
    ) -> None:
        if not self.selected_ids():
            return
        dialog = QInputDialog(self.view.window())
        dialog.setObjectName("bulk_tag_dialog")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        if choices:
            dialog.setComboBoxItems(choices)
            dialog.setComboBoxEditable(True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(lambda text: self._apply_tag(text, apply))
        dialog.open()

    def _apply_tag(self, text: str, apply: Callable[[str], None]) -> None:
        if text.strip():
            apply(text)
        else:
            self.failed.emit("A tag needs a name")
