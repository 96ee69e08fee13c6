"""The training settings form: presets fill it, the model list follows the task."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from studio.core.versions import VersionShape
from studio.gui.training.settings_form import MEMORY_KEY, SettingsForm
from studio.ml.architectures import architecture_names
from studio.ml.config import PresetBasis, describe_choices, make_config, preset_table


def make_form(qtbot: QtBot) -> SettingsForm:
    form = SettingsForm()
    qtbot.addWidget(form)
    return form


def type_into(qtbot: QtBot, box: QSpinBox, text: str) -> None:
    """Select the spin box's text and type `text` over it, as a user does."""
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def models_listed(form: SettingsForm) -> list[str]:
    return [form.model_combo.itemData(i) for i in range(form.model_combo.count())]


def test_presets_fill_every_setting(qtbot: QtBot) -> None:
    form = make_form(qtbot)
    for preset in ("fast", "balanced", "accurate"):
        form.set_preset(preset)
        expected = preset_table("classification")[preset]
        values = form.values()
        assert form.model == expected["model"]
        for name in ("epochs", "batch_size", "input_size", "optimizer", "schedule"):
            assert values[name] == expected[name], (preset, name)
        assert values["augmentations"] == expected["augmentations"]
        assert values["early_stopping_patience"] == expected["early_stopping_patience"]
        # what the form gives is what make_config would have made (a valid config)
        config = make_config("classification", preset, model=form.model, **values)
        assert config.learning_rate == expected["learning_rate"]


def test_the_model_list_follows_the_task(qtbot: QtBot) -> None:
    form = make_form(qtbot)
    assert models_listed(form) == architecture_names("classification")

    form.set_task("detection")

    assert models_listed(form) == architecture_names("detection")
    assert form.model == preset_table("detection")["balanced"]["model"]
    assert form.values()["optimizer"] == "sgd"
    assert form.monitor.currentData() == "val/map"


def test_edits_stay_until_the_preset_changes(qtbot: QtBot) -> None:
    form = make_form(qtbot)
    form.epochs.setValue(3)
    form.augmentation_boxes["vflip"].setChecked(True)
    form.patience.setValue(0)
    values = form.values()
    assert values["epochs"] == 3
    assert "vflip" in values["augmentations"]
    assert values["early_stopping_patience"] is None

    form.set_preset("fast")

    assert form.values()["epochs"] == preset_table("classification")["fast"]["epochs"]


DIGITS_ON_CPU = PresetBasis(VersionShape(1437, 8, 8), "cpu")


def test_the_form_fills_what_the_preset_picks_for_the_version(qtbot: QtBot) -> None:
    form = make_form(qtbot)
    form.set_basis(DIGITS_ON_CPU)

    values = form.values()
    assert (values["input_size"], values["batch_size"], values["epochs"]) == (32, 32, 8)
    expected = make_config("classification", "balanced", DIGITS_ON_CPU, **values)
    assert form.choices_label.text() == describe_choices(expected)
    assert "median image 8x8" in form.choices_label.text()


def test_fields_the_user_edited_stay_when_the_version_changes(qtbot: QtBot) -> None:
    form = make_form(qtbot)
    form.set_basis(DIGITS_ON_CPU)
    type_into(qtbot, form.epochs, "7")

    form.set_basis(PresetBasis(VersionShape(5000, 640, 480), "cpu"))

    assert form.values()["epochs"] == 7
    assert form.values()["input_size"] == 224
    assert "7 epochs (set by you)" in form.choices_label.text()
    form.set_preset("fast")  # a new preset starts afresh
    assert form.values()["epochs"] == 3


def test_fewer_epochs_shorten_the_warmup_with_a_note_beside_it(qtbot: QtBot) -> None:
    form = make_form(qtbot)
    form.show()
    type_into(qtbot, form.warmup_epochs, "5")
    assert not form.warmup_note.isVisible()

    type_into(qtbot, form.epochs, "3")

    assert form.warmup_epochs.value() == 2
    assert form.warmup_note.isVisible()
    assert "shortened from 5" in form.warmup_note.text()
    config = make_config("classification", form.preset, model=form.model, **form.values())
    assert (config.epochs, config.warmup_epochs) == (3, 2)  # Start is not refused
    type_into(qtbot, form.warmup_epochs, "1")
    assert not form.warmup_note.isVisible()


def test_the_preset_box_says_custom_once_a_setting_differs_and_the_name_when_chosen_again(
    qtbot: QtBot,
) -> None:
    form = make_form(qtbot)
    assert form.preset_combo.currentText() == "Balanced"

    type_into(qtbot, form.epochs, "7")

    assert form.preset_combo.currentText() == "Custom"
    assert form.preset == "balanced"  # what the settings started from, for new_run
    type_into(qtbot, form.epochs, str(preset_table("classification")["balanced"]["epochs"]))
    assert form.preset_combo.currentText() == "Balanced"  # the preset's value again
    form.augmentation_boxes["vflip"].click()
    assert form.preset_combo.currentText() == "Custom"

    form.set_preset("fast")
    assert form.preset_combo.currentText() == "Fast"
    form.learning_rate.setValue(0.05)
    form.set_preset("fast")  # from "Custom" back to the same preset

    assert form.preset_combo.currentText() == "Fast"
    assert form.values()["learning_rate"] == preset_table("classification")["fast"]["learning_rate"]


def test_custom_compares_with_the_preset_fitted_to_the_version(qtbot: QtBot) -> None:
    form = make_form(qtbot)
    form.set_basis(DIGITS_ON_CPU)
    assert form.preset_combo.currentText() == "Balanced"  # fitted values are the preset's

    type_into(qtbot, form.input_size, "96")

    assert form.preset_combo.currentText() == "Custom"


def test_the_settings_come_back_in_a_new_form_after_a_restart(qtbot: QtBot, tmp_path: Path) -> None:
    path = str(tmp_path / "settings.ini")
    form = make_form(qtbot)
    settings = QSettings(path, QSettings.Format.IniFormat)
    form.remember_in(settings)
    form.set_task("detection")
    form.set_preset("fast")
    type_into(qtbot, form.epochs, "7")
    form.augmentation_boxes["vflip"].click()
    form.device.setCurrentIndex(form.device.findData("cpu"))
    settings.sync()  # written to the file, as when Studio quits

    again = make_form(qtbot)
    again.remember_in(QSettings(path, QSettings.Format.IniFormat))

    assert (again.task, again.preset) == ("detection", "fast")
    assert again.epochs.value() == 7
    assert again.augmentation_boxes["vflip"].isChecked()
    assert again.values()["device"] == "cpu"
    assert again.preset_combo.currentText() == "Custom"


def test_unreadable_remembered_settings_leave_the_preset(qtbot: QtBot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(MEMORY_KEY, '{"task": "detection", "values": {"epochs": "many"}}')
    form = make_form(qtbot)

    form.remember_in(settings)

    assert form.task == "classification"
    assert form.values()["epochs"] == preset_table(form.task)["balanced"]["epochs"]
    assert form.preset_combo.currentText() == "Balanced"
