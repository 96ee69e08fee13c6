"""The training settings form: presets fill it, the model list follows the task."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from studio.gui.training.settings_form import SettingsForm
from studio.ml.config import make_config, preset_table
from studio.ml.models import model_names


def make_form(qtbot: QtBot) -> SettingsForm:
    form = SettingsForm()
    qtbot.addWidget(form)
    return form


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
    assert models_listed(form) == model_names("classification")

    form.set_task("detection")

    assert models_listed(form) == model_names("detection")
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
