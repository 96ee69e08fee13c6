"""The training settings form: task, preset, model and every setting of `TrainConfig`.

Choosing a task lists the models that can do it; choosing a task or a preset fills every
setting from the preset (`studio.ml.config.preset_table`, over TrainConfig's defaults), and
each stays editable. Given the chosen version's basis (`set_basis`: its image sizes and train
items, and the device), the preset's input size, batch size and epochs are fitted to it
(`fit_preset`) and a line under the preset says what was picked and why; a fitted field the
user edited keeps the user's value when the version or the device changes. The warm-up is
kept below the epochs: lowering the epochs shortens it, and a note beside it says so.
`values()` gives the settings as `Project.new_run` takes them. The form only reads
`studio.ml.config`, `studio.ml.accelerator` and `studio.ml.architectures`, which import no torch.

Once a setting the preset sets differs from the preset's value (fitted to the version), the
preset box shows "Custom"; choosing a preset again fills the form from it and shows its name.
Given the user's settings (`remember_in`), the form comes back as it was left, in every new
window: a person's settings follow them from project to project (the device, the batch size
their GPU holds), and each run records the full config it used in its own project anyway.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.enums import Task
from studio.core.errors import StudioError
from studio.ml.architectures import architecture_names
from studio.ml.config import (
    AUGMENTATION_NAMES,
    DEFAULT_MONITOR,
    FITTED_SETTINGS,
    KEEP_CHECKPOINTS,
    OPTIMIZERS,
    PRESET_NAMES,
    PRETRAINED_CHOICES,
    SCHEDULES,
    TASK_METRICS,
    PresetBasis,
    TrainConfig,
    describe_choices,
    fit_preset,
    make_config,
    preset_table,
)

TASK_TITLES = {
    Task.CLASSIFICATION.value: "Classification (one class per image)",
    Task.MULTILABEL.value: "Multi-label classification (tags)",
    Task.DETECTION.value: "Object detection (boxes)",
    Task.SEGMENTATION.value: "Instance segmentation (polygons, masks)",
}
PRESET_TITLES = {"fast": "Fast", "balanced": "Balanced", "accurate": "Accurate"}
DEFAULT_PRESET = "balanced"  # as Project.new_run
CUSTOM = "custom"  # the preset box's entry once a setting differs from the preset
MEMORY_KEY = "training/form"  # the form as the user left it (JSON), in the user's settings
DEVICES = ("auto", "cpu", "cuda", "cuda:0", "cuda:1", "mps")
PRETRAINED_TITLES = {
    "auto": "Use cached weights (no download)",
    "download": "Download weights if needed",
    "never": "From scratch",
}
AUGMENTATION_TITLES = {
    "hflip": "Horizontal flip",
    "vflip": "Vertical flip",
    "color_jitter": "Colour jitter",
    "random_resized_crop": "Random resized crop",
    "scale_jitter": "Scale jitter",
    "rotate": "Rotation",
}
CHECKPOINT_TITLES = {"last_best": "Last and best", "every_epoch": "Every epoch"}

log = logging.getLogger(__name__)


def config_defaults() -> dict[str, Any]:
    """TrainConfig's default for each setting (task and model have none)."""
    defaults: dict[str, Any] = {}
    for item in fields(TrainConfig):
        if item.default is not MISSING:
            defaults[item.name] = item.default
        elif item.default_factory is not MISSING:
            defaults[item.name] = item.default_factory()
    return defaults


def _same(shown: Any, wanted: Any) -> bool:
    """Whether a shown setting is the preset's value (floats as the spin boxes round them,
    augmentations in any order)."""
    if isinstance(wanted, float) and isinstance(shown, (int, float)):
        return math.isclose(shown, wanted, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(wanted, list) and isinstance(shown, list):
        return sorted(shown) == sorted(wanted)
    return bool(shown == wanted)


def _spin(low: int, high: int, step: int = 1, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    if special:
        box.setSpecialValueText(special)  # shown at the minimum, which then means "none"
    return box


def _double(low: float, high: float, step: float, decimals: int) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    return box


def _combo(choices: Mapping[str, str] | tuple[str, ...], editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.setEditable(editable)
    items = choices.items() if isinstance(choices, Mapping) else ((c, c) for c in choices)
    for value, title in items:
        box.addItem(title, value)
    return box


def _set_combo(box: QComboBox, value: str) -> None:
    index = box.findData(value)
    if index < 0 and box.isEditable():
        box.setEditText(value)
        return
    box.setCurrentIndex(max(index, 0))


def _combo_value(box: QComboBox) -> str:
    if box.isEditable():
        text = box.currentText().strip()
        index = box.findText(text)
        return str(box.itemData(index)) if index >= 0 else text
    return str(box.currentData())


class SettingsForm(QWidget):
    """Task, preset, model and the other settings; `changed` after any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainSettings")
        self._filling = False
        self._augmentation_order: list[str] = []
        self.basis: PresetBasis | None = None
        self._user_set: set[str] = set()  # fitted settings the user edited since the preset
        self._preset = DEFAULT_PRESET  # the preset chosen last (still so while "Custom" shows)
        self._memory: QSettings | None = None
        self._build()
        _set_combo(self.preset_combo, DEFAULT_PRESET)
        self._connect()
        self.apply_preset()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self._model_group())
        column.addWidget(self._optimisation_group())
        column.addWidget(self._augmentation_group())
        column.addWidget(self._stopping_group())
        column.addWidget(self._hardware_group())

    def _model_group(self) -> QGroupBox:
        group = QGroupBox("Model")
        form = QFormLayout(group)
        self.task_combo = _combo(TASK_TITLES)
        self.task_combo.setObjectName("trainTask")
        self.preset_combo = _combo(
            {**{name: PRESET_TITLES.get(name, name) for name in PRESET_NAMES}, CUSTOM: "Custom"}
        )
        self.preset_combo.setObjectName("trainPreset")
        self.preset_combo.setToolTip(
            "Fills every setting below; each stays editable (then it says Custom)"
        )
        custom = self.preset_combo.model().item(self.preset_combo.findData(CUSTOM))
        custom.setEnabled(False)  # shown, never chosen: choosing a preset fills the form
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("trainModel")
        self.pretrained_combo = _combo(
            {key: PRETRAINED_TITLES.get(key, key) for key in PRETRAINED_CHOICES}
        )
        self.pretrained_combo.setToolTip(
            "Pretrained weights come from the local torch cache; Studio downloads only when "
            "you allow it. Without weights the model trains from scratch, and the run says so."
        )
        self.input_size = _spin(32, 4096, 32)
        self.input_size.setSuffix(" px")
        self.input_size.setToolTip("Classification: the square side; detection: the shorter side")
        self.choices_label = QLabel()
        self.choices_label.setObjectName("presetChoices")
        self.choices_label.setWordWrap(True)
        form.addRow("Task:", self.task_combo)
        form.addRow("Preset:", self.preset_combo)
        form.addRow("", self.choices_label)
        form.addRow("Model:", self.model_combo)
        form.addRow("Weights:", self.pretrained_combo)
        form.addRow("Input size:", self.input_size)
        return group

    def _optimisation_group(self) -> QGroupBox:
        group = QGroupBox("Optimisation")
        form = QFormLayout(group)
        self.epochs = _spin(1, 10_000)
        self.batch_size = _spin(1, 4096)
        self.learning_rate = _double(0.000001, 10.0, 0.0001, 6)
        self.optimizer = _combo(OPTIMIZERS)
        self.momentum = _double(0.0, 0.999, 0.01, 3)
        self.weight_decay = _double(0.0, 1.0, 0.0001, 6)
        self.schedule = _combo(SCHEDULES)
        self.warmup_epochs = _spin(0, 1000)
        self.warmup_note = QLabel()
        self.warmup_note.setObjectName("warmupNote")
        self.warmup_note.setVisible(False)
        warmup_row = QHBoxLayout()
        warmup_row.addWidget(self.warmup_epochs)
        warmup_row.addWidget(self.warmup_note, 1)
        form.addRow("Epochs:", self.epochs)
        form.addRow("Batch size:", self.batch_size)
        form.addRow("Learning rate:", self.learning_rate)
        form.addRow("Optimizer:", self.optimizer)
        form.addRow("Momentum:", self.momentum)
        form.addRow("Weight decay:", self.weight_decay)
        form.addRow("Schedule:", self.schedule)
        form.addRow("Warm-up epochs:", warmup_row)
        return group

    def _augmentation_group(self) -> QGroupBox:
        group = QGroupBox("Augmentations")
        grid = QGridLayout(group)
        self.augmentation_boxes: dict[str, QCheckBox] = {}
        for index, name in enumerate(AUGMENTATION_NAMES):
            box = QCheckBox(AUGMENTATION_TITLES.get(name, name))
            box.setObjectName(f"augment_{name}")
            self.augmentation_boxes[name] = box
            grid.addWidget(box, index // 2, index % 2)
        return group

    def _stopping_group(self) -> QGroupBox:
        group = QGroupBox("Stopping and checkpoints")
        form = QFormLayout(group)
        self.patience = _spin(0, 1000, special="off")
        self.patience.setSuffix(" epochs")
        self.patience.setToolTip("Stop when the monitored metric has not improved for this long")
        self.monitor = QComboBox()
        self.keep_checkpoints = _combo(
            {key: CHECKPOINT_TITLES.get(key, key) for key in KEEP_CHECKPOINTS}
        )
        self.max_steps = _spin(0, 1_000_000, special="no limit")
        self.max_steps.setToolTip("Batches per epoch at most: for a quick look at a setup")
        form.addRow("Early stopping:", self.patience)
        form.addRow("Monitor:", self.monitor)
        form.addRow("Keep checkpoints:", self.keep_checkpoints)
        form.addRow("Steps per epoch:", self.max_steps)
        return group

    def _hardware_group(self) -> QGroupBox:
        group = QGroupBox("Device and reproducibility")
        row = QHBoxLayout(group)
        left, right = QFormLayout(), QFormLayout()
        self.device = _combo(DEVICES, editable=True)
        self.device.setObjectName("trainDevice")
        self.device.setToolTip("auto: CUDA, then MPS, then the CPU")
        self.workers = _spin(-1, 64, special="auto")
        self.workers.setToolTip("Processes that load images (0: in the training process)")
        self.seed = _spin(0, 2**31 - 1)
        self.amp = QCheckBox("Mixed precision (GPU)")
        self.channels_last = QCheckBox("Channels-last (GPU)")
        left.addRow("Device:", self.device)
        left.addRow("Data workers:", self.workers)
        right.addRow("Seed:", self.seed)
        right.addRow("", self.amp)
        right.addRow("", self.channels_last)
        row.addLayout(left, 1)
        row.addLayout(right, 1)
        return group

    def _editors(self) -> list[QWidget]:
        return [
            self.model_combo,
            self.pretrained_combo,
            self.input_size,
            self.epochs,
            self.batch_size,
            self.learning_rate,
            self.optimizer,
            self.momentum,
            self.weight_decay,
            self.schedule,
            self.warmup_epochs,
            *self.augmentation_boxes.values(),
            self.patience,
            self.monitor,
            self.keep_checkpoints,
            self.max_steps,
            self.device,
            self.workers,
            self.seed,
            self.amp,
            self.channels_last,
        ]

    def _connect(self) -> None:
        self.task_combo.currentIndexChanged.connect(self._task_changed)
        self.preset_combo.currentIndexChanged.connect(self._preset_chosen)
        self.epochs.valueChanged.connect(self._keep_warmup_below_epochs)
        self.warmup_epochs.valueChanged.connect(lambda _value: self.warmup_note.setVisible(False))
        self.device.currentIndexChanged.connect(self._device_changed)
        self.device.editTextChanged.connect(self._device_changed)
        for name in FITTED_SETTINGS:
            getattr(self, name).valueChanged.connect(
                lambda _value, name=name: self._fitted_edited(name)
            )
        for widget in self._editors():
            for name in ("valueChanged", "currentIndexChanged", "toggled", "editTextChanged"):
                signal = getattr(widget, name, None)
                if signal is not None:
                    signal.connect(self._edited)

    # -- values --------------------------------------------------------------------------

    @property
    def task(self) -> str:
        return str(self.task_combo.currentData())

    @property
    def preset(self) -> str:
        """The preset chosen last, which the settings started from (also under "Custom")."""
        return self._preset

    @property
    def model(self) -> str:
        return str(self.model_combo.currentData() or "")

    def set_task(self, task: str) -> None:
        _set_combo(self.task_combo, task)

    def set_preset(self, preset: str) -> None:
        _set_combo(self.preset_combo, preset)

    def _preset_chosen(self) -> None:
        chosen = str(self.preset_combo.currentData())
        if chosen != CUSTOM:
            self._preset = chosen
            self.apply_preset()

    def preset_values(self) -> dict[str, Any]:
        """The settings the chosen preset sets, fitted to the basis when there is one."""
        values = preset_table(self.task)[self.preset]
        if self.basis is not None:
            fit = fit_preset(self.task, self.preset, self.basis, device=self._device())
            values.update(fit.values)
        return values

    def is_custom(self) -> bool:
        """Whether a setting the preset sets shows another value than the preset's."""
        shown = {**self.values(), "model": self.model}
        return any(
            not _same(shown.get(name), wanted) for name, wanted in self.preset_values().items()
        )

    def _show_preset(self) -> None:
        """The preset box says the preset's name, or "Custom" once a setting differs."""
        index = self.preset_combo.findData(CUSTOM if self.is_custom() else self._preset)
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(index)
        self.preset_combo.blockSignals(False)

    def _task_changed(self) -> None:
        self._fill_models()
        self._fill_monitors()
        self.apply_preset()

    def _fill_models(self) -> None:
        self._filling = True
        self.model_combo.clear()
        for name in architecture_names(self.task):
            self.model_combo.addItem(name, name)
        self._filling = False

    def _fill_monitors(self) -> None:
        self._filling = True
        self.monitor.clear()
        metrics = TASK_METRICS.get(self.task, ())
        for name in metrics:
            self.monitor.addItem(name, name)
        self._filling = False

    def apply_preset(self) -> None:
        """Every setting from the chosen preset for the chosen task (over the defaults),
        fitted to the basis when there is one."""
        if self.model_combo.count() == 0:
            self._fill_models()
            self._fill_monitors()
        values = {**config_defaults(), **preset_table(self.task)[self.preset]}
        values["monitor"] = ""
        self._user_set.clear()
        if self.basis is not None:
            values.update(fit_preset(self.task, self.preset, self.basis).values)
        self.set_values(values)
        self._show_choices()

    def set_basis(self, basis: PresetBasis | None) -> None:
        """Fit the preset to another version or device; fields the user edited stay."""
        self.basis = basis
        self._refit()

    def _refit(self) -> None:
        if self.basis is None:
            self._show_choices()
            return
        explicit = {name: getattr(self, name).value() for name in self._user_set}
        fit = fit_preset(self.task, self.preset, self.basis, device=self._device(), **explicit)
        self.set_values({k: v for k, v in fit.values.items() if k not in self._user_set})
        self._show_choices()

    def _device(self) -> str:
        return _combo_value(self.device)

    def _device_changed(self) -> None:
        if not self._filling:
            self._refit()

    def _fitted_edited(self, name: str) -> None:
        if self._filling:
            return
        self._user_set.add(name)
        self._show_choices()

    def _show_choices(self) -> None:
        """The line under the preset: what it picked for this version and device, and why."""
        if self.basis is None:
            self.choices_label.setText("")
            return
        settings = {name: getattr(self, name).value() for name in self._user_set}
        try:
            config = make_config(
                self.task,
                self.preset,
                self.basis,
                model=self.model,
                device=self._device(),
                **settings,
            )
        except StudioError as error:
            self.choices_label.setText(str(error))
            return
        self.choices_label.setText(describe_choices(config))

    def _keep_warmup_below_epochs(self, epochs: int) -> None:
        """A warm-up must end before the last epoch: fewer epochs shorten it, with a note
        beside it (Start then never meets a warm-up as long as the run)."""
        before = self.warmup_epochs.value()
        self.warmup_epochs.setMaximum(max(epochs - 1, 0))
        after = self.warmup_epochs.value()
        if after < before and not self._filling:
            self.warmup_note.setText(
                f"shortened from {before}: it ends before the last of {epochs} epochs"
            )
            self.warmup_note.setVisible(True)

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show `values` (a run's config or a preset's settings); missing ones stay."""
        self._filling = True
        try:
            self._set_values(values)
        finally:
            self._filling = False
        self._show_preset()
        self._remember()
        self.changed.emit()

    def _set_values(self, values: Mapping[str, Any]) -> None:
        if "model" in values and self.model_combo.findData(values["model"]) >= 0:
            _set_combo(self.model_combo, values["model"])
        spins = {
            "input_size": self.input_size,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "warmup_epochs": self.warmup_epochs,
            "workers": self.workers,
            "seed": self.seed,
            "learning_rate": self.learning_rate,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
        }
        for name, box in spins.items():
            if values.get(name) is not None:
                box.setValue(values[name])
        for name in ("early_stopping_patience", "max_steps_per_epoch"):
            if name in values:
                box = self.patience if name == "early_stopping_patience" else self.max_steps
                box.setValue(values[name] or 0)
        combos = {
            "optimizer": self.optimizer,
            "schedule": self.schedule,
            "pretrained": self.pretrained_combo,
            "keep_checkpoints": self.keep_checkpoints,
            "device": self.device,
        }
        for name, combo in combos.items():
            if values.get(name):
                _set_combo(combo, str(values[name]))
        if "monitor" in values:
            monitor = values["monitor"] or self._default_monitor()
            _set_combo(self.monitor, monitor)
        for name in ("amp", "channels_last"):
            if name in values:
                getattr(self, name).setChecked(bool(values[name]))
        if "augmentations" in values:
            self._augmentation_order = list(values["augmentations"])
            chosen = set(values["augmentations"])
            for name, box in self.augmentation_boxes.items():
                box.setChecked(name in chosen)

    def _default_monitor(self) -> str:
        return DEFAULT_MONITOR.get(self.task, "")

    def values(self) -> dict[str, Any]:
        """The settings for `Project.new_run(task=..., model=..., preset=..., **settings)`."""
        return {
            "epochs": self.epochs.value(),
            "batch_size": self.batch_size.value(),
            "learning_rate": self.learning_rate.value(),
            "optimizer": _combo_value(self.optimizer),
            "momentum": self.momentum.value(),
            "weight_decay": self.weight_decay.value(),
            "schedule": _combo_value(self.schedule),
            "warmup_epochs": self.warmup_epochs.value(),
            "input_size": self.input_size.value(),
            "augmentations": self._augmentations(),
            "early_stopping_patience": self.patience.value() or None,
            "monitor": str(self.monitor.currentData() or ""),
            "seed": self.seed.value(),
            "device": _combo_value(self.device),
            "amp": self.amp.isChecked(),
            "channels_last": self.channels_last.isChecked(),
            "workers": self.workers.value(),
            "pretrained": _combo_value(self.pretrained_combo),
            "keep_checkpoints": _combo_value(self.keep_checkpoints),
            "max_steps_per_epoch": self.max_steps.value() or None,
        }

    def _augmentations(self) -> list[str]:
        """The checked augmentations, in the preset's order (they apply in turn), then the
        ones the user added."""
        checked = [name for name, box in self.augmentation_boxes.items() if box.isChecked()]
        ordered = [name for name in self._augmentation_order if name in checked]
        return ordered + [name for name in checked if name not in ordered]

    def _edited(self) -> None:
        if not self._filling:
            self._show_preset()
            self._remember()
            self.changed.emit()

    # -- the user's settings -------------------------------------------------------------

    def remember_in(self, settings: QSettings) -> None:
        """Show the settings left in `settings` last time, and keep them there from now on.
        A remembered value that no longer fits (a task or model Studio dropped, a setting out
        of range) is left at the preset's."""
        stored = settings.value(MEMORY_KEY)
        if isinstance(stored, str):
            try:
                self._recall(json.loads(stored))
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                log.warning("the remembered training settings are ignored: %s", error)
                self.task_combo.setCurrentIndex(0)  # the form as new
                self.set_preset(DEFAULT_PRESET)
                self.apply_preset()
        self._memory = settings

    def _recall(self, memory: dict[str, Any]) -> None:
        if memory.get("task") in TASK_TITLES:
            self.set_task(memory["task"])
        if memory.get("preset") in PRESET_NAMES:
            self.set_preset(memory["preset"])
        model = memory.get("model")
        self.set_values({**memory.get("values", {}), **({"model": model} if model else {})})
        self._user_set = set(memory.get("edited", ())) & set(FITTED_SETTINGS)
        self._refit()

    def _remember(self) -> None:
        if self._memory is None or self._filling:
            return
        memory = {
            "task": self.task,
            "preset": self.preset,
            "model": self.model,
            "values": self.values(),
            "edited": sorted(self._user_set),
        }
        self._memory.setValue(MEMORY_KEY, json.dumps(memory))
