"""Training settings: presets, overrides, validation messages, the stored form."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from studio.core.enums import Task
from studio.core.errors import TrainingConfigError
from studio.ml.config import (
    AUGMENTATION_NAMES,
    PRESET_NAMES,
    TrainConfig,
    make_config,
    monitor_mode,
    preset_table,
)

TASKS = [task.value for task in Task]


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_preset_gives_a_valid_config_for_every_task(task: str, preset: str) -> None:
    config = make_config(task, preset)
    assert config.task == task
    assert config.preset == preset
    assert config.model == preset_table(task)[preset]["model"]
    assert config.validate() is config


def test_presets_grow_from_fast_to_accurate() -> None:
    for task in TASKS:
        table = preset_table(task)
        sizes = [table[name]["input_size"] for name in PRESET_NAMES]
        epochs = [table[name]["epochs"] for name in PRESET_NAMES]
        assert sizes == sorted(sizes), task
        assert epochs == sorted(epochs), task
    classifiers = preset_table("classification")
    assert classifiers["fast"]["model"] == "mobilenet_v3_small"
    assert classifiers["balanced"]["model"] == "resnet18"
    assert preset_table("detection")["accurate"]["model"] == "fasterrcnn_resnet50_fpn_v2"
    assert preset_table("segmentation")["fast"]["model"] == "maskrcnn_resnet50_fpn"


def test_preset_table_is_a_copy() -> None:
    table = preset_table("classification")
    table["fast"]["augmentations"].append("rotate")
    table["fast"]["model"] = "resnet50"
    assert make_config("classification", "fast").model == "mobilenet_v3_small"
    assert "rotate" not in make_config("classification", "fast").augmentations


def test_overrides_apply_on_top_of_the_preset() -> None:
    config = make_config(
        "classification",
        "accurate",
        model="resnet18",
        epochs=3,
        learning_rate=0.05,
        optimizer="sgd",
        augmentations=["vflip"],
        early_stopping_patience=None,
    )
    assert (config.model, config.epochs, config.learning_rate) == ("resnet18", 3, 0.05)
    assert config.optimizer == "sgd"
    assert config.augmentations == ["vflip"]
    assert config.early_stopping_patience is None
    assert config.input_size == preset_table("classification")["accurate"]["input_size"]


def test_an_unknown_setting_is_named() -> None:
    with pytest.raises(TrainingConfigError, match=r"unknown training setting.*learnin_rate"):
        make_config("classification", "fast", learnin_rate=0.1)
    with pytest.raises(TrainingConfigError, match=r"colour"):
        TrainConfig.from_dict({"task": "classification", "model": "resnet18", "colour": 1})


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"optimizer": "lion"}, "optimizer 'lion'"),
        ({"schedule": "linear"}, "schedule 'linear'"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": -4}, "batch_size"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"epochs": "10"}, "epochs must be a whole number"),
        ({"amp": "yes"}, "amp must be true or false"),
        ({"augmentations": ["hflip", "mixup"]}, "augmentation.*'mixup'"),
        ({"device": "tpu"}, "device 'tpu'"),
        ({"pretrained": "sometimes"}, "pretrained 'sometimes'"),
        ({"keep_checkpoints": "all"}, "keep_checkpoints 'all'"),
        ({"monitor": "val/map"}, "monitor 'val/map'"),
        ({"warmup_epochs": 5, "epochs": 5}, "warmup_epochs"),
        ({"input_size": 8}, "input_size"),
        ({"model": "fasterrcnn_resnet50_fpn"}, "cannot do classification"),
        ({"model": "alexnet9000"}, "alexnet9000"),
    ],
)
def test_bad_values_are_refused_with_their_name(settings: dict, named: str) -> None:
    with pytest.raises(TrainingConfigError, match=named):
        make_config("classification", "fast", **settings)


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(TrainingConfigError) as raised:
        make_config("classification", "fast", optimizer="lion", epochs=0)
    assert "optimizer" in str(raised.value)
    assert "epochs" in str(raised.value)


def test_unknown_task_and_preset_are_refused() -> None:
    with pytest.raises(TrainingConfigError, match=r"task 'regression'"):
        make_config("regression")
    with pytest.raises(TrainingConfigError, match=r"preset 'turbo'"):
        make_config("detection", "turbo")


def test_to_dict_from_dict_round_trip_through_json() -> None:
    config = make_config("detection", "fast", epochs=4, device="cpu", max_steps_per_epoch=2)
    stored = json.loads(json.dumps(config.to_dict()))
    again = TrainConfig.from_dict(stored).validate()
    assert again == config
    assert again.to_dict() == config.to_dict()


def test_integers_are_accepted_where_numbers_are_expected() -> None:
    config = make_config("classification", "fast", learning_rate=1, weight_decay=0)
    assert isinstance(config.learning_rate, float)
    assert config.learning_rate == 1.0


def test_monitored_metric_defaults_per_task() -> None:
    assert TrainConfig("classification", "resnet18").monitored_metric == "val/accuracy"
    assert TrainConfig("detection", "ssdlite320_mobilenet_v3_large").monitored_metric == "val/map"
    loss_monitor = make_config("classification", "fast", monitor="val/loss")
    assert loss_monitor.monitored_metric == "val/loss"
    assert monitor_mode("val/loss") == "min"
    assert monitor_mode("val/map") == "max"


def test_augmentation_names_match_the_augment_module() -> None:
    augment = pytest.importorskip("studio.ml.augment")
    assert set(AUGMENTATION_NAMES) == set(augment.AUGMENTATIONS)


def test_reading_and_validating_settings_does_not_import_torch() -> None:
    script = (
        "import sys\n"
        "from studio.ml.config import make_config, preset_table\n"
        "make_config('segmentation', 'accurate', epochs=2)\n"
        "preset_table('classification')\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'torchvision' not in sys.modules, 'torchvision was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
