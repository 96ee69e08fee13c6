"""The gallery view: a grid that holds thumbnail work back while it scrolls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
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
    GalleryView,
)
from tests.gui.conftest import IMAGE_COUNT


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
