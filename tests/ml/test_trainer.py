"""The training loop on tiny models and in-memory tensors: learning, checkpoints, early
stopping, cancel, resume, schedules, running out of memory."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import Dataset, TensorDataset

from studio.core.errors import CheckpointError, RunError
from studio.ml.checkpoints import load_checkpoint
from studio.ml.config import TrainConfig
from studio.ml.schedules import lr_factor
from studio.ml.trainer import Trainer, TrainOutcome
from studio.ml.training_steps import resolve_workers, usable_cores

FEATURES = 8
TIMING_METRICS = {"epoch_time_s", "images_per_s"}


def _points(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two linearly separable classes of points."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(count, FEATURES, generator=generator)
    labels = (inputs[:, 0] + inputs[:, 1] > 0).long()
    return inputs, labels


class TinyClassifier(torch.nn.Module):
    def __init__(self, classes: int = 2) -> None:
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(FEATURES, 16),
            torch.nn.BatchNorm1d(16),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.2),
            torch.nn.Linear(16, classes),
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.layers(inputs)


def _config(**settings: Any) -> TrainConfig:
    values = {
        "task": "classification",
        "model": "resnet18",
        "epochs": 4,
        "batch_size": 16,
        "learning_rate": 0.05,
        "optimizer": "sgd",
        "schedule": "constant",
        "augmentations": [],
        "device": "cpu",
        "workers": 0,
        "seed": 3,
        **settings,
    }
    return TrainConfig(**values).validate()


def _accuracy_validation(inputs: torch.Tensor, labels: torch.Tensor) -> Callable:
    def validate(model: torch.nn.Module, epoch: int) -> dict[str, float]:
        assert not model.training
        logits = model(inputs)
        return {
            "val/loss": float(torch.nn.functional.cross_entropy(logits, labels)),
            "val/accuracy": float((logits.argmax(1) == labels).float().mean()),
        }

    return validate


@dataclass
class Recorder:
    """Everything the trainer reported through its callbacks."""

    checkpoint_dir: Path
    events: list[dict] = field(default_factory=list)
    checkpoints: list[tuple[str, int]] = field(default_factory=list)
    epochs: list[tuple[int, dict[str, float]]] = field(default_factory=list)

    def on_checkpoint(self, name: str, path: Path, epoch: int, sha256: str) -> None:
        assert path == self.checkpoint_dir / name
        assert path.is_file()
        assert len(sha256) == 64
        self.checkpoints.append((name, epoch))

    def on_epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        assert load_checkpoint(self.checkpoint_dir / "last.pt")["epoch"] == epoch
        self.epochs.append((epoch, metrics))

    def of(self, kind: str) -> list[dict]:
        return [event for event in self.events if event["event"] == kind]

    def metric(self, name: str) -> list[float]:
        return [metrics[name] for _, metrics in self.epochs]

    def stable_metrics(self) -> list[tuple[int, dict[str, float]]]:
        return [
            (epoch, {k: v for k, v in metrics.items() if k not in TIMING_METRICS})
            for epoch, metrics in self.epochs
        ]


def _trainer(
    folder: Path,
    config: TrainConfig,
    *,
    model: torch.nn.Module | None = None,
    train_set: Dataset | None = None,
    validate: Callable | None = None,
    should_cancel: Callable[[], bool] = lambda: False,
) -> tuple[Trainer, Recorder]:
    torch.manual_seed(0)
    recorder = Recorder(folder)
    trainer = Trainer(
        config,
        model if model is not None else TinyClassifier(),
        train_set if train_set is not None else TensorDataset(*_points(96, seed=1)),
        torch.device("cpu"),
        validate=validate or _accuracy_validation(*_points(64, seed=2)),
        on_event=recorder.events.append,
        should_cancel=should_cancel,
        checkpoint_dir=folder,
        on_checkpoint=recorder.on_checkpoint,
        on_epoch=recorder.on_epoch,
    )
    return trainer, recorder


def test_the_loss_goes_down_and_the_model_learns(tmp_path: Path) -> None:
    trainer, recorder = _trainer(tmp_path, _config(epochs=6))
    outcome = trainer.fit()
    assert outcome == TrainOutcome(
        "finished", 6, outcome.best_epoch, outcome.best_value, "val/accuracy"
    )
    losses = recorder.metric("train/loss")
    assert losses[-1] < 0.6 * losses[0]
    assert recorder.metric("val/accuracy")[-1] > 0.85
    assert outcome.best_value == max(recorder.metric("val/accuracy"))
    assert [epoch for epoch, _ in recorder.epochs] == [1, 2, 3, 4, 5, 6]
    assert set(recorder.epochs[0][1]) == {
        "train/loss",
        "val/loss",
        "val/accuracy",
        "lr",
        "epoch_time_s",
        "images_per_s",
        "batch_size",
    }


def test_every_epoch_writes_last_and_best_checkpoints(tmp_path: Path) -> None:
    trainer, recorder = _trainer(tmp_path, _config(epochs=3))
    outcome = trainer.fit()
    for epoch in (1, 2, 3):
        assert ("last.pt", epoch) in recorder.checkpoints
    assert ("best.pt", 1) in recorder.checkpoints
    best_epochs = [epoch for name, epoch in recorder.checkpoints if name == "best.pt"]
    assert best_epochs[-1] == outcome.best_epoch
    assert load_checkpoint(tmp_path / "best.pt")["epoch"] == outcome.best_epoch
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["epoch"] == 3
    assert last["batch_size"] == 16
    assert {"model", "optimizer", "scheduler", "scaler", "rng", "best_value"} <= set(last)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["best.pt", "last.pt"]


def test_every_epoch_checkpoints_are_kept_when_asked(tmp_path: Path) -> None:
    trainer, recorder = _trainer(tmp_path, _config(epochs=2, keep_checkpoints="every_epoch"))
    trainer.fit()
    assert ("epoch-001.pt", 1) in recorder.checkpoints
    assert load_checkpoint(tmp_path / "epoch-001.pt")["epoch"] == 1
    assert load_checkpoint(tmp_path / "epoch-002.pt")["epoch"] == 2


def test_early_stopping_after_patience_epochs_without_improvement(tmp_path: Path) -> None:
    scores = iter([0.5, 0.7, 0.6, 0.7, 0.69, 0.9])
    trainer, recorder = _trainer(
        tmp_path,
        _config(epochs=6, early_stopping_patience=3),
        validate=lambda model, epoch: {"val/accuracy": next(scores)},
    )
    outcome = trainer.fit()
    assert outcome.status == "early_stopped"
    assert outcome.epochs_done == 5
    assert outcome.best_epoch == 2
    assert outcome.best_value == 0.7
    assert [epoch for epoch, _ in recorder.epochs] == [1, 2, 3, 4, 5]
    assert [event["best"] for event in recorder.of("epoch")] == [True, True, False, False, False]


def test_a_loss_monitor_improves_downwards(tmp_path: Path) -> None:
    losses = iter([1.0, 0.8, 0.9, 0.7])
    trainer, _ = _trainer(
        tmp_path,
        _config(epochs=4, monitor="val/loss"),
        validate=lambda model, epoch: {"val/loss": next(losses)},
    )
    outcome = trainer.fit()
    assert (outcome.best_epoch, outcome.best_value, outcome.monitor) == (4, 0.7, "val/loss")


def test_without_the_monitored_metric_best_follows_the_training_loss(tmp_path: Path) -> None:
    trainer, recorder = _trainer(tmp_path, _config(epochs=2), validate=lambda model, epoch: {})
    outcome = trainer.fit()
    assert outcome.monitor == "train/loss"
    assert outcome.best_value == min(recorder.metric("train/loss"))
    assert any("val/accuracy" in event["message"] for event in recorder.of("warning"))


def test_cancel_stops_at_once_and_keeps_the_last_complete_checkpoint(tmp_path: Path) -> None:
    calls = []

    def cancel_in_the_second_epoch() -> bool:
        calls.append(1)
        return len(calls) > 6 + 2  # 6 steps per epoch (96 / 16), then 2 into epoch 2

    trainer, recorder = _trainer(
        tmp_path, _config(epochs=4), should_cancel=cancel_in_the_second_epoch
    )
    outcome = trainer.fit()
    assert outcome.status == "cancelled"
    assert outcome.epochs_done == 1
    assert len(calls) == 9  # polled once more than 8, then nothing ran after it
    assert [epoch for epoch, _ in recorder.epochs] == [1]
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 1
    batches = recorder.of("batch")
    assert all(event["epoch"] == 1 or event["step"] <= 2 for event in batches)


def test_resumed_training_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    config = _config(
        epochs=4, optimizer="adamw", learning_rate=0.01, schedule="cosine", warmup_epochs=1
    )
    whole, whole_recorder = _trainer(tmp_path / "whole", config)
    assert whole.fit().status == "finished"

    def stop_in_epoch_three() -> bool:
        return len(first_recorder.epochs) == 2

    first, first_recorder = _trainer(tmp_path / "parts", config, should_cancel=stop_in_epoch_three)
    assert first.fit().status == "cancelled"
    second, second_recorder = _trainer(tmp_path / "parts", config, model=TinyClassifier())
    outcome = second.fit(resume_from=tmp_path / "parts" / "last.pt")

    assert outcome.status == "finished"
    assert outcome.epochs_done == 4
    assert second_recorder.of("started")[0]["resumed_from"] == 2
    for name, tensor in whole.model.state_dict().items():
        assert torch.allclose(second.model.state_dict()[name].float(), tensor.float(), atol=1e-6)
    resumed = first_recorder.stable_metrics() + second_recorder.stable_metrics()
    assert resumed == whole_recorder.stable_metrics()


def test_resuming_a_finished_run_trains_nothing_more(tmp_path: Path) -> None:
    trainer, _ = _trainer(tmp_path, _config(epochs=2))
    trainer.fit()
    again, recorder = _trainer(tmp_path, _config(epochs=2))
    outcome = again.fit(resume_from=tmp_path / "last.pt")
    assert outcome.status == "finished"
    assert outcome.epochs_done == 2
    assert recorder.epochs == []


def test_resuming_from_another_models_checkpoint_is_refused(tmp_path: Path) -> None:
    trainer, _ = _trainer(tmp_path, _config(epochs=1))
    trainer.fit()
    other, _ = _trainer(tmp_path, _config(epochs=2, model="resnet50"))
    with pytest.raises(CheckpointError, match=r"last.pt"):
        other.fit(resume_from=tmp_path / "last.pt")
    wider, _ = _trainer(tmp_path, _config(epochs=2), model=TinyClassifier(classes=5))
    with pytest.raises(CheckpointError, match=r"does not fit"):
        wider.fit(resume_from=tmp_path / "last.pt")


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("constant", [0.1, 0.1, 0.1]),
        ("step", [0.1, 0.01, 0.001]),
        ("cosine", [0.1, 0.075, 0.025]),
    ],
)
def test_the_schedule_sets_each_epochs_learning_rate(
    tmp_path: Path, schedule: str, expected: list[float]
) -> None:
    trainer, recorder = _trainer(tmp_path, _config(epochs=3, learning_rate=0.1, schedule=schedule))
    trainer.fit()
    assert recorder.metric("lr") == pytest.approx(expected)


def test_warmup_and_onecycle_shapes() -> None:
    assert lr_factor("cosine", 0.0, 10, warmup_epochs=2) == pytest.approx(0.001)
    assert lr_factor("cosine", 1.0, 10, warmup_epochs=2) == pytest.approx(0.5005)
    assert lr_factor("cosine", 2.0, 10, warmup_epochs=2) == pytest.approx(1.0)
    assert lr_factor("onecycle", 0.0, 10) == pytest.approx(1 / 25)
    assert lr_factor("onecycle", 3.0, 10) == pytest.approx(1.0)
    assert lr_factor("onecycle", 10.0, 10) == pytest.approx(1 / 25e4)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("sgd", torch.optim.SGD), ("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)],
)
def test_the_optimizer_is_the_one_configured(tmp_path: Path, name: str, kind: type) -> None:
    trainer, _ = _trainer(tmp_path, _config(optimizer=name, momentum=0.8, weight_decay=0.01))
    assert type(trainer.optimizer) is kind
    decays = sorted(group["weight_decay"] for group in trainer.optimizer.param_groups)
    assert decays == [0.0, 0.01]  # biases and batch-norm scales are not decayed
    if name == "sgd":
        assert trainer.optimizer.param_groups[0]["momentum"] == 0.8


def test_events_are_json_and_describe_the_run(tmp_path: Path) -> None:
    trainer, recorder = _trainer(tmp_path, _config(epochs=2, max_steps_per_epoch=4))
    trainer.fit()
    json.dumps(recorder.events)
    started = recorder.of("started")[0]
    assert started == {
        "event": "started",
        "epochs": 2,
        "batch_size": 16,
        "train_items": 96,
        "steps_per_epoch": 4,
        "resumed_from": None,
    }
    last_batch = [event for event in recorder.of("batch") if event["epoch"] == 1][-1]
    assert (last_batch["step"], last_batch["steps"]) == (4, 4)
    assert {"loss", "images_per_s", "eta_s"} <= set(last_batch)
    assert recorder.of("epoch")[-1]["eta_s"] == 0.0
    assert recorder.epochs[0][1]["images_per_s"] > 0


class OutOfMemoryAbove(torch.nn.Module):
    """Raises the CUDA out-of-memory error whenever a training batch is larger than `limit`."""

    def __init__(self, inner: torch.nn.Module, limit: int) -> None:
        super().__init__()
        self.inner = inner
        self.limit = limit
        self.refused: list[int] = []

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.training and inputs.shape[0] > self.limit:
            self.refused.append(inputs.shape[0])
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return self.inner(inputs)


def test_out_of_memory_halves_the_batch_and_redoes_the_epoch(tmp_path: Path) -> None:
    model = OutOfMemoryAbove(TinyClassifier(), limit=10)
    trainer, recorder = _trainer(tmp_path, _config(epochs=2, batch_size=40), model=model)
    outcome = trainer.fit()
    assert outcome.status == "finished"
    assert outcome.epochs_done == 2
    assert model.refused == [40, 20]
    warnings = [event["message"] for event in recorder.of("warning")]
    assert len(warnings) == 2
    assert "batch size 40" in warnings[0]
    assert "batch size 10" in warnings[1]
    assert recorder.metric("batch_size") == [10.0, 10.0]
    assert load_checkpoint(tmp_path / "last.pt")["batch_size"] == 10


class OutOfMemoryOnce(torch.nn.Module):
    """Raises the CUDA out-of-memory error once, in the `at`-th training step."""

    def __init__(self, inner: torch.nn.Module, at: int) -> None:
        super().__init__()
        self.inner = inner
        self.at = at
        self.calls = 0

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return self.inner(inputs)


@pytest.mark.parametrize(("early", "late"), [(1, 3), (4, 6)], ids=["epoch-1", "epoch-2"])
def test_a_redone_epoch_starts_from_the_epoch_start_weights(
    tmp_path: Path, early: int, late: int
) -> None:
    """The steps before the error are undone: failing in an epoch's last step (of 3) gives
    the same run as failing in its first, before any update (epoch 1 restores the start
    copy, epoch 2 restores last.pt)."""
    results = []
    for fail_at in (early, late):
        torch.manual_seed(0)
        model = OutOfMemoryOnce(TinyClassifier(), at=fail_at)
        folder = tmp_path / str(fail_at)
        trainer, recorder = _trainer(folder, _config(epochs=2, batch_size=32), model=model)
        assert trainer.fit().status == "finished"
        assert len(recorder.of("warning")) == 1
        results.append((recorder.stable_metrics(), trainer.model.state_dict()))
    (early_metrics, early_state), (late_metrics, late_state) = results
    assert early_metrics == late_metrics
    assert early_metrics[-1][1]["batch_size"] == 16.0
    for name, tensor in early_state.items():
        assert torch.equal(late_state[name], tensor)


def test_out_of_memory_at_batch_size_one_fails_clearly(tmp_path: Path) -> None:
    model = OutOfMemoryAbove(TinyClassifier(), limit=0)
    trainer, _ = _trainer(tmp_path, _config(epochs=1, batch_size=2), model=model)
    with pytest.raises(RunError, match=r"even with batch size 1"):
        trainer.fit()


def test_a_diverging_loss_fails_with_advice(tmp_path: Path) -> None:
    class NotANumber(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = TinyClassifier()

        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(inputs) * math.nan

    trainer, _ = _trainer(tmp_path, _config(epochs=1), model=NotANumber())
    with pytest.raises(RunError, match=r"diverged in epoch 1.*learning rate"):
        trainer.fit()


def test_an_empty_training_set_is_refused(tmp_path: Path) -> None:
    empty = TensorDataset(torch.zeros(0, FEATURES), torch.zeros(0, dtype=torch.long))
    trainer, _ = _trainer(tmp_path, _config(), train_set=empty)
    with pytest.raises(RunError, match=r"no usable items"):
        trainer.fit()


def test_multilabel_trains_on_multi_hot_targets(tmp_path: Path) -> None:
    inputs, _ = _points(64, seed=4)
    targets = torch.stack([inputs[:, 0] > 0, inputs[:, 1] > 0, inputs[:, 2] > 0], 1).float()

    def validate(model: torch.nn.Module, epoch: int) -> dict[str, float]:
        predicted = model(inputs) > 0
        return {"val/f1": float((predicted == targets.bool()).float().mean())}

    trainer, recorder = _trainer(
        tmp_path,
        _config(task="multilabel", epochs=4, monitor="val/f1"),
        model=TinyClassifier(classes=3),
        train_set=TensorDataset(inputs, targets),
        validate=validate,
    )
    trainer.fit()
    losses = recorder.metric("train/loss")
    assert losses[-1] < losses[0]


class BoxDataset(Dataset):
    """Images with one box each, as studio.ml.data.VersionDataset gives them for detection."""

    task = "detection"

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict]:
        side = 20 + index % 3 * 4
        image = torch.rand(3, side, side + 2)
        target = {
            "boxes": torch.tensor([[2.0, 3.0, 12.0, 15.0]]),
            "labels": torch.tensor([1 + index % 2]),
            "item_id": index,
        }
        return image, target


class LossDictDetector(torch.nn.Module):
    """The torchvision detection training interface: model(images, targets) -> losses."""

    def __init__(self) -> None:
        super().__init__()
        self.box = torch.nn.Linear(3, 4)
        self.seen: list[tuple[int, tuple[str, ...]]] = []

    def forward(self, images: list[torch.Tensor], targets: list[dict]) -> dict[str, torch.Tensor]:
        self.seen.append((len(images), tuple(sorted(targets[0]))))
        features = torch.stack([image.mean(dim=(1, 2)) for image in images])
        boxes = torch.stack([target["boxes"][0] for target in targets]) / 20
        regression = torch.nn.functional.mse_loss(self.box(features), boxes)
        return {"loss_box_reg": regression, "loss_objectness": regression.detach() * 0 + 0.1}


def test_detection_batches_go_through_the_loss_dict(tmp_path: Path) -> None:
    model = LossDictDetector()
    trainer, recorder = _trainer(
        tmp_path,
        _config(
            task="detection",
            model="fasterrcnn_mobilenet_v3_large_fpn",
            epochs=3,
            batch_size=4,
            learning_rate=0.5,
        ),
        model=model,
        train_set=BoxDataset(10),
        validate=lambda module, epoch: {"val/map": 0.1 * epoch},
    )
    outcome = trainer.fit()
    assert outcome.best_epoch == 3
    assert model.seen[0] == (4, ("boxes", "labels"))
    assert [size for size, _ in model.seen[:3]] == [4, 4, 2]
    losses = recorder.metric("train/loss")
    assert losses[-1] < losses[0]


def test_auto_workers_follow_the_usable_cores() -> None:
    assert resolve_workers(3, "cpu") == 3
    assert resolve_workers(0, "cuda") == 0
    cores = usable_cores()
    assert resolve_workers(-1, "cuda") == max(1, min(8, cores - 1))
    assert resolve_workers(-1, "cpu") == min(8, cores // 4)
