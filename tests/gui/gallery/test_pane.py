"""The gallery pane: selecting items for other views, and revealing one through its filters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QSize
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery.pane import THUMBNAIL_SIDE_SETTING, GalleryPane
from studio.gui.gallery.view import THUMBNAIL_STEP
from tests.gui.gallery_helpers import selected_ids


def listed(pane: GalleryPane) -> list[int]:
    return [pane.model.item_id(row) for row in range(pane.model.rowCount())]


@pytest.fixture
def pane(qtbot: QtBot, gallery_project: Path, settings: QSettings) -> Iterator[GalleryPane]:
    pane = GalleryPane(settings)
    qtbot.addWidget(pane)
    project = Project.open(gallery_project)
    pane.set_project(project)
    yield pane
    pane.set_project(None)
    pane.loader.shutdown()
    project.close()


def test_select_selects_the_shown_items_and_counts_those_the_filter_hides(
    pane: GalleryPane,
) -> None:
    ids = listed(pane)
    pane.filter_bar.set_query({"status": ["done"]})
    shown, hidden = listed(pane)[:2], ids[-1]

    message = pane.select([*shown, hidden])

    assert message == "2 images selected (1 hidden by the gallery's filter)"
    assert selected_ids(pane.view) == set(shown)
    assert pane.selected_ids() == shown
    assert pane.model.item_id(pane.view.currentIndex().row()) == shown[0]


def test_reveal_clears_a_hiding_filter_makes_the_item_current_and_says_so(
    qtbot: QtBot, pane: GalleryPane
) -> None:
    new_item = listed(pane)[-1]
    pane.filter_bar.set_query({"status": ["done"]})
    assert pane.model.row_of(new_item) is None

    with qtbot.waitSignal(pane.revealed) as revealed:
        assert pane.reveal(new_item) == ""

    assert revealed.args == [new_item]
    assert pane.model.row_of(new_item) is not None
    assert pane.selected_ids() == [new_item]
    assert pane.reveal(10_000) == "Image 10000 is not in the project any more"


def test_the_size_slider_sets_the_thumbnail_size_and_a_new_pane_remembers_it(
    qtbot: QtBot, pane: GalleryPane, settings: QSettings
) -> None:
    pane.size_slider.setValue(203)  # between steps: it snaps to the nearest
    assert pane.view.thumbnail_side == 208
    pane.bigger_thumbnails()
    assert pane.size_slider.value() == 208 + THUMBNAIL_STEP
    assert pane.loader.display_size == QSize(224, 224)

    again = GalleryPane(settings)
    qtbot.addWidget(again)
    assert again.view.thumbnail_side == 224
    assert again.size_slider.value() == 224


def test_a_hand_edited_size_setting_falls_back_to_a_valid_size(
    qtbot: QtBot, settings: QSettings
) -> None:
    settings.setValue(THUMBNAIL_SIDE_SETTING, "huge")
    first = GalleryPane(settings)
    qtbot.addWidget(first)
    settings.setValue(THUMBNAIL_SIDE_SETTING, 5_000)
    second = GalleryPane(settings)
    qtbot.addWidget(second)

    assert first.view.thumbnail_side == first.size_slider.value() == 128
    assert second.view.thumbnail_side == second.size_slider.maximum()
