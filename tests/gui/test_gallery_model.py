"""The gallery model: Qt's model tester, lazy paging, refreshes that keep rows, thumbnails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui import gallery_model
from studio.gui.gallery_model import GalleryModel, human_size
from studio.gui.thumbnail_loader import ThumbnailLoader
from tests.conftest import write_images
from tests.gui.conftest import IMAGE_COUNT, thumbnail_states, wait_for_thumbnails


@pytest.fixture
def opened(gallery_project: Path) -> Iterator[Project]:
    with Project.open(gallery_project) as project:
        yield project


@pytest.fixture
def model(qtbot: QtBot, opened: Project) -> Iterator[GalleryModel]:
    loader = ThumbnailLoader(QSize(40, 40))
    gallery = GalleryModel(loader)
    gallery.set_project(opened)
    yield gallery
    loader.shutdown()


def test_qt_model_tester_accepts_the_model_through_changes(
    qtmodeltester, qtbot: QtBot, model: GalleryModel, opened: Project, tmp_path: Path
) -> None:
    qtmodeltester.check(model)
    wait_for_thumbnails(qtbot, model)
    opened.import_media(write_images(tmp_path / "later", 3, seed=5))
    opened.remove_items(opened.item_ids()[2:4])
    opened.set_status(opened.item_ids()[0], "reviewed")

    model.refresh()  # the tester checks every row signal this emits
    qtmodeltester.check(model)

    assert model.rowCount() == IMAGE_COUNT + 1
    assert model.data(model.index(0), GalleryModel.StatusRole) == "reviewed"
    model.set_project(None)
    assert model.rowCount() == 0


def test_rows_are_fetched_by_page_only_when_asked_for(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(gallery_model, "PAGE_SIZE", 8)
    write_images(tmp_path / "many", 50, size=(16, 16))
    with Project.create(tmp_path / "many.studio") as project:
        project.import_media([tmp_path / "many"])
        fetched: list[list[int]] = []
        original = project.items_by_ids

        def spy(item_ids: list[int]) -> list:
            fetched.append(list(item_ids))
            return original(item_ids)

        monkeypatch.setattr(project, "items_by_ids", spy)
        ids = project.item_ids()
        loader = ThumbnailLoader(QSize(16, 16))
        model = GalleryModel(loader)
        model.set_project(project)

        assert model.rowCount() == 50
        assert fetched == []
        assert model.data(model.index(42)) == "image_0042.jpg"
        assert fetched == [ids[40:48]]
        assert model.data(model.index(47)) == "image_0047.jpg"
        assert model.data(model.index(40), Qt.ItemDataRole.ToolTipRole).startswith("many/")
        assert len(fetched) == 1  # the same page comes from the cache
        model.data(model.index(3))
        assert fetched[-1] == ids[0:8]
        loader.shutdown()


def test_refresh_reports_removed_rows_and_keeps_the_others(
    qtbot: QtBot, model: GalleryModel, opened: Project
) -> None:
    ids = opened.item_ids()
    opened.remove_items([ids[1], ids[2], ids[10]])
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))

    model.refresh()

    assert removed == [(10, 10), (1, 2)]
    assert resets == []
    assert [model.item_id(row) for row in range(model.rowCount())] == opened.item_ids()
    assert model.row_of(ids[11]) == 8


def test_refresh_resets_when_the_order_changes(
    qtbot: QtBot, model: GalleryModel, opened: Project, gallery_project: Path
) -> None:
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    first_id = opened.item_ids()[0]
    moved = gallery_project.parent / "zz_moved"
    moved.mkdir()
    (gallery_project.parent / "images" / "image_0000.jpg").rename(moved / "image_0000.jpg")
    assert opened.relink([moved]).relinked == [first_id]  # its path now sorts last

    model.refresh()

    assert resets == [True]
    assert model.item_id(model.rowCount() - 1) == first_id
    assert model.data(model.index(model.rowCount() - 1)) == "image_0000.jpg"


def test_thumbnails_arrive_in_batches_as_data_changed(qtbot: QtBot, model: GalleryModel) -> None:
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, _roles: changed.append((first.row(), last.row())))

    wait_for_thumbnails(qtbot, model)

    assert thumbnail_states(model) == ["ready"] * IMAGE_COUNT
    covered = sorted({row for first, last in changed for row in range(first, last + 1)})
    assert covered == list(range(IMAGE_COUNT))
    assert len(changed) < IMAGE_COUNT  # results were coalesced into ranges
    pixmap = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert pixmap.size() == QSize(40, 30)  # 64×48 scaled into the 40×40 display box


def test_a_loading_row_shows_the_loading_placeholder(model: GalleryModel) -> None:
    decoration = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)

    assert decoration.size() == QSize(40, 40)
    assert model.data(model.index(0), GalleryModel.ThumbnailStateRole) == "loading"


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1023, "1023 bytes"), (1536, "1.5 KB"), (5 * 1024**2, "5.0 MB")],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text
