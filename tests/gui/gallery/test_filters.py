"""The filter and sort bar: each setting gives exactly the items (and order) of the API query."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery import filters as gallery_filters
from studio.gui.gallery.filters import GalleryFilterBar, MultiChoiceButton
from studio.gui.gallery.model import GalleryModel
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader
from tests.conftest import write_images

COUNT = 24
STATUSES = ["new", "in_progress", "done", "done_empty", "reviewed", "rejected"]


@pytest.fixture(scope="module")
def filter_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 items in two imports with every status, split, tags, and human, model and SAM
    annotations of three classes with scores; some suggestions accepted, some rejected."""
    root = tmp_path_factory.mktemp("filters")
    write_images(root / "images" / "a", COUNT // 2, size=(32, 24), seed=1)
    write_images(root / "images" / "b", COUNT // 2, size=(32, 24), seed=2)
    path = root / "filters.studio"
    with Project.create(path, author="tester") as project:
        project.add_classes(["cat", "dog", "bird"])
        project.import_media([root / "images" / "b"])  # b is older, though it sorts later
        project.import_media([root / "images" / "a"])
        ids = project.item_ids()
        for n, status in enumerate(STATUSES):
            project.set_status(ids[n::6], status)
        project.set_split(ids[0::4], "train")
        project.set_split(ids[1::4], "val")
        project.set_split(ids[2::4], "test")
        project.tag_items(ids[::3], add="hard")
        project.tag_items(ids[1::5], add="blurry")
        specs: list[dict[str, Any]] = []
        for n, item_id in enumerate(ids):
            if n % 3 == 0:
                specs.append({"item_id": item_id, "label": "cat", "box": [1, 1, 5, 5]})
            if n % 4 == 1:
                score = (n % 10) / 10
                specs.append(
                    {"item_id": item_id, "label": "dog", "source": "model", "score": score}
                )
            if n % 5 == 2:
                polygon = [(0, 0), (8, 0), (8, 8)]
                specs.append(
                    {"item_id": item_id, "label": "bird", "polygon": polygon, "source": "sam"}
                )
                specs[-1]["score"] = 0.95 - n / 100
        new_ids = project.add_annotations(specs)
        by_source = {
            source: [
                i for i, spec in zip(new_ids, specs, strict=True) if spec.get("source") == source
            ]
            for source in ("sam", "model")
        }
        project.accept_suggestions(by_source["sam"][::2])
        project.reject_suggestions(by_source["model"][::3])
    return path


@pytest.fixture
def opened(filter_project: Path) -> Iterator[Project]:
    with Project.open(filter_project) as project:
        yield project


@pytest.fixture
def model(qtbot: QtBot, opened: Project) -> Iterator[GalleryModel]:
    loader = ThumbnailLoader(QSize(16, 16))
    gallery = GalleryModel(loader)
    gallery.set_project(opened)
    yield gallery
    gallery.set_project(None)
    loader.shutdown()


@pytest.fixture
def bar(qtbot: QtBot, opened: Project, model: GalleryModel) -> GalleryFilterBar:
    """A shown filter bar wired to the gallery model, as the window wires them."""
    shown = GalleryFilterBar()
    qtbot.addWidget(shown)
    shown.set_classes(opened.classes())
    shown.query_changed.connect(lambda query: model.set_query(**query))
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def tick(button: MultiChoiceButton, *texts: str) -> None:
    """Tick menu entries by their text, as clicking them would."""
    actions = {action.text(): action for action in button.menu().actions()}
    for text in texts:
        actions[text].trigger()


def class_id(project: Project, name: str) -> int:
    return next(record.id for record in project.classes() if record.name == name)


def type_into(qtbot: QtBot, bar: GalleryFilterBar, edit_name: str, text: str) -> None:
    edit = getattr(bar, edit_name)
    with qtbot.waitSignal(bar.query_changed, timeout=2000):
        qtbot.keyClicks(edit, text)


def set_sort(bar: GalleryFilterBar, key: str, descending: bool) -> None:
    bar.sort_combo.setCurrentIndex(bar.sort_combo.findData(key))
    if bar.order_button.isChecked() != descending:
        bar.order_button.click()


Setting = Callable[[QtBot, GalleryFilterBar, Project], None]
CASES: list[tuple[str, Setting, Callable[[Project], dict[str, Any]]]] = [
    ("status", lambda q, b, p: tick(b.status_button, "done"), lambda p: {"status": ["done"]}),
    (
        "statuses",
        lambda q, b, p: tick(b.status_button, "rejected", "new"),
        lambda p: {"status": ["new", "rejected"]},
    ),
    ("split", lambda q, b, p: tick(b.split_button, "val"), lambda p: {"split": ["val"]}),
    (
        "no split",
        lambda q, b, p: tick(b.split_button, "no split", "test"),
        lambda p: {"split": ["test", "none"]},
    ),
    (
        "class",
        lambda q, b, p: tick(b.class_button, "dog"),
        lambda p: {"label": [class_id(p, "dog")]},
    ),
    (
        "classes",
        lambda q, b, p: tick(b.class_button, "bird", "cat"),
        lambda p: {"label": [class_id(p, "cat"), class_id(p, "bird")]},
    ),
    ("source", lambda q, b, p: tick(b.source_button, "SAM"), lambda p: {"source": ["sam"]}),
    (
        "sources",
        lambda q, b, p: tick(b.source_button, "model", "human"),
        lambda p: {"source": ["human", "model"]},
    ),
    (
        "review",
        lambda q, b, p: tick(b.review_button, "pending"),
        lambda p: {"review": ["pending"]},
    ),
    (
        "reviews",
        lambda q, b, p: tick(b.review_button, "rejected", "accepted"),
        lambda p: {"review": ["accepted", "rejected"]},
    ),
    ("score min", lambda q, b, p: b.score_min_box.setValue(0.5), lambda p: {"score_min": 0.5}),
    ("score max", lambda q, b, p: b.score_max_box.setValue(0.3), lambda p: {"score_max": 0.3}),
    (
        "score range",
        lambda q, b, p: (b.score_min_box.setValue(0.2), b.score_max_box.setValue(0.8)),
        lambda p: {"score_min": 0.2, "score_max": 0.8},
    ),
    ("name", lambda q, b, p: type_into(q, b, "text_edit", "0003"), lambda p: {"text": "0003"}),
    (
        "folder",
        lambda q, b, p: type_into(q, b, "text_edit", "A/IMAGE"),
        lambda p: {"text": "A/IMAGE"},
    ),
    ("tag", lambda q, b, p: type_into(q, b, "tag_edit", "blurry"), lambda p: {"tag": "blurry"}),
    (
        "together",
        lambda q, b, p: (tick(b.status_button, "done", "new"), tick(b.class_button, "cat")),
        lambda p: {"status": ["new", "done"], "label": [class_id(p, "cat")]},
    ),
]
SORTS = [
    (key, descending) for key in ("name", "date", "status", "score") for descending in (False, True)
]


@pytest.mark.parametrize(("name", "setting", "expected"), CASES, ids=[case[0] for case in CASES])
def test_each_filter_gives_the_items_of_the_api_query(
    qtbot: QtBot,
    bar: GalleryFilterBar,
    model: GalleryModel,
    opened: Project,
    name: str,
    setting: Setting,
    expected: Callable[[Project], dict[str, Any]],
) -> None:
    setting(qtbot, bar, opened)

    query = expected(opened)
    assert bar.query() == {**query, "sort": "name", "descending": False}
    shown = model.ids()
    assert shown == opened.item_ids(**query)
    assert 0 < len(shown) < COUNT  # the filter keeps some items and drops others


@pytest.mark.parametrize(("key", "descending"), SORTS)
def test_each_sort_gives_the_order_of_the_api_query(
    bar: GalleryFilterBar, model: GalleryModel, opened: Project, key: str, descending: bool
) -> None:
    tick(bar.split_button, "train", "val")  # sorting a filtered list

    set_sort(bar, key, descending)

    assert bar.query() == {"split": ["train", "val"], "sort": key, "descending": descending}
    assert model.ids() == opened.item_ids(split=["train", "val"], sort=key, descending=descending)


def test_the_sorts_differ_on_this_project(opened: Project) -> None:
    orders = {tuple(opened.item_ids(sort=key, descending=d)) for key, d in SORTS}
    assert len(orders) == len(SORTS)


def test_typing_waits_for_a_pause_then_emits_once(qtbot: QtBot, bar: GalleryFilterBar) -> None:
    emitted: list[dict[str, Any]] = []
    bar.query_changed.connect(emitted.append)

    qtbot.keyClicks(bar.text_edit, "image_00")
    assert emitted == []
    qtbot.waitUntil(lambda: len(emitted) == 1, timeout=2000)
    qtbot.wait(gallery_filters.TEXT_DELAY_MS + 50)

    assert emitted == [{"text": "image_00", "sort": "name", "descending": False}]


def test_enter_applies_the_text_at_once_and_escape_clears_it(
    qtbot: QtBot, bar: GalleryFilterBar, model: GalleryModel
) -> None:
    emitted: list[dict[str, Any]] = []
    bar.query_changed.connect(emitted.append)
    qtbot.keyClicks(bar.text_edit, "0001")

    qtbot.keyClick(bar.text_edit, Qt.Key.Key_Return)
    assert [query.get("text") for query in emitted] == ["0001"]
    qtbot.keyClick(bar.text_edit, Qt.Key.Key_Escape)

    assert bar.text_edit.text() == ""
    qtbot.waitUntil(lambda: len(emitted) == 2, timeout=2000)
    assert "text" not in emitted[-1]
    assert model.rowCount() == COUNT


def test_a_typed_score_counts_on_enter(
    qtbot: QtBot, bar: GalleryFilterBar, model: GalleryModel, opened: Project
) -> None:
    bar.score_min_box.lineEdit().selectAll()
    qtbot.keyClicks(bar.score_min_box, "0.45")
    assert "score_min" not in bar.query()  # no query per keystroke

    with qtbot.waitSignal(bar.query_changed, timeout=1000):
        qtbot.keyClick(bar.score_min_box, Qt.Key.Key_Return)

    assert model.ids() == opened.item_ids(score_min=0.45)


def test_the_status_menu_stays_open_for_several_ticks(
    qtbot: QtBot, bar: GalleryFilterBar, model: GalleryModel, opened: Project
) -> None:
    qtbot.mouseClick(bar.status_button, Qt.MouseButton.LeftButton)
    menu = bar.status_button.menu()
    qtbot.waitUntil(menu.isVisible)
    for text in ("done", "reviewed"):
        action = next(a for a in menu.actions() if a.text() == text)
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
        assert menu.isVisible()
    menu.hide()

    assert bar.status_button.isChecked()  # pressed in: it filters
    assert bar.status_button.toolTip() == "Status (2): done, reviewed"
    assert model.ids() == opened.item_ids(status=["done", "reviewed"])


def test_any_unticks_every_choice(bar: GalleryFilterBar, model: GalleryModel) -> None:
    tick(bar.source_button, "model", "SAM", "human")
    assert bar.source_button.toolTip() == "Source (3): human, model, SAM"

    tick(bar.source_button, "Any")

    assert bar.source_button.toolTip() == "Source: any"
    assert not bar.source_button.isChecked()
    assert "source" not in bar.query()
    assert model.rowCount() == COUNT


def test_clear_drops_the_filters_and_keeps_the_sort(
    qtbot: QtBot, bar: GalleryFilterBar, model: GalleryModel
) -> None:
    tick(bar.status_button, "done")
    set_sort(bar, "date", True)
    bar.score_max_box.setValue(0.9)

    qtbot.mouseClick(bar.clear_button, Qt.MouseButton.LeftButton)

    assert bar.query() == {"sort": "date", "descending": True}
    assert model.rowCount() == COUNT


def test_set_query_shows_a_query_and_emits_once(
    bar: GalleryFilterBar, model: GalleryModel, opened: Project
) -> None:
    emitted: list[dict[str, Any]] = []
    bar.query_changed.connect(emitted.append)
    query = {
        "status": ["new", "done"],
        "split": ["train"],
        "label": [class_id(opened, "cat")],
        "score_max": 0.9,
        "text": "image",
        "tag": "hard",
        "sort": "status",
        "descending": True,
    }

    bar.set_query(query)

    assert emitted == [query]
    assert bar.query() == query
    assert bar.status_button.toolTip() == "Status (2): new, done"
    assert model.ids() == opened.item_ids(**query)


def test_set_query_refuses_unknown_fields_and_sorts(bar: GalleryFilterBar) -> None:
    with pytest.raises(ValueError, match=r"no field \['colour'\]"):
        bar.set_query({"colour": "red"})
    with pytest.raises(ValueError, match="unknown sort 'size'"):
        bar.set_query({"sort": "size"})
    assert bar.query() == {"sort": "name", "descending": False}


def test_a_class_that_goes_away_is_unticked(bar: GalleryFilterBar, opened: Project) -> None:
    tick(bar.class_button, "cat", "dog")
    emitted: list[dict[str, Any]] = []
    bar.query_changed.connect(emitted.append)

    bar.set_classes([record for record in opened.classes() if record.name != "dog"])

    assert [action.text() for action in bar.class_button.menu().actions()][:2] == ["cat", "bird"]
    assert emitted == [{"label": [class_id(opened, "cat")], "sort": "name", "descending": False}]


def test_the_shortcut_actions_focus_clear_and_reverse(qtbot: QtBot, bar: GalleryFilterBar) -> None:
    bar.addActions(bar.shortcut_actions())
    tick(bar.status_button, "done")
    bar.sort_combo.setFocus()

    qtbot.keyClick(bar.sort_combo, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(bar.text_edit.hasFocus)
    qtbot.keyClick(
        bar.text_edit,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert bar.query()["descending"] is True
    qtbot.keyClick(
        bar.text_edit,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )

    assert bar.query() == {"sort": "name", "descending": True}


def test_ticking_choices_never_widens_a_button_nor_the_bar(bar: GalleryFilterBar) -> None:
    buttons = [bar.status_button, bar.class_button, bar.review_button]
    widths = [button.width() for button in buttons]
    bar_width = bar.minimumSizeHint().width()

    tick(bar.status_button, "in progress")
    tick(bar.class_button, "cat", "dog", "bird")
    tick(bar.review_button, "accepted")

    assert [button.width() for button in buttons] == widths
    assert bar.minimumSizeHint().width() == bar_width
    assert bar.status_button.text() == "Status"
    assert bar.class_button.isChecked()
    assert bar.class_button.toolTip() == "Class (3): cat, dog, bird"
    assert bar.status_button.toolTip() == "Status: in progress"
