"""The gallery view: a grid that holds thumbnail work back while it scrolls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery_model import GalleryModel
from studio.gui.gallery_view import SCROLL_HOLD_MS, GalleryView
from studio.gui.thumbnail_loader import ThumbnailLoader
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
