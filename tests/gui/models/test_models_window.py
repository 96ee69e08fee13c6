"""The Models menu of the main window: its shortcuts, the dock, the Runs view's context
menu, and `MainWindow.open_item`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from studio.gui.models.alias_dialog import AliasDialog
from studio.gui.models.export_dialog import ExportModelDialog
from studio.gui.models.register_dialog import RegisterModelDialog

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(open_window: Callable[[Path], MainWindow], digits_path: Path) -> MainWindow:
    return open_window(digits_path)


def only_dialog(window: MainWindow, kind: type) -> object:
    found = [d for d in window.findChildren(kind) if d.isVisible()]
    assert len(found) == 1, found
    return found[0]


def test_models_shortcuts_register_edit_aliases_and_export(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.registry.conflicts() == {}
    docks = window.training_docks
    assert not docks["models"].isVisible()
    qtbot.keyClick(window.gallery, Qt.Key.Key_M, CTRL | ALT)
    assert docks["models"].isVisible()
    assert not window.menu_actions["edit_aliases"].isEnabled()  # no version selected

    second = window.project.run("second").id
    window.runs_view.select_run(second)
    qtbot.keyClick(window.gallery, Qt.Key.Key_R, CTRL | ALT)
    register = only_dialog(window, RegisterModelDialog)
    assert register.selected_run().id == second
    register.name_combo.setEditText("digits")
    qtbot.mouseClick(register.register_button, Qt.MouseButton.LeftButton)
    assert [record.ref for record in window.project.models()] == ["digits:1"]
    view = window.training.models_view
    assert view.selected_record().ref == "digits:1"  # shown and selected
    assert "Registered digits:1" in window.statusBar().currentMessage()

    qtbot.keyClick(window.gallery, Qt.Key.Key_A, CTRL | ALT)
    aliases = only_dialog(window, AliasDialog)
    assert aliases.set_alias("production")
    aliases.close()
    assert window.project.model("digits:production").run_name == "second"
    assert view.model.data(view.model.index(0, 2)) == "production"

    qtbot.keyClick(window.gallery, Qt.Key.Key_X, CTRL | ALT)
    export = only_dialog(window, ExportModelDialog)
    assert export.source() == "digits:1"  # the model version was picked last
    assert export.out_edit.text().endswith("digits-1")
    export.close()

    window.runs_view.select_run(window.project.run("first").id)
    qtbot.keyClick(window.gallery, Qt.Key.Key_X, CTRL | ALT)
    export = only_dialog(window, ExportModelDialog)
    assert export.source() == str(window.project.run("first").id)
    assert export.checkpoint_combo.currentData() == "best.pt"
    export.close()


def test_the_help_overlay_and_the_runs_menu_list_the_models_actions(window: MainWindow) -> None:
    window.help_overlay.open()
    text = window.help_overlay.text()
    for title in ("Register a run's checkpoint as a model…", "Export a model as a deployment"):
        assert title in text
    window.help_overlay.hide()
    titles = [action.objectName() for action in window.runs_view.table.actions()]
    assert {"register_model", "export_model"} <= set(titles)


def test_a_model_registered_by_another_process_appears_on_polling(
    qtbot: QtBot, window: MainWindow, digits_path: Path
) -> None:
    with Project.open(digits_path, author="cli") as other:
        other.register_model("first", name="from-cli")
    view = window.training.models_view
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=10_000)
    assert view.model.record_at(0).ref == "from-cli:1"


def test_open_item_clears_a_filter_that_hides_it_and_shows_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    project = window.project
    items = {Path(item.path).name: item.id for item in project.items()}
    wanted = items["digit_0007.png"]
    window.filter_bar.set_query({"text": "digit_0001"})
    assert window.gallery_model.row_of(wanted) is None

    shown: list[str] = []
    window.workspace.canvas.image_shown.connect(shown.append)

    window.open_item(wanted)

    qtbot.waitUntil(lambda: "full" in shown, timeout=10_000)  # the image is on the canvas
    assert window.filter_bar.query().get("text") is None
    row = window.gallery_model.row_of(wanted)
    assert row is not None
    assert window.gallery.currentIndex().row() == row
    assert [i.row() for i in window.gallery.selectionModel().selectedIndexes()] == [row]
    assert window.workspace.controller.item.id == wanted
    assert window.workspace.navigator.item_id == wanted


def test_the_runs_view_error_analysis_opens_items_in_the_canvas(
    qtbot: QtBot, window: MainWindow
) -> None:
    wanted = window.gallery_model.item_id(5)
    window.runs_view.open_item_requested.emit(wanted)  # what its analysis window relays
    assert window.workspace.controller.item.id == wanted
    assert window.gallery.currentIndex().row() == 5


def test_open_item_of_an_unknown_image_says_so(window: MainWindow) -> None:
    before = window.workspace.controller.item
    window.open_item(999_999)
    assert window.workspace.controller.item == before  # the shown image stays
    assert "Image 999999 is not in the project" in window.statusBar().currentMessage()
