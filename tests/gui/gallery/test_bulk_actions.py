"""Bulk actions on the gallery's selection: each is one API edit, one undo brings all back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMenu
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery.bulk_actions import BulkActions, clear_annotations
from studio.gui.gallery.model import GalleryModel
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader
from studio.gui.gallery.view import GalleryView
from tests.gui.conftest import IMAGE_COUNT, LABELED
from tests.gui.gallery_helpers import select_ids, selected_ids

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@dataclass
class Gallery:
    project: Project
    model: GalleryModel
    view: GalleryView
    bulk: BulkActions
    messages: list[str]
    failures: list[str]


@pytest.fixture
def gallery(qtbot: QtBot, gallery_project: Path) -> Iterator[Gallery]:
    """A shown, focused gallery on the conftest project (items 0–9 labeled, 0–7 done),
    with the tag "hard" on items 0, 4, 8, … and "blurry" on item 1."""
    project = Project.open(gallery_project, author="gui")
    ids = project.item_ids()
    project.tag_items(ids[::4], add="hard")
    project.tag_items(ids[1], add="blurry")
    loader = ThumbnailLoader(QSize(32, 32))
    model = GalleryModel(loader)
    model.set_project(project)
    view = GalleryView()
    qtbot.addWidget(view)
    view.setModel(model)
    bulk = BulkActions(view, model)
    shown = Gallery(project, model, view, bulk, [], [])
    bulk.edited.connect(shown.messages.append)
    bulk.failed.connect(shown.failures.append)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    view.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    yield shown
    model.set_project(None)
    loader.shutdown()
    project.close()


def state(project: Project) -> tuple[list[Any], list[Any]]:
    """Everything a bulk action may change: every item record and every annotation."""
    ids = project.item_ids()
    records = project.items_by_ids(ids)
    return records, [project.annotations(item_id) for item_id in ids]


def find_dialog() -> QInputDialog | None:
    dialogs = [
        widget
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, QInputDialog) and widget.isVisible()
    ]
    return dialogs[0] if dialogs else None


def answer_dialog(qtbot: QtBot, text: str) -> QInputDialog:
    qtbot.waitUntil(lambda: find_dialog() is not None)
    dialog = find_dialog()
    assert dialog is not None
    edit = dialog.findChild(QLineEdit)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: find_dialog() is None)
    return dialog


def press(qtbot: QtBot, gallery: Gallery, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(gallery.view, key, modifiers)


Check = Callable[[Project, list[int]], None]


def _statuses_are(status: str) -> Check:
    def check(project: Project, ids: list[int]) -> None:
        assert {item.status for item in project.items_by_ids(ids)} == {status}

    return check


def _splits_are(split: str | None) -> Check:
    def check(project: Project, ids: list[int]) -> None:
        assert {item.split for item in project.items_by_ids(ids)} == {split}

    return check


def _all_tagged(tag: str, present: bool) -> Check:
    def check(project: Project, ids: list[int]) -> None:
        assert {tag in item.tags for item in project.items_by_ids(ids)} == {present}

    return check


def _no_annotations(project: Project, ids: list[int]) -> None:
    assert all(project.annotations(item_id) == [] for item_id in ids)


Gesture = Callable[[QtBot, Gallery], None]
SHORTCUTS: list[tuple[str, Gesture, Check]] = [
    ("Alt+5 reviewed", lambda q, g: press(q, g, Qt.Key.Key_5, ALT), _statuses_are("reviewed")),
    ("Alt+1 new", lambda q, g: press(q, g, Qt.Key.Key_1, ALT), _statuses_are("new")),
    ("Ctrl+Alt+2 val", lambda q, g: press(q, g, Qt.Key.Key_2, CTRL | ALT), _splits_are("val")),
    ("Ctrl+Alt+0 none", lambda q, g: press(q, g, Qt.Key.Key_0, CTRL | ALT), _splits_are(None)),
    (
        "Ctrl+T add tag",
        lambda q, g: (press(q, g, Qt.Key.Key_T, CTRL), answer_dialog(q, "checked")),
        _all_tagged("checked", True),
    ),
    (
        "Ctrl+Shift+T remove tag",
        lambda q, g: (press(q, g, Qt.Key.Key_T, CTRL | SHIFT), answer_dialog(q, "hard")),
        _all_tagged("hard", False),
    ),
    (
        "Ctrl+Shift+Del annotations",
        lambda q, g: press(q, g, Qt.Key.Key_Delete, CTRL | SHIFT),
        _no_annotations,
    ),
]


@pytest.mark.parametrize(("name", "gesture", "check"), SHORTCUTS, ids=[s[0] for s in SHORTCUTS])
def test_each_bulk_shortcut_edits_the_selection_and_one_undo_reverts_it(
    qtbot: QtBot, gallery: Gallery, name: str, gesture: Gesture, check: Check
) -> None:
    project = gallery.project
    ids = project.item_ids()
    chosen = [ids[0], ids[1], ids[4], ids[8], ids[20]]  # labeled, tagged, plain
    project.set_split(chosen, "train")
    select_ids(gallery.view, chosen)
    before = state(project)
    others_before = project.items_by_ids(ids[21:])

    gesture(qtbot, gallery)

    check(project, chosen)
    assert project.items_by_ids(ids[21:]) == others_before
    assert len(gallery.messages) == 1
    assert gallery.failures == []
    project.undo()
    assert state(project) == before


def test_the_model_shows_the_edit_and_the_selection_stays(qtbot: QtBot, gallery: Gallery) -> None:
    ids = gallery.project.item_ids()
    select_ids(gallery.view, ids[10:13])

    gallery.bulk.status_actions["done"].trigger()

    rows = [gallery.model.row_of(item_id) for item_id in ids[10:13]]
    statuses = {gallery.model.data(gallery.model.index(r), GalleryModel.StatusRole) for r in rows}
    assert statuses == {"done"}
    assert selected_ids(gallery.view) == set(ids[10:13])
    assert gallery.messages == ["Marked 3 images as done"]


def test_edited_items_leave_a_query_they_no_longer_match(gallery: Gallery) -> None:
    gallery.model.set_query(status="new")
    new_ids = gallery.model.ids()
    select_ids(gallery.view, new_ids[:5])

    gallery.bulk.status_actions["rejected"].trigger()

    assert gallery.model.ids() == new_ids[5:]
    assert selected_ids(gallery.view) == set()


def test_clearing_annotations_reports_how_many(gallery: Gallery) -> None:
    ids = gallery.project.item_ids()
    select_ids(gallery.view, ids[: LABELED + 2])

    gallery.bulk.clear_action.trigger()

    assert gallery.messages == [f"Deleted {LABELED} annotations of {LABELED + 2} images"]
    model = gallery.model
    counts = [model.data(model.index(row), GalleryModel.AnnotationCountRole) for row in range(3)]
    assert counts == [0, 0, 0]


def test_clearing_without_the_api_shortcut_is_still_one_undo_step(gallery: Gallery) -> None:
    class WithoutClearAnnotations:
        """The project as an API without `clear_annotations` offers it."""

        def __getattr__(self, name: str) -> Any:
            if name == "clear_annotations":
                raise AttributeError(name)
            return getattr(gallery.project, name)

    project = gallery.project
    ids = project.item_ids()
    before = state(project)

    assert clear_annotations(WithoutClearAnnotations(), ids[:4]) == 4

    assert all(project.annotations(item_id) == [] for item_id in ids[:4])
    assert project.annotations(ids[4]) != []
    project.undo()
    assert state(project) == before


def test_actions_are_enabled_only_with_a_selection(gallery: Gallery) -> None:
    assert not any(action.isEnabled() for action in gallery.bulk.actions())

    select_ids(gallery.view, gallery.project.item_ids()[:1])
    assert all(action.isEnabled() for action in gallery.bulk.actions())

    gallery.view.clearSelection()
    assert not any(action.isEnabled() for action in gallery.bulk.actions())


def test_select_all_then_a_shortcut_edits_every_item(qtbot: QtBot, gallery: Gallery) -> None:
    qtbot.keyClick(gallery.view, Qt.Key.Key_A, CTRL)
    assert len(gallery.bulk.selected_ids()) == IMAGE_COUNT

    qtbot.keyClick(gallery.view, Qt.Key.Key_3, CTRL | ALT)

    assert gallery.project.count_items(split="test") == IMAGE_COUNT
    assert gallery.messages == [f"Set split test on {IMAGE_COUNT} images"]


def test_the_remove_dialog_offers_the_tags_of_the_selection(qtbot: QtBot, gallery: Gallery) -> None:
    ids = gallery.project.item_ids()
    select_ids(gallery.view, [ids[0], ids[1], ids[2]])

    gallery.bulk.remove_tag_action.trigger()
    qtbot.waitUntil(lambda: find_dialog() is not None)
    dialog = find_dialog()

    assert dialog.comboBoxItems() == ["blurry", "hard"]
    dialog.reject()


def test_an_empty_tag_is_refused_and_changes_nothing(qtbot: QtBot, gallery: Gallery) -> None:
    select_ids(gallery.view, gallery.project.item_ids()[:3])
    before = state(gallery.project)

    gallery.bulk.add_tag_action.trigger()
    answer_dialog(qtbot, "   ")

    assert gallery.failures == ["A tag needs a name"]
    assert state(gallery.project) == before
    assert not gallery.project.can_redo()


def test_a_refused_edit_reports_why_and_changes_nothing(gallery: Gallery) -> None:
    ids = gallery.project.item_ids()
    select_ids(gallery.view, ids[20:22])
    gallery.project.remove_items(ids[20])  # another process removed it meanwhile

    gallery.bulk.set_status("reviewed")

    assert gallery.failures == [f"unknown item ids: [{ids[20]}]"]
    assert gallery.messages == []
    assert gallery.project.item(ids[21]).status == "new"


def test_the_context_menu_holds_the_actions(qtbot: QtBot, gallery: Gallery) -> None:
    ids = gallery.project.item_ids()
    select_ids(gallery.view, ids[20:22])
    rect = gallery.view.visualRect(gallery.model.index(0))

    gallery.view.customContextMenuRequested.emit(rect.center())
    menus = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]

    assert len(menus) == 1
    titles = [action.text() for action in menus[0].actions() if action.text()]
    assert titles == [
        "Set &status",
        "Set s&plit",
        "Add tag…",
        "Remove tag…",
        "Delete all annotations",
    ]
    status_menu = menus[0].actions()[0].menu()
    reviewed = next(a for a in status_menu.actions() if a.text() == "Mark as reviewed")
    reviewed.trigger()
    menus[0].close()
    assert {item.status for item in gallery.project.items_by_ids(ids[20:22])} == {"reviewed"}
