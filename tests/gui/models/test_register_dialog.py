"""The Register dialog on real finished runs: preselection, checkpoints, names, errors."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.models.register_dialog import RegisterModelDialog
from tests.gui.training import TINY_SETTINGS, write_digits_project


def open_dialog(qtbot: QtBot, project: Project, run_id: int | None) -> RegisterModelDialog:
    dialog = RegisterModelDialog(project, run_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_the_dialog_registers_the_selected_run(qtbot: QtBot, digits: Project) -> None:
    first = digits.run("first").id
    dialog = open_dialog(qtbot, digits, first)
    assert dialog.selected_run().name == "first"
    checkpoints = [dialog.checkpoint_combo.itemData(i) for i in range(2)]
    assert checkpoints == ["best.pt", "last.pt"]
    assert dialog.model_name() == "classification-mobilenet_v3_small"  # the default
    assert dialog.hint.text() == "Registers classification-mobilenet_v3_small:1 from run first."
    qtbot.keyClicks(dialog.name_combo.lineEdit(), "digits")
    assert dialog.hint.text() == "Registers digits:1 from run first."
    dialog.checkpoint_combo.setCurrentIndex(1)
    qtbot.keyClicks(dialog.notes_edit, "the last epoch")

    with qtbot.waitSignal(dialog.registered) as registered:
        qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)

    record = registered.args[0]
    assert (record.ref, record.checkpoint, record.notes) == (
        "digits:1",
        "last.pt",
        "the last epoch",
    )
    assert [model.ref for model in digits.models()] == ["digits:1"]
    assert digits.model("digits:1").run_name == "first"
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_registering_the_same_checkpoint_twice_is_refused(qtbot: QtBot, digits: Project) -> None:
    second = digits.run("second").id
    digits.register_model(second, name="digits")
    dialog = open_dialog(qtbot, digits, second)
    dialog.name_combo.setEditText("digits")
    assert dialog.hint.text() == "Registers digits:2 from run second."
    assert dialog.register() is None
    assert dialog.error.isVisible()
    assert "already registered as digits:1" in dialog.error.text()
    assert dialog.isVisible()
    assert len(digits.models()) == 1


def test_without_a_selection_the_newest_finished_run_is_offered(
    qtbot: QtBot, digits: Project
) -> None:
    queued = digits.new_run(name="queued", **TINY_SETTINGS).id
    dialog = open_dialog(qtbot, digits, queued)
    assert dialog.run_combo.count() == 2  # only the finished runs
    assert dialog.selected_run().name == "second"
    assert "The selected run is queued" in dialog.error.text()


def test_a_project_without_finished_runs_cannot_register(qtbot: QtBot, tmp_path: Path) -> None:
    with Project.open(write_digits_project(tmp_path / "empty")) as project:
        dialog = open_dialog(qtbot, project, None)
        assert not dialog.register_button.isEnabled()
        assert "No finished run yet" in dialog.error.text()
        dialog.close()
