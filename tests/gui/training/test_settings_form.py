"""The training settings form: presets fill it, the model list follows the task."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSpinBox
from pytestqt.qtbot import QtBot

from studio.core.versions import VersionShape
from studio.gui.training.settings_form import SettingsForm
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
