"""Resources and themes: found in the checkout, every colour token filled in, applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QStyle, QStyleOptionButton
from pytestqt.qtbot import QtBot

from studio.gui import resources
from studio.gui.resources import icon, resource_path, resources_dir
from studio.gui.theme import THEMES, apply_theme, current_theme, style_sheet, theme_colors

REPOSITORY = Path(__file__).resolve().parents[2]


def test_resources_are_found_in_the_source_checkout() -> None:
    assert resources_dir() == REPOSITORY / "resources"


def test_resources_beside_the_package_are_found(tmp_path: Path, monkeypatch) -> None:
    beside = tmp_path / "studio" / "resources"
    (beside / "themes").mkdir(parents=True)
    (beside / "themes" / "style.qss").write_text("QWidget {}")
    monkeypatch.setattr(resources, "_CANDIDATES", (tmp_path / "nowhere", beside))
    resources_dir.cache_clear()
    try:
        assert resources_dir() == beside
    finally:
        resources_dir.cache_clear()


def test_missing_resources_are_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(resources, "_CANDIDATES", (tmp_path / "a", tmp_path / "b"))
    resources_dir.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="resources folder is missing"):
            resources_dir()
    finally:
        resources_dir.cache_clear()


def test_a_missing_resource_file_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match=r"missing resource .*no_such_icon"):
        resource_path("icons/no_such_icon.svg")


@pytest.mark.parametrize("name", THEMES)
def test_every_token_of_the_style_sheet_is_filled(name: str) -> None:
    sheet = style_sheet(theme_colors(name))

    assert "${" not in sheet
    assert theme_colors(name)["accent"] in sheet


def test_both_themes_define_the_same_colours() -> None:
    assert theme_colors("light").keys() == theme_colors("dark").keys()


def test_unknown_theme_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown theme 'sepia'"):
        theme_colors("sepia")


@pytest.mark.parametrize("name", THEMES)
def test_apply_theme_sets_palette_and_style_sheet(qtbot: QtBot, name: str) -> None:
    app = QApplication.instance()

    apply_theme(app, name)

    colors = theme_colors(name)
    assert current_theme(app) == name
    assert app.palette().color(QPalette.ColorRole.Base).name() == colors["base"]
    assert app.palette().color(QPalette.ColorRole.Highlight).name() == colors["accent"]
    assert colors["window"] in app.styleSheet()


@pytest.mark.parametrize("name", ["studio", "loading", "missing", "broken"])
def test_icons_load(qtbot: QtBot, name: str) -> None:
    assert not icon(name).pixmap(32, 32).isNull()


def test_an_unticked_check_box_stands_out_from_the_dark_background(qtbot: QtBot) -> None:
    app = QApplication.instance()
    before = current_theme(app) or "light"
    apply_theme(app, "dark")
    try:
        box = QCheckBox("Overwrite")
        qtbot.addWidget(box)
        box.show()
        qtbot.waitExposed(box)
        picture = box.grab().toImage()
        option = QStyleOptionButton()
        box.initStyleOption(option)
        indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
        edge = {  # from the left of the box to its middle, across its left border
            QColor(picture.pixel(x, indicator.center().y())).name()
            for x in range(indicator.left(), indicator.center().x())
        }
        background = QColor(theme_colors("dark")["window"])
        strongest = max(abs(QColor(c).lightness() - background.lightness()) for c in edge)
        assert strongest >= 60  # the border is clearly lighter than the window
    finally:
        apply_theme(app, before)
