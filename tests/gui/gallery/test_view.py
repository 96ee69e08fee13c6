"""The gallery view: a grid that fills its width, holds thumbnail work back while it scrolls,
opens on a click and moves in two dimensions with the keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery.filters import GalleryFilterBar
from studio.gui.gallery.model import GalleryModel
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader
from studio.gui.gallery.view import (
    NO_IMAGES_MESSAGE,
    NO_MATCH_MESSAGE,
    NO_PROJECT_MESSAGE,
    SCROLL_HOLD_MS,
    THUMBNAIL_STEP,
    GalleryView,
)
from studio.gui.main_window import MainWindow
from tests.gui.conftest import IMAGE_COUNT
from tests.gui.gallery_helpers import selected_ids

CONTROL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def view(qtbot: QtBot, gallery_project: Path) -> Iterator[tuple[GalleryView, ThumbnailLoader]]:
    project = Project.open(gallery_project)
    loader = ThumbnailLoader(QSize(160, 120))
    model = GalleryModel(loader)
    model.set_project(project)
    shown = GalleryView()
    qtbot.addWidget(shown)
    shown.setModel(model)
    shown.resize(420, 300)  # a few cells: the 30 items need scrolling
    shown.show()
    qtbot.waitExposed(shown)
    yield shown, loader
    model.set_project(None)
    loader.shutdown()
    project.close()


def test_the_cells_form_a_grid_in_model_order(view: tuple[GalleryView, ThumbnailLoader]) -> None:
    shown, _ = view
    model = shown.model()
    rects = [shown.visualRect(model.index(row)) for row in range(IMAGE_COUNT)]

    columns = len({rect.left() for rect in rects})
    assert columns > 1
    assert rects[1].top() == rects[0].top()
    assert rects[1].left() > rects[0].left()
    assert rects[columns].top() > rects[0].top()
    assert rects[columns].left() == rects[0].left()
    assert len({rect.size().toTuple() for rect in rects}) == 1


def test_scrolling_holds_thumbnail_work_back(
    view: tuple[GalleryView, ThumbnailLoader], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown, loader = view
    holds: list[int] = []
    monkeypatch.setattr(loader, "hold", holds.append)
    bar = shown.verticalScrollBar()
    assert bar.maximum() > 0

    bar.setValue(bar.maximum())

    assert holds == [SCROLL_HOLD_MS]


def empty_message(shown: GalleryView) -> str | None:
    message = shown.empty_message
    return message.text.text() if message.isVisible() else None


def test_an_empty_gallery_says_whether_there_is_a_project_and_images(
    qtbot: QtBot, tmp_path: Path
) -> None:
    loader = ThumbnailLoader(QSize(160, 120))
    model = GalleryModel(loader)
    shown = GalleryView()
    qtbot.addWidget(shown)
    shown.setModel(model)
    shown.show()
    qtbot.waitExposed(shown)
    assert empty_message(shown) == NO_PROJECT_MESSAGE

    with Project.create(tmp_path / "empty.studio") as project:
        model.set_project(project)
        shown.has_project = True
        assert empty_message(shown) == NO_IMAGES_MESSAGE
        assert not shown.empty_message.clear_button.isVisible()
        model.set_project(None)
    loader.shutdown()


def test_no_image_matching_the_filters_offers_to_clear_them(
    qtbot: QtBot, view: tuple[GalleryView, ThumbnailLoader]
) -> None:
    shown, _ = view
    model = shown.model()
    bar = GalleryFilterBar()
    qtbot.addWidget(bar)
    bar.query_changed.connect(lambda query: model.set_query(**query))
    shown.offer_clear_filters(bar.clear_action)
    shown.has_project = True
    assert empty_message(shown) is None

    bar.set_query({"text": "no such name"})
    assert empty_message(shown) == NO_MATCH_MESSAGE
    button = shown.empty_message.clear_button
    assert button.isVisible()
    assert button.text() == "Clear the filters (Ctrl+Shift+F)"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    assert bar.text_edit.text() == ""
    assert model.rowCount() == IMAGE_COUNT
    assert empty_message(shown) is None


def column_lefts(shown: GalleryView) -> list[int]:
    model = shown.model()
    return sorted({shown.visualRect(model.index(row)).left() for row in range(IMAGE_COUNT)})


def settle_layout(qtbot: QtBot, shown: GalleryView) -> None:
    """Wait for the delayed layout a resize or a new thumbnail size schedules."""
    qtbot.waitUntil(lambda: len(column_lefts(shown)) == shown.columns())


def test_the_columns_follow_the_width_and_fill_it(
    qtbot: QtBot, view: tuple[GalleryView, ThumbnailLoader]
) -> None:
    shown, _ = view
    settle_layout(qtbot, shown)
    narrow = len(column_lefts(shown))

    shown.resize(900, 300)
    settle_layout(qtbot, shown)

    assert len(column_lefts(shown)) > narrow
    last = shown.visualRect(shown.model().index(len(column_lefts(shown)) - 1))
    spare = shown.viewport().width() - last.right()
    assert spare < last.width() // 4  # the cells share the width out: no ragged gap
    assert shown.horizontalScrollBar().maximum() == 0


def test_the_columns_follow_the_thumbnail_size(
    qtbot: QtBot, view: tuple[GalleryView, ThumbnailLoader]
) -> None:
    shown, loader = view
    shown.resize(900, 300)
    settle_layout(qtbot, shown)
    before = len(column_lefts(shown))

    shown.set_thumbnail_side(64)
    settle_layout(qtbot, shown)

    assert len(column_lefts(shown)) > before
    assert loader.display_size == QSize(64, 64)  # thumbnails are made for the new box


def test_ctrl_wheel_changes_the_thumbnail_size_and_the_wheel_alone_scrolls(
    view: tuple[GalleryView, ThumbnailLoader],
) -> None:
    shown, _ = view
    side = shown.thumbnail_side

    def wheel(notches: float, modifiers: Qt.KeyboardModifier) -> None:
        centre = QPointF(shown.viewport().rect().center())
        event = QWheelEvent(
            centre,
            shown.viewport().mapToGlobal(centre),
            QPoint(),
            QPoint(0, round(120 * notches)),
            Qt.MouseButton.NoButton,
            modifiers,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(shown.viewport(), event)

    wheel(2, CONTROL)
    assert shown.thumbnail_side == side + 2 * THUMBNAIL_STEP
    wheel(-1, CONTROL)
    assert shown.thumbnail_side == side + THUMBNAIL_STEP
    wheel(-0.5, CONTROL)  # a touchpad's half notches: the second one makes a step
    assert shown.thumbnail_side == side + THUMBNAIL_STEP
    wheel(-0.5, CONTROL)
    assert shown.thumbnail_side == side
    wheel(-1, Qt.KeyboardModifier.NoModifier)
    assert shown.thumbnail_side == side
    assert shown.verticalScrollBar().value() > 0


def cell_centre(shown: GalleryView, row: int) -> QPoint:
    return shown.visualRect(shown.model().index(row)).center()


def test_a_click_opens_and_ctrl_or_shift_click_only_extends_the_selection(
    qtbot: QtBot, view: tuple[GalleryView, ThumbnailLoader]
) -> None:
    shown, _ = view
    opened: list[int] = []
    shown.activated.connect(lambda index: opened.append(index.row()))
    viewport = shown.viewport()

    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=cell_centre(shown, 0))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, CONTROL, cell_centre(shown, 2))
    shift = Qt.KeyboardModifier.ShiftModifier
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, shift, cell_centre(shown, 3))

    assert opened == [0]
    ids = [shown.model().item_id(row) for row in (0, 2, 3)]
    assert selected_ids(shown) == set(ids)


def test_the_arrow_keys_move_in_two_dimensions_and_enter_opens(
    qtbot: QtBot, view: tuple[GalleryView, ThumbnailLoader]
) -> None:
    shown, _ = view
    settle_layout(qtbot, shown)
    columns = shown.columns()
    assert columns > 1
    shown.setFocus()
    shown.setCurrentIndex(shown.model().index(0))
    opened: list[int] = []
    shown.activated.connect(lambda index: opened.append(index.row()))

    moves = [(Qt.Key.Key_Right, 1), (Qt.Key.Key_Down, 1 + columns), (Qt.Key.Key_Left, columns)]
    moves += [(Qt.Key.Key_Up, 0), (Qt.Key.Key_End, IMAGE_COUNT - 1), (Qt.Key.Key_Home, 0)]
    for key, row in moves:
        qtbot.keyClick(shown, key)
        assert shown.currentIndex().row() == row, key
    qtbot.keyClick(shown, Qt.Key.Key_PageDown)
    assert shown.currentIndex().row() >= columns
    assert shown.currentIndex().row() % columns == 0  # straight down, a screenful
    assert opened == []
    qtbot.keyClick(shown, Qt.Key.Key_Return)
    assert opened == [shown.currentIndex().row()]


def test_a_click_in_the_window_shows_the_image_on_the_canvas(
    qtbot: QtBot, window: MainWindow
) -> None:
    gallery, canvas = window.gallery, window.workspace.canvas
    target = window.gallery_model.index(3)
    record = window.project.item(window.gallery_model.item_id(3))

    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=cell_centre(gallery, 3))

    qtbot.waitUntil(lambda: getattr(window.workspace.controller.item, "id", None) == record.id)
    assert gallery.currentIndex() == target
    shown_size = canvas.image_item.boundingRect().size().toSize().toTuple()
    assert shown_size == (record.width, record.height)


def test_in_the_window_the_gallery_keeps_its_arrows_but_not_ctrl_return(
    qtbot: QtBot, window: MainWindow
) -> None:
    gallery, ids = window.gallery, window.project.item_ids()
    shown = window.workspace.controller.item.id
    gallery.setFocus()
    gallery.setCurrentIndex(window.gallery_model.index(0))

    qtbot.keyClick(gallery, Qt.Key.Key_Right)  # also the window's "next image" key
    qtbot.keyClick(gallery, Qt.Key.Key_Down)

    assert gallery.currentIndex().row() == 1 + gallery.columns()
    assert window.workspace.controller.item.id == shown  # moved in the grid, opened nothing
    qtbot.keyClick(gallery, Qt.Key.Key_Return, CONTROL)  # the window's "mark done"
    assert window.project.item(shown).status == "done"
    assert ids.index(window.workspace.controller.item.id) == 0
