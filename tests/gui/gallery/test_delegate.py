"""The gallery's cells as drawn: status label, annotation count and class colours."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery.delegate import (
    BADGE_INSET,
    CHIP_GAP,
    CHIP_SIZE,
    COUNT_BACKGROUND,
    STATUS_COLORS,
    GalleryDelegate,
)
from studio.gui.gallery.model import GalleryModel
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader
from studio.gui.gallery.view import GalleryView
from tests.gui.conftest import LABELED, wait_for_thumbnails


@pytest.fixture
def shown(qtbot: QtBot, gallery_project: Path) -> Iterator[tuple[GalleryView, Project]]:
    """The gallery of the conftest project; item 0 also gets a "bird" (#123456) box."""
    project = Project.open(gallery_project)
    ids = project.item_ids()
    project.add_classes([{"name": "bird", "color": "#123456"}])
    project.update_class("dog", color="#00c000")
    project.annotate(ids[0], "bird", box=[1, 1, 8, 8])
    project.set_status(ids[2], "rejected")
    loader = ThumbnailLoader(QSize(160, 120))
    model = GalleryModel(loader)
    model.set_project(project)
    view = GalleryView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    wait_for_thumbnails(qtbot, model)
    yield view, project
    model.set_project(None)
    loader.shutdown()
    project.close()


def cell_image(view: GalleryView, row: int) -> tuple[QImage, QPoint]:
    """The viewport as drawn, and the top left of `row`'s thumbnail box in it."""
    delegate = view.itemDelegate()
    assert isinstance(delegate, GalleryDelegate)
    box = delegate.thumbnail_box(view.visualRect(view.model().index(row)))
    return view.viewport().grab().toImage(), box.topLeft()


def box_size(view: GalleryView) -> QSize:
    delegate = view.itemDelegate()
    assert isinstance(delegate, GalleryDelegate)
    return delegate.thumbnail_size


def chip_center(view: GalleryView, corner: QPoint, position: int) -> QPoint:
    height = box_size(view).height()
    x = corner.x() + BADGE_INSET + position * (CHIP_SIZE + CHIP_GAP) + CHIP_SIZE // 2
    y = corner.y() + height - 1 - BADGE_INSET - CHIP_SIZE // 2
    return QPoint(x, y)


def same(color: QColor, expected: QColor) -> bool:
    return (color.red(), color.green(), color.blue()) == (
        expected.red(),
        expected.green(),
        expected.blue(),
    )


def test_a_labeled_cell_shows_status_count_and_class_colours(
    shown: tuple[GalleryView, Project],
) -> None:
    view, _ = shown
    image, corner = cell_image(view, 0)  # done; a dog box and a bird box

    status_point = corner + QPoint(BADGE_INSET + 1, BADGE_INSET + 6)
    assert same(image.pixelColor(status_point), STATUS_COLORS["done"])
    count_point = corner + QPoint(box_size(view).width() - BADGE_INSET - 2, BADGE_INSET + 6)
    _, plain_corner = cell_image(view, LABELED)  # the same spot of a cell without a count
    plain = image.pixelColor(plain_corner + (count_point - corner))
    assert image.pixelColor(count_point).lightness() < plain.lightness() - 60
    assert same(image.pixelColor(chip_center(view, corner, 0)), QColor("#00c000"))
    assert same(image.pixelColor(chip_center(view, corner, 1)), QColor("#123456"))


def test_cells_follow_their_own_status_and_classes(shown: tuple[GalleryView, Project]) -> None:
    view, _ = shown
    image, corner = cell_image(view, 2)  # rejected, one dog box

    assert same(
        image.pixelColor(corner + QPoint(BADGE_INSET + 1, BADGE_INSET + 6)),
        STATUS_COLORS["rejected"],
    )
    assert same(image.pixelColor(chip_center(view, corner, 0)), QColor("#00c000"))
    assert not same(image.pixelColor(chip_center(view, corner, 1)), QColor("#123456"))


def test_an_unlabeled_cell_has_no_count_and_no_chips(shown: tuple[GalleryView, Project]) -> None:
    view, _ = shown
    model = view.model()
    assert model.data(model.index(LABELED), GalleryModel.AnnotationCountRole) == 0
    image, corner = cell_image(view, LABELED)

    count_point = corner + QPoint(box_size(view).width() - BADGE_INSET - 2, BADGE_INSET + 6)
    assert not same(image.pixelColor(count_point), COUNT_BACKGROUND)
    chip = image.pixelColor(chip_center(view, corner, 0))
    assert not same(chip, QColor("#00c000"))
    assert not same(chip, QColor("#123456"))
    assert same(
        image.pixelColor(corner + QPoint(BADGE_INSET + 1, BADGE_INSET + 6)), STATUS_COLORS["new"]
    )


def test_a_small_image_fills_its_box_with_sharp_pixels(qtbot: QtBot, tmp_path: Path) -> None:
    """A 4×4 image (black columns left, white right) drawn in a 128 px box: enlarged
    nearest-neighbour, the edge between black and white stays one pixel sharp."""
    (tmp_path / "images").mkdir()
    pixels = np.zeros((4, 4, 3), np.uint8)
    pixels[:, 2:] = 255
    Image.fromarray(pixels).save(tmp_path / "images" / "tiny.png")
    with Project.create(tmp_path / "tiny.studio") as project:
        project.import_media([tmp_path / "images"])
        loader = ThumbnailLoader(QSize(128, 128))
        model = GalleryModel(loader)
        model.set_project(project)
        view = GalleryView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.resize(300, 300)
        view.show()
        wait_for_thumbnails(qtbot, model)
        image, corner = cell_image(view, 0)
        model.set_project(None)
        loader.shutdown()

    middle_row = corner.y() + 64
    assert box_size(view) == QSize(128, 128)
    assert image.pixelColor(corner.x() + 2, middle_row).lightness() < 40  # filled to the edge
    assert image.pixelColor(corner.x() + 125, middle_row).lightness() > 215
    assert image.pixelColor(corner.x() + 62, middle_row).lightness() < 40  # no blur between
    assert image.pixelColor(corner.x() + 66, middle_row).lightness() > 215
