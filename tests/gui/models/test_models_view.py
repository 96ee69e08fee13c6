"""The Models view on versions registered through the API: the table, aliases, lineage."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.models.alias_dialog import AliasDialog
from studio.gui.models.models_model import COLUMN_KEYS
from studio.gui.models.models_view import ModelsView


@pytest.fixture
def registered(digits: Project) -> Project:
    first, second = (run.id for run in digits.runs())
    digits.register_model(first, name="digits", notes="the baseline\nsecond line")
    digits.register_model(second, name="digits")
    digits.register_model(second, name="other", checkpoint="last.pt")
    digits.set_alias("digits", 2, "candidate")
    return digits


@pytest.fixture
def view(qtbot: QtBot, registered: Project) -> ModelsView:
    shown = ModelsView()
    qtbot.addWidget(shown)
    shown.resize(1100, 420)
    shown.set_project(registered)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def cell(view: ModelsView, row: int, key: str) -> str:
    return view.model.data(view.model.index(row, COLUMN_KEYS.index(key)))


def column(view: ModelsView, key: str) -> list[str]:
    return [cell(view, row, key) for row in range(view.model.rowCount())]


def aliases_of(project: Project, name: str) -> dict[int, tuple[str, ...]]:
    return {record.version: record.aliases for record in project.models(name)}


def test_the_table_lists_versions_registered_through_the_api(view: ModelsView) -> None:
    assert view.model.rowCount() == 3
    assert column(view, "name") == ["digits", "digits", "other"]
    assert column(view, "version") == ["1", "2", "1"]
    assert column(view, "aliases") == ["", "candidate", ""]
    assert column(view, "run") == ["first", "second", "second"]
    assert column(view, "dataset") == ["v1", "v1", "v1"]
    assert column(view, "test") == ["accuracy 0.8", "accuracy 0.95", ""]  # last.pt: no evaluation
    assert column(view, "checkpoint") == ["best.pt", "best.pt", "last.pt"]
    assert cell(view, 0, "notes") == "the baseline"
    assert view.count_label.text() == "3 model versions"
    assert not view.alias_button.isEnabled()  # nothing selected


def test_a_version_registered_elsewhere_appears_on_refresh(
    view: ModelsView, registered: Project
) -> None:
    view.select_version(registered.model("digits:2").id)
    registered.register_model(registered.runs()[0].id, name="digits", checkpoint="last.pt")
    view.refresh()
    assert column(view, "version") == ["1", "2", "3", "1"]
    assert view.selected_record().ref == "digits:2"  # the selection follows its version


def test_setting_and_moving_an_alias_through_the_dialog(
    qtbot: QtBot, view: ModelsView, registered: Project
) -> None:
    view.select_version(registered.model("digits:1").id)
    dialog = view.edit_aliases()
    assert isinstance(dialog, AliasDialog)
    qtbot.keyClicks(dialog.alias_combo.lineEdit(), "production")
    qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
    assert aliases_of(registered, "digits") == {1: ("production",), 2: ("candidate",)}
    assert column(view, "aliases") == ["production", "candidate", ""]
    assert [dialog.current_list.item(0).text()] == ["production"]
    dialog.close()

    view.select_version(registered.model("digits:2").id)  # move production to version 2
    dialog = view.edit_aliases()
    dialog.alias_combo.setEditText("production")
    assert "is on version 1 now" in dialog.hint.text()
    qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
    assert aliases_of(registered, "digits") == {1: (), 2: ("candidate", "production")}
    assert column(view, "aliases") == ["", "candidate, production", ""]
    assert registered.model("digits:production").version == 2

    dialog.current_list.setCurrentRow(0)  # remove "candidate"
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert aliases_of(registered, "digits") == {1: (), 2: ("production",)}
    assert column(view, "aliases") == ["", "production", ""]


def test_an_alias_the_registry_refuses_is_explained(
    qtbot: QtBot, view: ModelsView, registered: Project
) -> None:
    view.select_version(registered.model("digits:1").id)
    dialog = view.edit_aliases()
    dialog.alias_combo.setEditText("v3")
    qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
    assert dialog.error.isVisible()
    assert "'v3' cannot be an alias" in dialog.error.text()
    assert aliases_of(registered, "digits") == {1: (), 2: ("candidate",)}


def test_the_context_menu_removes_an_alias(view: ModelsView, registered: Project) -> None:
    view.select_version(registered.model("digits:2").id)
    menu = view.context_menu()
    titles = [action.text() for action in menu.actions()]
    assert "Remove alias “candidate”" in titles
    assert "Copy reference “digits:2”" in titles
    next(a for a in menu.actions() if a.text() == "Remove alias “candidate”").trigger()
    assert aliases_of(registered, "digits") == {1: (), 2: ()}
    assert column(view, "aliases") == ["", "", ""]
    next(a for a in view.context_menu().actions() if a.text().startswith("Copy")).trigger()
    assert QApplication.clipboard().text() == "digits:2"


def test_the_lineage_panel_shows_the_run_and_the_dataset_version(
    qtbot: QtBot, view: ModelsView, registered: Project
) -> None:
    assert view.lineage_view.toPlainText() == ""
    view.select_version(registered.model("digits:1").id)
    text = view.lineage_view.toPlainText()
    version = registered.version("v1")
    assert "digits:1" in text
    assert "first (#1)" in text
    assert "mobilenet_v3_small" in text
    assert "v1 (#1)" in text
    assert version.content_hash in text
    assert registered.model("digits:1").checkpoint_sha256 in text
    counts = version.counts["items"]
    for split in ("train", "val", "test"):  # images, annotations, item ids in the lineage
        assert f"\n{split}\n{counts[split]}\n{counts[split]}\n{counts[split]}\n" in text
    train_ids = [item.item_id for item in registered.version_items("v1", "train")]
    with qtbot.waitSignal(view.items_requested) as requested:
        view.lineage_view.anchorClicked.emit(QUrl("items:train"))
    assert requested.args == [train_ids]


def test_deleting_a_version_keeps_the_run(view: ModelsView, registered: Project) -> None:
    view.select_version(registered.model("other:1").id)
    assert view.delete_selected(confirm=False)
    assert [record.ref for record in registered.models()] == ["digits:1", "digits:2"]
    assert view.model.rowCount() == 2
    assert len(registered.runs()) == 2


def test_a_refresh_re_reads_the_lineage_only_when_the_selected_version_changed(
    monkeypatch: pytest.MonkeyPatch, view: ModelsView, registered: Project
) -> None:
    reads: list[str] = []
    read_lineage = registered.lineage
    monkeypatch.setattr(registered, "lineage", lambda ref: reads.append(ref) or read_lineage(ref))
    view.select_version(registered.model("digits:2").id)
    assert reads == ["digits:2"]
    view.refresh()  # the change polling, while another process trains: nothing new here
    view.refresh()
    assert reads == ["digits:2"]
    registered.set_alias("digits", 2, "production")
    view.refresh()
    assert reads == ["digits:2", "digits:2"]
    assert "candidate, production" in view.lineage_view.toPlainText()
