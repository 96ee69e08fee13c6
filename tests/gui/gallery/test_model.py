"""The gallery model: Qt's model tester, queries, lazy paging, badges, refreshes that keep rows
and the selection, thumbnails."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QListView
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery import model as gallery_model
from studio.gui.gallery.model import GalleryModel, human_size
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader
from tests.conftest import write_images
from tests.gui.conftest import DONE, IMAGE_COUNT, LABELED, thumbnail_states, wait_for_thumbnails
from tests.gui.gallery_helpers import make_current, select_ids, selected_ids


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
    gallery.set_project(None)
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


def test_rows_are_fetched_in_windows_only_when_asked_for(
    qtbot: QtBot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(gallery_model, "PAGE_SIZE", 8)
    monkeypatch.setattr(gallery_model, "PAGE_BEFORE", 2)
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
        assert fetched == [ids[40:48]]  # two rows before the one asked for, five after
        assert model.data(model.index(47)) == "image_0047.jpg"
        assert model.data(model.index(40), Qt.ItemDataRole.ToolTipRole).startswith("many/")
        assert len(fetched) == 1  # the same window comes from the cache
        assert model.data(model.index(38)) == "image_0038.jpg"
        assert fetched[-1] == ids[36:40]  # only the rows not cached yet
        model.data(model.index(3))
        assert fetched[-1] == ids[1:9]
        model.data(model.index(0))
        assert fetched[-1] == ids[0:1]
        model.set_screenful(12)  # a view of small thumbnails shows more rows than a page
        model.data(model.index(20))
        assert fetched[-1] == ids[18:32]  # two before, and a screenful from the row asked for
        model.set_project(None)
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


def test_a_changed_order_moves_rows_and_keeps_the_selection(
    qtbot: QtBot, model: GalleryModel, opened: Project, gallery_project: Path
) -> None:
    view = QListView()
    view.setModel(model)
    view.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
    ids = opened.item_ids()
    select_ids(view, [ids[0], ids[5], ids[6]])
    make_current(view, ids[5])
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    moved = gallery_project.parent / "zz_moved"
    moved.mkdir()
    (gallery_project.parent / "images" / "image_0000.jpg").rename(moved / "image_0000.jpg")
    assert opened.relink([moved]).relinked == [ids[0]]  # its path now sorts last

    model.refresh()

    assert resets == []
    assert model.item_id(model.rowCount() - 1) == ids[0]
    assert model.data(model.index(model.rowCount() - 1)) == "image_0000.jpg"
    assert selected_ids(view) == {ids[0], ids[5], ids[6]}
    assert model.item_id(view.currentIndex().row()) == ids[5]


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


@pytest.fixture
def view(qtbot: QtBot, model: GalleryModel) -> QListView:
    shown = QListView()
    qtbot.addWidget(shown)
    shown.setModel(model)
    shown.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
    return shown


def test_qt_model_tester_accepts_the_model_through_queries(
    qtmodeltester, model: GalleryModel, opened: Project, view: QListView
) -> None:
    qtmodeltester.check(model)
    select_ids(view, opened.item_ids()[::3])
    queries = [
        {"status": ["done"]},  # one block of rows stays
        {"text": "1"},  # scattered rows: one layout change
        {"sort": "status", "descending": True},  # every row moves
        {"label": ["cat"], "sort": "date"},
        {"status": ["rejected"]},  # nothing matches
        {},
    ]
    for query in queries:
        model.set_query(**query)
        assert model.ids() == opened.item_ids(**query), query
        assert model.query == query
        qtmodeltester.check(model)


def test_a_query_keeps_the_selection_of_the_rows_that_stay(
    model: GalleryModel, opened: Project, view: QListView
) -> None:
    ids = opened.item_ids()
    chosen = [ids[0], ids[3], ids[12], ids[25]]
    select_ids(view, chosen)
    make_current(view, ids[12])

    model.set_query(status=["new"], descending=True)  # ids[0] and ids[3] are done

    assert selected_ids(view) == {ids[12], ids[25]}
    assert model.item_id(view.currentIndex().row()) == ids[12]
    model.set_query()
    assert selected_ids(view) == {ids[12], ids[25]}
    assert model.ids() == ids


def test_refresh_keeps_the_query(model: GalleryModel, opened: Project) -> None:
    model.set_query(status="new")
    first_new = model.item_id(0)

    opened.set_status(first_new, "done")
    model.refresh()

    assert first_new not in model.ids()
    assert model.ids() == opened.item_ids(status="new")
    assert len(model.ids()) == IMAGE_COUNT - LABELED - 1


def test_an_invalid_query_is_refused_and_changes_nothing(
    model: GalleryModel, opened: Project
) -> None:
    model.set_query(status="done")

    with pytest.raises(ValueError, match="unknown status 'finished'"):
        model.set_query(status="finished")
    with pytest.raises(ValueError, match="unknown sort 'size'"):
        model.set_query(sort="size")

    assert model.query == {"status": "done"}
    assert model.ids() == opened.item_ids(status="done")
    assert model.rowCount() == DONE


def test_a_new_project_starts_without_a_query(model: GalleryModel, opened: Project) -> None:
    model.set_query(status="done")

    model.set_project(opened)

    assert model.query == {}
    assert model.rowCount() == IMAGE_COUNT


def test_badge_roles_hold_counts_and_class_colours_in_class_order(
    model: GalleryModel, opened: Project
) -> None:
    ids = opened.item_ids()
    opened.add_classes([{"name": "bird", "color": "#123456"}])
    opened.update_class("dog", color="#00ff00")
    opened.add_annotations(
        [
            {"item_id": ids[0], "label": "bird", "box": [1, 1, 5, 5]},
            {"item_id": ids[0], "label": "cat", "box": [2, 2, 5, 5]},
            {"item_id": ids[0], "label": "bird"},
        ]
    )
    model.refresh()
    colors = {record.name: record.color for record in opened.classes()}

    def badge(row: int) -> tuple[int, list[str], list[str]]:
        index = model.index(row)
        return (
            model.data(index, GalleryModel.AnnotationCountRole),
            model.data(index, GalleryModel.ClassColorsRole),
            model.data(index, GalleryModel.ClassNamesRole),
        )

    # the fixture gave item n a box of "dog" for even n, "cat" for odd n (n < 10)
    assert badge(0) == (4, [colors["cat"], "#00ff00", "#123456"], ["cat", "dog", "bird"])
    assert badge(1) == (1, [colors["cat"]], ["cat"])
    assert badge(2) == (1, ["#00ff00"], ["dog"])
    assert badge(LABELED) == (0, [], [])
    assert "4 annotations: cat, dog, bird" in model.data(
        model.index(0), Qt.ItemDataRole.ToolTipRole
    )


def test_a_project_closed_under_the_model_shows_nothing_instead_of_raising(
    qtbot: QtBot, gallery_project: Path
) -> None:
    loader = ThumbnailLoader(QSize(16, 16))
    model = GalleryModel(loader)
    project = Project.open(gallery_project)
    model.set_project(project)

    project.close()  # as a closing window does before it lets go of the model

    assert model.data(model.index(3)) is None
    assert model.cell(3) is None
    model.set_project(None)
    loader.shutdown()


def test_one_thumbnail_repaints_every_item_with_that_content(qtbot: QtBot, tmp_path: Path) -> None:
    """Kept duplicates are two items with one sha256: the one request serves both rows."""
    (image,) = write_images(tmp_path / "pets/cat", 1)
    (tmp_path / "pets/dog").mkdir()
    shutil.copy(image, tmp_path / "pets/dog" / image.name)
    loader = ThumbnailLoader(QSize(40, 40))
    gallery = GalleryModel(loader)
    changed: set[int] = set()
    gallery.dataChanged.connect(
        lambda first, last, _roles: changed.update(range(first.row(), last.row() + 1))
    )
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(tmp_path / "pets", format="class_folders", keep_duplicates=True)
        gallery.set_project(project)
        for row in (0, 1):
            gallery.data(gallery.index(row), Qt.ItemDataRole.DecorationRole)
        qtbot.waitUntil(lambda: changed == {0, 1}, timeout=10_000)
        assert thumbnail_states(gallery) == ["ready", "ready"]
        gallery.set_project(None)
    loader.shutdown()


def test_a_new_thumbnail_size_shows_the_old_thumbnails_until_the_new_ones_come(
    qtbot: QtBot, model: GalleryModel
) -> None:
    wait_for_thumbnails(qtbot, model)
    first = model.index(0)
    old = model.data(first, Qt.ItemDataRole.DecorationRole)
    assert old.size() == QSize(40, 30)  # the 64×48 images fitted in 40×40

    model.set_thumbnail_size(QSize(96, 96))

    assert model.data(first, Qt.ItemDataRole.DecorationRole).cacheKey() == old.cacheKey()
    assert model.data(first, GalleryModel.ThumbnailStateRole) == "loading"
    wait_for_thumbnails(qtbot, model)
    assert model.data(first, Qt.ItemDataRole.DecorationRole).size() == QSize(96, 72)
