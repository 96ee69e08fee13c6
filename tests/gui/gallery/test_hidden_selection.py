"""Selecting images the gallery's filter hides offers to show them, and then selects them."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.gui.gallery.hidden_selection import KEEP_FILTER, SHOW_THEM, hidden_text
from studio.gui.main_window import MainWindow


def shown_ids(window: MainWindow) -> list[int]:
    model = window.gallery_model
    return [model.item_id(row) for row in range(model.rowCount())]


def click(box: QMessageBox, text: str) -> None:
    next(button for button in box.buttons() if button.text() == text).click()


def test_hidden_images_are_offered_and_shown_with_the_filter_cleared(
    qtbot: QtBot, window: MainWindow
) -> None:
    every = shown_ids(window)
    window.gallery_pane.filter_bar.set_query({"status": ["done"]})
    done = shown_ids(window)
    wanted = [done[0], every[-1], every[-2]]  # one shown, two new images hidden

    box = window.select_items(wanted)

    assert box is not None
    assert box.isVisible()
    assert box.text() == "2 of the 3 images are hidden by the gallery's filter."
    assert window.gallery_pane.selected_ids() == [done[0]]
    click(box, SHOW_THEM)
    assert shown_ids(window) == every  # the filter is cleared
    assert sorted(window.gallery_pane.selected_ids()) == sorted(wanted)
    assert window.statusBar().currentMessage() == "3 images selected"


def test_keeping_the_filter_keeps_the_selection_of_the_shown_images(
    qtbot: QtBot, window: MainWindow
) -> None:
    every = shown_ids(window)
    window.gallery_pane.filter_bar.set_query({"status": ["done"]})
    done = shown_ids(window)

    box = window.select_items([done[0], every[-1]])
    click(box, KEEP_FILTER)

    assert shown_ids(window) == done
    assert window.gallery_pane.selected_ids() == [done[0]]
    assert window.statusBar().currentMessage() == (
        "1 image selected (1 hidden by the gallery's filter)"
    )


def test_nothing_is_asked_when_the_filter_hides_none(qtbot: QtBot, window: MainWindow) -> None:
    assert window.select_items(shown_ids(window)[:2]) is None
    assert window.statusBar().currentMessage() == "2 images selected"


def test_the_question_reads_well_for_one_and_for_all() -> None:
    assert hidden_text(1, 1) == "The image is hidden by the gallery's filter."
    assert hidden_text(14, 14) == "The 14 images are hidden by the gallery's filter."
    assert hidden_text(1, 5) == "1 of the 5 images is hidden by the gallery's filter."
