"""Training settings: one validated, JSON-friendly record per run, and the presets.

The GUI and the CLI read this module to show and check settings, so it must not import torch;
the architectures (`studio.ml.architectures`, torch-free at import) are consulted lazily.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from studio.core.enums import Task
from studio.core.errors import TrainingConfigError
from studio.core.versions import VersionShape
from studio.ml.accelerator import DEVICE_KINDS
from studio.ml.augment import augmentation_names

PRESET_NAMES = ("fast", "balanced", "accurate")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("cosine", "step", "constant", "onecycle")
PRETRAINED_CHOICES = ("auto", "download", "never")
KEEP_CHECKPOINTS = ("last_best", "every_epoch")
# Studio's own augmentation names (studio.ml.augment.AUGMENTATIONS); plugins add more.
AUGMENTATION_NAMES = (
    "hflip",
    "vflip",
    "color_jitter",
    "random_resized_crop",
    "scale_jitter",
    "rotate",
)
DEFAULT_MONITOR = {
    Task.CLASSIFICATION.value: "val/accuracy",
    Task.MULTILABEL.value: "val/map",
    Task.DETECTION.value: "val/map",
    Task.SEGMENTATION.value: "val/map",
}
_COMMON_METRICS = ("train/loss", "val/loss")
TASK_METRICS = {
    Task.CLASSIFICATION.value: (*_COMMON_METRICS, "val/accuracy", "val/macro_f1"),
    Task.MULTILABEL.value: (*_COMMON_METRICS, "val/map", "val/f1"),
    Task.DETECTION.value: (*_COMMON_METRICS, "val/map", "val/map_50"),
    Task.SEGMENTATION.value: (*_COMMON_METRICS, "val/map", "val/map_50", "val/box_map"),
}
_DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
_MAX_INPUT_SIZE = 4096
_MIN_INPUT_SIZE = 32


def monitor_mode(metric: str) -> str:
    """ "min" for losses, "max" for every other metric (accuracy, mAP, F1)."""
    return "min" if metric.endswith("loss") else "max"


@dataclass
class TrainConfig:
    """Every setting of one training run; `validate()` checks them all at once."""

    task: str
    model: str
    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 1e-3
    optimizer: str = "adamw"
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    warmup_epochs: int = 0
    input_size: int = 224
    augmentations: list[str] = field(default_factory=lambda: ["hflip"])
    early_stopping_patience: int | None = None
    monitor: str = ""
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    workers: int = -1
    pretrained: str = "auto"
    keep_checkpoints: str = "last_best"
    preset: str = ""
    max_steps_per_epoch: int | None = None
    # Why a setting has its value: the preset's fit to the data and device ("input_size":
    # "median image 32x32"), or a value clamped to fit the others ("warmup_epochs": ...).
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable values, in field order."""
        values = asdict(self)
        values["augmentations"] = list(self.augmentations)
        values["reasons"] = dict(self.reasons)
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """The config of `values` (as stored with a run); unknown or missing keys are refused."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TrainingConfigError(
                f"unknown training setting(s) {', '.join(unknown)}; "
                f"known settings: {', '.join(sorted(known))}"
            )
        missing = [name for name in ("task", "model") if name not in values]
        if missing:
            raise TrainingConfigError(f"training settings lack {', '.join(missing)}")
        config = cls(**dict(values))
        if isinstance(config.augmentations, (list, tuple)):
            config.augmentations = list(config.augmentations)
        if isinstance(config.reasons, Mapping):
            config.reasons = dict(config.reasons)
        return config

    @property
    def monitored_metric(self) -> str:
        """The metric that picks best.pt and drives early stopping."""
        return self.monitor or DEFAULT_MONITOR.get(self.task, "val/loss")

    def validate(self) -> TrainConfig:
        """Return self when every setting is valid; else TrainingConfigError naming each problem."""
        problems = _type_problems(self)
        if not problems:
            problems = _value_problems(self)
        if problems:
            raise TrainingConfigError("invalid training settings: " + "; ".join(problems))
        return self


_INT_FIELDS = ("epochs", "batch_size", "warmup_epochs", "input_size", "seed", "workers")
_OPTIONAL_INT_FIELDS = ("early_stopping_patience", "max_steps_per_epoch")
_FLOAT_FIELDS = ("learning_rate", "momentum", "weight_decay")
_BOOL_FIELDS = ("amp", "channels_last")
_STR_FIELDS = (
    "task",
    "model",
    "optimizer",
    "schedule",
    "monitor",
    "device",
    "pretrained",
    "keep_checkpoints",
    "preset",
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_problems(config: TrainConfig) -> list[str]:
    """Wrong types (as JSON or a careless script would give them); floats accept ints."""
    problems = []
    for name in _INT_FIELDS:
        if not _is_int(getattr(config, name)):
            problems.append(f"{name} must be a whole number, not {getattr(config, name)!r}")
    for name in _OPTIONAL_INT_FIELDS:
        value = getattr(config, name)
        if value is not None and not _is_int(value):
            problems.append(f"{name} must be a whole number or null, not {value!r}")
    for name in _FLOAT_FIELDS:
        value = getattr(config, name)
        if _is_int(value):
            setattr(config, name, float(value))
        elif not isinstance(value, float) or not math.isfinite(value):
            problems.append(f"{name} must be a finite number, not {value!r}")
    for name in _BOOL_FIELDS:
        if not isinstance(getattr(config, name), bool):
            problems.append(f"{name} must be true or false, not {getattr(config, name)!r}")
    for name in _STR_FIELDS:
        if not isinstance(getattr(config, name), str):
            problems.append(f"{name} must be text, not {getattr(config, name)!r}")
    reasons = config.reasons
    if not isinstance(reasons, Mapping) or not all(
        isinstance(key, str) and isinstance(text, str) for key, text in reasons.items()
    ):
        problems.append(f"reasons must map setting names to text, not {reasons!r}")
    augmentations = config.augmentations
    if not isinstance(augmentations, (list, tuple)) or not all(
        isinstance(name, str) for name in augmentations
    ):
        problems.append(f"augmentations must be a list of names, not {augmentations!r}")
    return problems


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    if value in allowed:
        return []
    return [f"unknown {name} {value!r}; choose from: {', '.join(allowed)}"]


def _at_least(name: str, value: int | float | None, lowest: float) -> list[str]:
    if value is None or value >= lowest:
        return []
    return [f"{name} must be at least {lowest:g}, not {value!r}"]


def _value_problems(config: TrainConfig) -> list[str]:
    problems = _choice("task", config.task, tuple(task.value for task in Task))
    problems += _choice("optimizer", config.optimizer, OPTIMIZERS)
    problems += _choice("schedule", config.schedule, SCHEDULES)
    problems += _choice("pretrained", config.pretrained, PRETRAINED_CHOICES)
    problems += _choice("keep_checkpoints", config.keep_checkpoints, KEEP_CHECKPOINTS)
    if config.preset:
        problems += _choice("preset", config.preset, PRESET_NAMES)
    for name in ("epochs", "batch_size", "early_stopping_patience", "max_steps_per_epoch"):
        problems += _at_least(name, getattr(config, name), 1)
    problems += _at_least("seed", config.seed, 0)
    problems += _at_least("workers", config.workers, -1)
    problems += _at_least("weight_decay", config.weight_decay, 0)
    problems += _number_problems(config)
    problems += _augmentation_problems(config.augmentations)
    if not _DEVICE_PATTERN.fullmatch(config.device):
        problems.append(
            f"unknown device {config.device!r}; choose from: auto, cpu, cuda, cuda:N, mps"
        )
    if not problems:
        problems += _task_problems(config)
    return problems


def _number_problems(config: TrainConfig) -> list[str]:
    problems = []
    if config.learning_rate <= 0 or config.learning_rate > 10:
        problems.append(f"learning_rate must be above 0 and at most 10, not {config.learning_rate}")
    if not 0 <= config.momentum < 1:
        problems.append(f"momentum must be in [0, 1), not {config.momentum}")
    if not 0 <= config.warmup_epochs < max(config.epochs, 1):
        problems.append(
            f"warmup_epochs must be at least 0 and below epochs ({config.epochs}), "
            f"not {config.warmup_epochs}"
        )
    if not _MIN_INPUT_SIZE <= config.input_size <= _MAX_INPUT_SIZE:
        problems.append(
            f"input_size must be between {_MIN_INPUT_SIZE} and {_MAX_INPUT_SIZE} pixels, "
            f"not {config.input_size}"
        )
    return problems


def _augmentation_problems(augmentations: list[str]) -> list[str]:
    known = augmentation_names()
    unknown = [name for name in augmentations if name not in known]
    problems = []
    if unknown:
        problems.append(
            f"unknown augmentation(s) {', '.join(map(repr, unknown))}; "
            f"choose from: {', '.join(known)}"
        )
    if len(set(augmentations)) != len(augmentations):
        problems.append(f"augmentations are listed twice in {augmentations}")
    return problems


def _task_problems(config: TrainConfig) -> list[str]:
    """The model must exist and do the task; the monitored metric must be one the task has."""
    from studio.ml import architectures

    spec = architectures.get_architecture(config.model)
    problems = []
    if config.task not in spec.tasks:
        problems.append(
            f"model {config.model!r} cannot do {config.task}; models for {config.task}: "
            f"{', '.join(architectures.architecture_names(config.task))}"
        )
    if config.monitor and config.monitor not in TASK_METRICS[config.task]:
        problems.append(
            f"unknown monitor {config.monitor!r} for {config.task}; "
            f"choose from: {', '.join(TASK_METRICS[config.task])}"
        )
    return problems


_CLASSIFIER_PRESETS = {
    "fast": {
        "model": "mobilenet_v3_small",
        "input_size": 128,
        "epochs": 15,
        "batch_size": 64,
        "learning_rate": 2e-3,
        "optimizer": "adamw",
        "weight_decay": 1e-4,
        "schedule": "cosine",
        "warmup_epochs": 0,
        "augmentations": ["hflip"],
        "early_stopping_patience": 5,
    },
    "balanced": {
        "model": "resnet18",
        "input_size": 224,
        "epochs": 30,
        "batch_size": 32,
        "learning_rate": 1e-3,
        "optimizer": "adamw",
        "weight_decay": 1e-4,
        "schedule": "cosine",
        "warmup_epochs": 1,
        "augmentations": ["random_resized_crop", "hflip", "color_jitter"],
        "early_stopping_patience": 10,
    },
    "accurate": {
        "model": "efficientnet_b0",
        "input_size": 288,
        "epochs": 60,
        "batch_size": 16,
        "learning_rate": 1e-3,
        "optimizer": "adamw",
        "weight_decay": 0.05,
        "schedule": "cosine",
        "warmup_epochs": 3,
        "augmentations": ["random_resized_crop", "hflip", "color_jitter", "rotate"],
        "early_stopping_patience": 15,
    },
}
_DETECTOR_PRESETS = {
    "fast": {
        "model": "fasterrcnn_mobilenet_v3_large_320_fpn",
        "input_size": 320,
        "epochs": 20,
        "batch_size": 8,
        "learning_rate": 0.01,
        "optimizer": "sgd",
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "schedule": "cosine",
        "warmup_epochs": 1,
        "augmentations": ["hflip"],
        "early_stopping_patience": 5,
    },
    "balanced": {
        "model": "fasterrcnn_mobilenet_v3_large_fpn",
        "input_size": 512,
        "epochs": 30,
        "batch_size": 4,
        "learning_rate": 0.01,
        "optimizer": "sgd",
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "schedule": "cosine",
        "warmup_epochs": 1,
        "augmentations": ["hflip", "color_jitter", "scale_jitter"],
        "early_stopping_patience": 10,
    },
    "accurate": {
        "model": "fasterrcnn_resnet50_fpn_v2",
        "input_size": 800,
        "epochs": 40,
        "batch_size": 2,
        "learning_rate": 0.01,
        "optimizer": "sgd",
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "schedule": "cosine",
        "warmup_epochs": 1,
        "augmentations": ["hflip", "color_jitter", "scale_jitter"],
        "early_stopping_patience": 15,
    },
}
_SEGMENTER_PRESETS = {
    "fast": {**_DETECTOR_PRESETS["fast"], "model": "maskrcnn_resnet50_fpn", "input_size": 512},
    "balanced": {
        **_DETECTOR_PRESETS["balanced"],
        "model": "maskrcnn_resnet50_fpn",
        "input_size": 640,
        "batch_size": 2,
    },
    "accurate": {**_DETECTOR_PRESETS["accurate"], "model": "maskrcnn_resnet50_fpn_v2"},
}
_PRESETS = {
    Task.CLASSIFICATION.value: _CLASSIFIER_PRESETS,
    Task.MULTILABEL.value: _CLASSIFIER_PRESETS,
    Task.DETECTION.value: _DETECTOR_PRESETS,
    Task.SEGMENTATION.value: _SEGMENTER_PRESETS,
}


def _presets_of(task: str) -> dict[str, dict[str, Any]]:
    try:
        return _PRESETS[task]
    except KeyError:
        raise TrainingConfigError(
            f"unknown task {task!r}; choose from: {', '.join(_PRESETS)}"
        ) from None


def preset_table(task: str) -> dict[str, dict[str, Any]]:
    """The settings each preset picks for `task` (copies), for display and comparison."""
    return {
        name: {**settings, "augmentations": list(settings["augmentations"])}
        for name, settings in _presets_of(task).items()
    }


# -- fitting a preset to the data and the device ----------------------------------------------

SIDE_STEP = 32  # input sizes are multiples of this (the stride of every backbone here)
# Below this side an image's time is bound by per-layer overheads, not by its pixels.
COST_FLOOR_SIDE = 64
CPU_BATCH_LIMIT = 32
GPU_BATCH_LIMIT = 256
MIN_STEPS_PER_EPOCH = 8  # a tiny train split still gets this many updates per epoch
MIN_BATCH_SIZE = 2  # batch normalisation needs two images
# Training images per run, at the preset's own input size, that each preset spends on each
# kind of device: about two minutes of a 2-core CPU for the balanced classifier, a few
# minutes of a GPU; the preset's epochs are the most it takes. Epochs = this budget over
# the train split's cost at the chosen input size, between the preset's least and most.
_CLASSIFIER_BUDGETS = {
    "fast": {"cpu": 1_500, "mps": 15_000, "cuda": 150_000},
    "balanced": {"cpu": 1_000, "mps": 10_000, "cuda": 300_000},
    "accurate": {"cpu": 2_500, "mps": 25_000, "cuda": 1_000_000},
}
_DETECTOR_BUDGETS = {
    "fast": {"cpu": 400, "mps": 4_000, "cuda": 60_000},
    "balanced": {"cpu": 300, "mps": 3_000, "cuda": 100_000},
    "accurate": {"cpu": 200, "mps": 2_000, "cuda": 200_000},
}
_BUDGETS = {
    Task.CLASSIFICATION.value: _CLASSIFIER_BUDGETS,
    Task.MULTILABEL.value: _CLASSIFIER_BUDGETS,
    Task.DETECTION.value: _DETECTOR_BUDGETS,
    Task.SEGMENTATION.value: _DETECTOR_BUDGETS,
}
MIN_EPOCHS = {"fast": 3, "balanced": 5, "accurate": 8}
FITTED_SETTINGS = ("input_size", "batch_size", "epochs")


@dataclass(frozen=True)
class PresetBasis:
    """What a preset fits its input size, batch size and epochs to: the dataset version's
    shape and the kind of device ("cpu", "cuda", "mps") the run will train on."""

    shape: VersionShape
    device: str


@dataclass(frozen=True)
class PresetFit:
    """The settings a preset picked for one basis, and why each."""

    values: dict[str, int]
    reasons: dict[str, str]


def _power_of_two_at_most(value: float) -> int:
    return 2 ** max(int(math.log2(max(value, 1))), 0)


def _fit_input_size(largest: int, shape: VersionShape) -> tuple[int, str]:
    """A multiple of SIDE_STEP near the median shorter side, never above the preset's size:
    small images are not blown up, large ones are brought down to what the preset trains."""
    side = shape.median_side
    image = f"median image {shape.median_width}x{shape.median_height}"
    if side <= 0:
        return largest, "the preset's size (image sizes unknown)"
    nearest = max(round(side / SIDE_STEP) * SIDE_STEP, _MIN_INPUT_SIZE)
    if nearest >= largest:
        return largest, f"{image}; the preset's largest"
    return nearest, image


def _image_cost(side: int) -> int:
    return max(side, COST_FLOOR_SIDE) ** 2


def _fit_batch_size(
    preset_batch: int, preset_size: int, size: int, device: str, train_items: int
) -> tuple[int, str]:
    """The preset's batch, grown for smaller inputs on a GPU (memory follows pixels), at most
    CPU_BATCH_LIMIT on a CPU (larger batches gain nothing there and give fewer updates), and
    small enough for MIN_STEPS_PER_EPOCH updates per epoch."""
    scaled = preset_batch * _image_cost(preset_size) / _image_cost(size)
    limit = CPU_BATCH_LIMIT if device == "cpu" else GPU_BATCH_LIMIT
    batch = min(_power_of_two_at_most(scaled), limit)
    reason = f"{size} px on {device}"
    few = _power_of_two_at_most(train_items / MIN_STEPS_PER_EPOCH)
    if train_items and few < batch:
        batch = few
        reason = f"{MIN_STEPS_PER_EPOCH}+ steps per epoch over {train_items:,} train images"
    return max(batch, MIN_BATCH_SIZE), reason


def _fit_epochs(
    task: str, preset: str, preset_epochs: int, preset_size: int, size: int, basis: PresetBasis
) -> tuple[int, str]:
    budget = _BUDGETS[task][preset][basis.device]
    train_items = basis.shape.train_items
    least = min(MIN_EPOCHS[preset], preset_epochs)
    if train_items <= 0:
        return preset_epochs, "the preset's (no train items)"
    affordable = budget * _image_cost(preset_size) / (_image_cost(size) * train_items)
    epochs = min(max(int(affordable), least), preset_epochs)
    where = f"{train_items:,} train images at {size} px on {basis.device}"
    if epochs == preset_epochs:
        return epochs, f"the preset's most, for {where}"
    if epochs == least:
        return epochs, f"the preset's least, for {where}"
    return epochs, f"the {preset} budget for {where}"


def fit_preset(task: str, preset: str, basis: PresetBasis, **explicit: Any) -> PresetFit:
    """The input size, batch size and epochs `preset` picks for `basis`, with the reasons.

    Settings in `explicit` are not picked but the others fit around them: the batch size
    and epochs follow from an explicit input size, and an explicit device's kind replaces
    `basis.device`.
    """
    table = preset_table(task)[preset]
    device = basis.device
    if isinstance(explicit.get("device"), str) and explicit["device"] != "auto":
        device = explicit["device"].split(":", 1)[0]
    if device not in DEVICE_KINDS:
        device = "cpu"
    basis = PresetBasis(basis.shape, device)
    picked_size, size_reason = _fit_input_size(table["input_size"], basis.shape)
    size = explicit.get("input_size", picked_size)
    if not _is_int(size):
        return PresetFit({}, {})  # validation names the bad value
    batch, batch_reason = _fit_batch_size(
        table["batch_size"], table["input_size"], size, device, basis.shape.train_items
    )
    epochs, epochs_reason = _fit_epochs(
        task, preset, table["epochs"], table["input_size"], size, basis
    )
    return PresetFit(
        {"input_size": picked_size, "batch_size": batch, "epochs": epochs},
        {"input_size": size_reason, "batch_size": batch_reason, "epochs": epochs_reason},
    )


def _clamped_warmup(values: dict[str, Any], explicit: Mapping[str, Any]) -> str:
    """Shorten a warm-up that would not end before the last epoch; the reason, or ""."""
    warmup, epochs = values["warmup_epochs"], values["epochs"]
    if not (_is_int(warmup) and _is_int(epochs)) or warmup < max(epochs, 1) or epochs < 1:
        return ""
    values["warmup_epochs"] = epochs - 1
    if "warmup_epochs" not in explicit:
        return ""
    return (
        f"warm-up of {warmup} epochs shortened to {epochs - 1}: "
        f"it must end before the last of the {epochs} epochs"
    )


def make_config(
    task: str, preset: str = "balanced", basis: PresetBasis | None = None, **settings: Any
) -> TrainConfig:
    """The preset's settings for `task`, with `settings` taking precedence; validated.

    With a `basis`, the preset fits the input size, batch size and epochs to the data and
    the device (`fit_preset`), and the config's `reasons` say why each value was picked: a
    setting given in `settings` keeps its value, and keeps the reason only when it equals
    the pick (the GUI passes every field it shows, picks included).

    A model chosen in `settings` keeps the preset's input size, schedule and the rest, so
    "accurate" with a smaller model still trains longer on larger images. A warm-up that
    would not end before the last epoch is shortened, and a shortened explicit one is noted
    in `reasons["warmup_epochs"]` (a warning to show, not an error).
    """
    presets = _presets_of(task)
    if preset not in presets:
        raise TrainingConfigError(
            f"unknown preset {preset!r}; choose from: {', '.join(PRESET_NAMES)}"
        )
    values = {"task": task, **preset_table(task)[preset], "preset": preset}
    reasons: dict[str, str] = {}
    if basis is not None:
        fit = fit_preset(task, preset, basis, **settings)
        values.update(fit.values)
        reasons = {
            name: reason
            for name, reason in fit.reasons.items()
            if settings.get(name, fit.values[name]) == fit.values[name]
        }
    values.update(settings)
    if "monitor" not in settings:
        values["monitor"] = DEFAULT_MONITOR[task]
    warmup_note = _clamped_warmup(values, settings)
    if warmup_note:
        reasons["warmup_epochs"] = warmup_note
    values["reasons"] = reasons
    return TrainConfig.from_dict(values).validate()


def warmup_warning(config: TrainConfig) -> str:
    """The note of a warm-up `make_config` shortened, or "" (presets never pick warm-ups, so
    a reason for one is always this note)."""
    return config.reasons.get("warmup_epochs", "")


def describe_choices(config: TrainConfig) -> str:
    """One line for the user, e.g. "preset balanced: 32 px input (median image 32x32), batch
    32 (32 px on cpu), 8 epochs (the balanced budget for 1,437 train images at 32 px on
    cpu)"; a value the user set says so."""

    def part(name: str, text: str) -> str:
        return f"{text} ({config.reasons.get(name, 'set by you')})"

    return (
        f"preset {config.preset or 'none'}: "
        f"{part('input_size', f'{config.input_size} px input')}, "
        f"{part('batch_size', f'batch {config.batch_size}')}, "
        f"{part('epochs', f'{config.epochs} epochs')}"
    )
