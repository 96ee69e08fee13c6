"""The gallery pane: selecting items for other views, and revealing one through its filters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery.pane import GalleryPane
from tests.gui.gallery_helpers import selected_ids


def listed(pane: GalleryPane) -> list[int]:
    return [pane.model.item_id(row) for row in range(pane.model.rowCount())]


@pytest.fixture
def pane(qtbot: QtBot, gallery_project: Path) -> Iterator[GalleryPane]:
    pane = GalleryPane()
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
