"""Training settings: presets, overrides, validation messages, the stored form."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from studio.core.enums import Task
from studio.core.errors import TrainingConfigError
from studio.core.versions import VersionShape
from studio.ml.config import (
    AUGMENTATION_NAMES,
    PRESET_NAMES,
    PresetBasis,
    TrainConfig,
    describe_choices,
    make_config,
    monitor_mode,
    preset_table,
    warmup_warning,
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
        ({"warmup_epochs": -1}, "warmup_epochs"),
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


def test_reading_validating_and_fitting_settings_does_not_import_torch() -> None:
    script = (
        "import sys\n"
        "from studio.core.versions import VersionShape\n"
        "from studio.ml.accelerator import auto_device_kind\n"
        "from studio.ml.config import PresetBasis, make_config, preset_table\n"
        "make_config('segmentation', 'accurate', epochs=2)\n"
        "preset_table('classification')\n"
        "basis = PresetBasis(VersionShape(100, 8, 8), auto_device_kind())\n"
        "make_config('classification', 'balanced', basis)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'torchvision' not in sys.modules, 'torchvision was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- presets fitted to the version and the device ---------------------------------------------


def basis(items: int, width: int, height: int, device: str = "cpu") -> PresetBasis:
    return PresetBasis(VersionShape(items, width, height), device)


def picked(config: TrainConfig) -> tuple[int, int, int]:
    return config.input_size, config.batch_size, config.epochs


def test_tiny_digit_images_are_not_upscaled_and_train_a_few_minutes_on_a_cpu() -> None:
    digits = make_config("classification", "balanced", basis(1437, 8, 8))
    assert picked(digits) == (32, 32, 8)
    assert digits.warmup_epochs == 1
    assert digits.reasons["input_size"] == "median image 8x8"
    assert "1,437 train images at 32 px on cpu" in digits.reasons["epochs"]
    assert picked(make_config("classification", "fast", basis(1437, 8, 8))) == (32, 32, 4)


def test_photos_larger_than_the_preset_train_at_the_preset_size() -> None:
    on_cpu = make_config("classification", "balanced", basis(5000, 640, 480))
    on_gpu = make_config("classification", "balanced", basis(5000, 640, 480, "cuda"))
    assert picked(on_cpu) == (224, 32, 5)  # the preset's least epochs
    assert picked(on_gpu) == (224, 32, 30)  # the preset's most
    assert on_cpu.reasons["input_size"] == "median image 640x480; the preset's largest"
    assert picked(make_config("classification", "accurate", basis(5000, 640, 480))) == (
        288,
        16,
        8,
    )


def test_mid_sized_images_take_the_nearest_standard_size() -> None:
    assert picked(make_config("classification", "balanced", basis(1000, 100, 90))) == (96, 32, 5)
    gpu = make_config("classification", "balanced", basis(1000, 100, 90, "cuda"))
    assert picked(gpu) == (96, 64, 30)  # a larger batch, kept to 8+ steps per epoch
    detector = make_config("detection", "balanced", basis(300, 640, 480))
    assert picked(detector) == (480, 4, 5)


def test_few_items_get_more_epochs_and_small_batches_many_items_fewer_epochs() -> None:
    few = make_config("classification", "balanced", basis(40, 300, 300))
    assert picked(few) == (224, 4, 25)
    assert few.reasons["batch_size"] == "8+ steps per epoch over 40 train images"
    many = make_config("classification", "balanced", basis(200_000, 500, 375, "cuda"))
    assert picked(many) == (224, 32, 5)
    middle = make_config("classification", "balanced", basis(20_000, 500, 375, "cuda"))
    assert picked(middle) == (224, 32, 15)


def test_a_cpu_gets_smaller_batches_and_fewer_epochs_than_a_gpu() -> None:
    shape = (3000, 64, 64)
    cpu = make_config("classification", "balanced", basis(*shape, "cpu"))
    mps = make_config("classification", "balanced", basis(*shape, "mps"))
    cuda = make_config("classification", "balanced", basis(*shape, "cuda"))
    assert picked(cpu) == (64, 32, 5)
    assert picked(mps) == (64, 256, 30)
    assert picked(cuda) == (64, 256, 30)


def test_explicit_settings_win_and_the_rest_fit_around_them() -> None:
    config = make_config(
        "classification", "balanced", basis(1437, 8, 8), input_size=64, epochs=3, batch_size=8
    )
    assert picked(config) == (64, 8, 3)
    assert set(config.reasons) == set()
    assert describe_choices(config) == (
        "preset balanced: 64 px input (set by you), batch 8 (set by you), 3 epochs (set by you)"
    )
    larger = make_config("classification", "balanced", basis(1437, 8, 8), input_size=224)
    assert picked(larger) == (224, 32, 5)  # epochs follow the explicit, costlier size


def test_an_explicit_device_replaces_the_basis_device() -> None:
    on_cuda_machine = basis(5000, 640, 480, "cuda")
    assert make_config("classification", "balanced", on_cuda_machine, device="cpu").epochs == 5
    assert make_config("classification", "balanced", on_cuda_machine, device="cuda:1").epochs == 30


def test_a_value_equal_to_the_pick_keeps_its_reason_and_the_line_says_it() -> None:
    config = make_config("classification", "balanced", basis(1437, 32, 32), input_size=32)
    assert config.reasons["input_size"] == "median image 32x32"
    assert describe_choices(config) == (
        "preset balanced: 32 px input (median image 32x32), batch 32 (32 px on cpu), "
        "8 epochs (the balanced budget for 1,437 train images at 32 px on cpu)"
    )
    stored = TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))).validate()
    assert stored.reasons == config.reasons


def test_without_a_basis_the_preset_table_applies_unchanged() -> None:
    config = make_config("classification", "balanced")
    assert picked(config) == (224, 32, 30)
    assert config.reasons == {}


def test_a_warmup_longer_than_the_epochs_is_shortened_with_a_note() -> None:
    config = make_config("classification", "balanced", epochs=3, warmup_epochs=5)
    assert config.warmup_epochs == 2
    assert warmup_warning(config) == (
        "warm-up of 5 epochs shortened to 2: it must end before the last of the 3 epochs"
    )
    assert warmup_warning(make_config("classification", "balanced", epochs=1)) == ""
    assert make_config("classification", "balanced", epochs=1).warmup_epochs == 0
    with pytest.raises(TrainingConfigError, match="warmup_epochs"):
        TrainConfig("classification", "resnet18", epochs=3, warmup_epochs=3).validate()
