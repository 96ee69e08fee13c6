"""The training loop: epochs, checkpoints, early stopping, cancel, resume, GPU memory limits.

The loop is deterministic per epoch: every epoch starts by seeding torch (and the loader's
shuffle) from (seed, epoch), and the learning rate is a pure function of the progress, so a
run resumed from `last.pt` on the CPU gives the same weights as one that never stopped.
"""

from __future__ import annotations

import gc
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy
import torch

from studio.core.enums import Task
from studio.core.errors import CheckpointError, OperationCancelledError, RunError
from studio.ml.callbacks import TrainingCallbacks
from studio.ml.checkpoints import link_checkpoint, load_checkpoint, save_checkpoint
from studio.ml.config import TrainConfig, monitor_mode
from studio.ml.data import make_loader
from studio.ml.schedules import build_optimizer, learning_rate_at, set_learning_rate
from studio.ml.training_steps import (
    compute_loss,
    move_batch,
    resolve_workers,
    state_to_cpu,
)

CHECKPOINT_FORMAT = "studio-checkpoint"
CHECKPOINT_VERSION = 1
BATCH_EVENT_INTERVAL_S = 0.25  # at most ~4 batch events per second
FALLBACK_MONITOR = "train/loss"


@dataclass
class TrainOutcome:
    status: str  # "finished" | "cancelled" | "early_stopped"
    epochs_done: int
    best_epoch: int | None
    best_value: float | None
    monitor: str


@dataclass
class _Progress:
    """What the loop carries from epoch to epoch (and through a checkpoint)."""

    epoch: int
    batch_size: int
    monitor: str
    best_value: float | None = None
    best_epoch: int | None = None
    stale_epochs: int = 0
    # epoch -> its metrics, so a resume can restore a history whose last epoch was
    # checkpointed but not yet stored in the project when the worker died.
    history: dict[int, dict[str, float]] = field(default_factory=dict)


@dataclass
class _EpochTraining:
    loss: float
    learning_rate: float
    images: int
    seconds: float


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of one epoch: distinct per (seed, epoch), stable across runs and machines."""
    return (seed * 1_000_003 + epoch * 7_919) % (2**63 - 1)


class Trainer:
    """Trains `model` on `train_set` as `config` says, reporting through the callbacks.

    `should_cancel` is asked before every batch; `validate` may raise OperationCancelledError
    (a validator that asks the same question between its batches): either ends the run as
    cancelled, with the checkpoints of the epochs completed before. `callbacks`
    (`studio.ml.callbacks.TrainingCallback`, from plugins) are told of the start, each epoch
    (after `on_epoch` stored it) and the end; one may stop training early.
    """

    def __init__(
        self,
        config: TrainConfig,
        model: torch.nn.Module,
        train_set: Any,
        device: torch.device | str,
        *,
        validate: Callable[[Any, int], Mapping[str, float]],
        on_event: Callable[[dict], None],
        should_cancel: Callable[[], bool],
        checkpoint_dir: Path,
        on_checkpoint: Callable[[str, Path, int, str], None],
        on_epoch: Callable[[int, dict[str, float]], None],
        checkpoint_extra: Mapping[str, Any] | None = None,
        callbacks: Sequence[object] = (),
    ) -> None:
        self.config = config
        self.task = config.task
        self.device = torch.device(device)
        self.train_set = train_set
        self.validate = validate
        self.on_event = on_event
        self.should_cancel = should_cancel
        self.checkpoint_dir = Path(checkpoint_dir)
        self.on_checkpoint = on_checkpoint
        self.on_epoch = on_epoch
        self.checkpoint_extra = dict(checkpoint_extra or {})
        self.callbacks = TrainingCallbacks(callbacks, self._warn)
        self._stop_requested = False
        on_cuda = self.device.type == "cuda"
        self.use_amp = config.amp and on_cuda
        self.channels_last = config.channels_last and on_cuda
        self.model = model.to(self.device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = build_optimizer(config, self.model)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.progress = _Progress(0, config.batch_size, config.monitored_metric)
        self._restore_point: Path | dict[str, Any] | None = None
        self._epoch_seconds: list[float] = []
        self._last_batch_event = 0.0

    # -- the loop -------------------------------------------------------------------------

    def fit(self, resume_from: Path | None = None) -> TrainOutcome:
        """Train until the last epoch, early stopping or cancel; see TrainOutcome.status."""
        if len(self.train_set) == 0:
            raise RunError("the training split holds no usable items; nothing to train on")
        if self.device.type == "cuda":
            # Autotuning pays off for fixed input shapes (classification); a detector's
            # region heads see new shapes every batch, and would re-tune each time.
            torch.backends.cudnn.benchmark = self.task in ("classification", "multilabel")
        if resume_from is not None:
            self._resume(Path(resume_from))
        else:
            self._restore_point = self._snapshot()
        self._emit_started(resume_from)
        self.callbacks.train_start()
        try:
            status = self._epochs()
        except BaseException:
            self.callbacks.train_end("failed")
            raise
        self.callbacks.train_end(status)
        return TrainOutcome(
            status=status,
            epochs_done=self.progress.epoch,
            best_epoch=self.progress.best_epoch,
            best_value=self.progress.best_value,
            monitor=self.progress.monitor,
        )

    def _epochs(self) -> str:
        status = "early_stopped" if self._patience_exhausted() else "finished"
        while status == "finished" and self.progress.epoch < self.config.epochs:
            epoch = self.progress.epoch + 1
            if not self._run_epoch(epoch):
                status = "cancelled"
            elif self._patience_exhausted() or self._stop_requested:
                status = "early_stopped"
        return status

    def _run_epoch(self, epoch: int) -> bool:
        """Train, validate and checkpoint one epoch; False when cancelled before its end."""
        started = time.perf_counter()
        training = self._train_epoch_within_memory(epoch)
        if training is None or self.should_cancel():
            return False
        self.on_event({"event": "validating", "epoch": epoch, "epochs": self.config.epochs})
        try:
            validation = self._validation_metrics(epoch)
        except OperationCancelledError:
            return False
        metrics = {
            "train/loss": training.loss,
            **validation,
            "lr": training.learning_rate,
            "epoch_time_s": 0.0,
            "images_per_s": training.images / max(training.seconds, 1e-9),
            "batch_size": float(self.progress.batch_size),
        }
        improved = self._update_best(epoch, metrics)
        self.progress.epoch = epoch
        metrics["epoch_time_s"] = time.perf_counter() - started
        self._epoch_seconds.append(metrics["epoch_time_s"])
        self.progress.history[epoch] = dict(metrics)
        self._write_checkpoints(epoch, improved)
        self.on_epoch(epoch, metrics)
        self.on_event(
            {
                "event": "epoch",
                "epoch": epoch,
                "epochs": self.config.epochs,
                "metrics": metrics,
                "best": improved,
                "eta_s": self._remaining_epochs_eta(epoch),
            }
        )
        stopped_by = self.callbacks.epoch_end(epoch, metrics)
        if stopped_by is not None:
            self._stop_requested = True
            message = f"training stopped after epoch {epoch}: training callback {stopped_by} asked"
            self.on_event({"event": "log", "message": message})
        return True

    def _train_epoch_within_memory(self, epoch: int) -> _EpochTraining | None:
        """Train one epoch; when the GPU runs out of memory, halve the batch and redo it."""
        while True:
            try:
                return self._train_epoch(epoch)
            except torch.OutOfMemoryError:
                pass  # leave the except block first, so the traceback's tensors can be freed
            self._recover_from_out_of_memory(epoch)

    def _train_epoch(self, epoch: int) -> _EpochTraining | None:
        self._seed_epoch(epoch)
        self.model.train()
        loader = self._loader(epoch)
        steps = self.steps_per_epoch()
        loss_sum = torch.zeros((), device=self.device)
        bad_steps = torch.zeros((), device=self.device, dtype=torch.int64)
        images, started = 0, time.perf_counter()
        for step, batch in enumerate(loader):
            if step >= steps:
                break
            if self.should_cancel():
                return None
            set_learning_rate(self.optimizer, learning_rate_at(self.config, epoch, step, steps))
            loss, count = self._train_step(batch)
            finite = torch.isfinite(loss)
            loss_sum += torch.where(finite, loss, 0.0)
            bad_steps += (~finite).to(torch.int64)
            images += count
            self._maybe_emit_batch(epoch, step, steps, loss, images, started)
        seconds = time.perf_counter() - started
        return _EpochTraining(
            loss=self._epoch_loss(epoch, loss_sum, int(bad_steps.item()), steps),
            learning_rate=learning_rate_at(self.config, epoch, 0, steps),
            images=images,
            seconds=seconds,
        )

    def _train_step(self, batch: Any) -> tuple[torch.Tensor, int]:
        inputs, targets, count = move_batch(batch, self.task, self.device, self.channels_last)
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp):
            loss = compute_loss(self.model, inputs, targets, self.task)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss.detach().float(), count

    def _epoch_loss(self, epoch: int, loss_sum: torch.Tensor, bad_steps: int, steps: int) -> float:
        if bad_steps >= steps:
            raise RunError(
                f"training diverged in epoch {epoch}: every step's loss was not a finite number; "
                f"lower the learning rate (now {self.config.learning_rate:g}) or add warm-up epochs"
            )
        if bad_steps:
            self._warn(
                f"{bad_steps} of {steps} steps of epoch {epoch} had a non-finite loss "
                "and were left out of train/loss"
            )
        return float(loss_sum.item()) / (steps - bad_steps)

    def _validation_metrics(self, epoch: int) -> dict[str, float]:
        self.model.eval()
        try:
            with torch.no_grad():
                values = self.validate(self.model, epoch)
        finally:
            self.model.train()
        return {name: float(value) for name, value in values.items()}

    # -- data --------------------------------------------------------------------------------

    def _seed_epoch(self, epoch: int) -> None:
        seed = epoch_seed(self.config.seed, epoch)
        torch.manual_seed(seed)
        random.seed(seed)
        numpy.random.seed(seed % 2**32)

    def _loader(self, epoch: int) -> Any:
        batch_size = self.progress.batch_size
        return make_loader(
            self.train_set,
            batch_size,
            shuffle=True,
            workers=resolve_workers(self.config.workers, self.device.type),
            seed=self.config.seed,
            epoch=epoch,
            device_type=self.device.type,
            drop_last=self._drop_last(batch_size),
        )

    def _drop_last(self, batch_size: int) -> bool:
        """Classifiers drop a last batch of one image: batch norm cannot train on one sample."""
        classifier = self.task in (Task.CLASSIFICATION.value, Task.MULTILABEL.value)
        return (
            classifier
            and len(self.train_set) > batch_size
            and (len(self.train_set) % batch_size == 1)
        )

    def steps_per_epoch(self) -> int:
        """Optimizer steps per epoch at the current batch size."""
        batch_size = self.progress.batch_size
        full, rest = divmod(len(self.train_set), batch_size)
        steps = full + (1 if rest and not self._drop_last(batch_size) else 0)
        if self.config.max_steps_per_epoch is not None:
            steps = min(steps, self.config.max_steps_per_epoch)
        return max(steps, 1)

    # -- best, early stopping ----------------------------------------------------------------

    def _update_best(self, epoch: int, metrics: Mapping[str, float]) -> bool:
        if self.progress.monitor not in metrics:
            self._warn(
                f"validation gave no {self.progress.monitor} (is the validation split empty?); "
                f"best.pt and early stopping follow {FALLBACK_MONITOR} instead"
            )
            self.progress.monitor = FALLBACK_MONITOR
            self.progress.best_value, self.progress.best_epoch = None, None
        value = metrics[self.progress.monitor]
        best = self.progress.best_value
        if monitor_mode(self.progress.monitor) == "max":
            improved = math.isfinite(value) and (best is None or value > best)
        else:
            improved = math.isfinite(value) and (best is None or value < best)
        if improved:
            self.progress.best_value, self.progress.best_epoch = value, epoch
            self.progress.stale_epochs = 0
        else:
            self.progress.stale_epochs += 1
        return improved

    def _patience_exhausted(self) -> bool:
        patience = self.config.early_stopping_patience
        return patience is not None and self.progress.stale_epochs >= patience

    # -- checkpoints -------------------------------------------------------------------------

    def _checkpoint_state(self, epoch: int) -> dict[str, Any]:
        rng = {"cpu": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "task": self.task,
            "model_name": self.config.model,
            "config": self.config.to_dict(),
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": {
                "schedule": self.config.schedule,
                "learning_rate": self.config.learning_rate,
                "warmup_epochs": self.config.warmup_epochs,
                "epochs": self.config.epochs,
            },
            "scaler": self.scaler.state_dict(),
            "best_value": self.progress.best_value,
            "best_epoch": self.progress.best_epoch,
            "monitor": self.progress.monitor,
            "stale_epochs": self.progress.stale_epochs,
            "history": self.progress.history,
            "batch_size": self.progress.batch_size,
            "rng": rng,
            **self.checkpoint_extra,
        }

    def _write_checkpoints(self, epoch: int, improved: bool) -> None:
        last = self.checkpoint_dir / "last.pt"
        digest = save_checkpoint(last, self._checkpoint_state(epoch))
        self._restore_point = last
        written = [("last.pt", last)]
        if improved:
            written.append(("best.pt", self.checkpoint_dir / "best.pt"))
        if self.config.keep_checkpoints == "every_epoch":
            written.append((f"epoch-{epoch:03d}.pt", self.checkpoint_dir / f"epoch-{epoch:03d}.pt"))
        for _, path in written[1:]:
            link_checkpoint(last, path)
        for name, path in written:
            self.on_checkpoint(name, path, epoch, digest)

    def _resume(self, path: Path) -> None:
        state = load_checkpoint(path)
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"checkpoint {path} was not written by Studio's trainer")
        if state.get("task") != self.task or state.get("model_name") != self.config.model:
            raise CheckpointError(
                f"checkpoint {path} is of a {state.get('task')} {state.get('model_name')} model, "
                f"not of this run's {self.task} {self.config.model}"
            )
        try:
            self._load_training_state(state)
        except (RuntimeError, ValueError, KeyError) as error:
            raise CheckpointError(f"checkpoint {path} does not fit this run: {error}") from error
        self.progress = _Progress(
            epoch=int(state["epoch"]),
            batch_size=int(state["batch_size"]),
            monitor=str(state["monitor"]),
            best_value=state["best_value"],
            best_epoch=state["best_epoch"],
            stale_epochs=int(state["stale_epochs"]),
            history={int(epoch): dict(row) for epoch, row in state.get("history", {}).items()},
        )
        torch.set_rng_state(state["rng"]["cpu"])
        if self.device.type == "cuda" and "cuda" in state["rng"]:
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        self._restore_point = path

    def _load_training_state(self, state: Mapping[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scaler.is_enabled() and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])

    # -- running out of GPU memory -----------------------------------------------------------

    def _snapshot(self) -> dict[str, Any]:
        """The epoch-start state on the CPU, for redoing the first epoch after an OOM."""
        return {
            "model": state_to_cpu(self.model.state_dict()),
            "optimizer": state_to_cpu(self.optimizer.state_dict()),
            "scaler": self.scaler.state_dict(),
        }

    def _recover_from_out_of_memory(self, epoch: int) -> None:
        old = self.progress.batch_size
        self.optimizer.zero_grad(set_to_none=True)
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        if old <= 1:
            raise RunError(
                f"out of GPU memory in epoch {epoch} even with batch size 1; choose a smaller "
                f"input size (now {self.config.input_size}) or a smaller model"
            )
        point = self._restore_point
        state = (
            load_checkpoint(point, map_location=self.device) if isinstance(point, Path) else point
        )
        self._load_training_state(state)
        self.progress.batch_size = old // 2
        self._warn(
            f"out of GPU memory with batch size {old} in epoch {epoch}; "
            f"redoing the epoch with batch size {self.progress.batch_size}"
        )

    # -- events ------------------------------------------------------------------------------

    def _warn(self, message: str) -> None:
        self.on_event({"event": "warning", "message": message})

    def _emit_started(self, resume_from: Path | None) -> None:
        self.on_event(
            {
                "event": "started",
                "epochs": self.config.epochs,
                "batch_size": self.progress.batch_size,
                "train_items": len(self.train_set),
                "steps_per_epoch": self.steps_per_epoch(),
                "resumed_from": self.progress.epoch if resume_from is not None else None,
            }
        )

    def _maybe_emit_batch(
        self, epoch: int, step: int, steps: int, loss: torch.Tensor, images: int, started: float
    ) -> None:
        now = time.perf_counter()
        if now - self._last_batch_event < BATCH_EVENT_INTERVAL_S and step + 1 < steps:
            return
        self._last_batch_event = now
        elapsed = now - started
        per_step = elapsed / (step + 1)
        epoch_estimate = self._mean_epoch_seconds() or per_step * steps
        remaining = per_step * (steps - step - 1) + epoch_estimate * (self.config.epochs - epoch)
        self.on_event(
            {
                "event": "batch",
                "epoch": epoch,
                "step": step + 1,
                "steps": steps,
                "loss": float(loss.item()),
                "images_per_s": images / max(elapsed, 1e-9),
                "eta_s": remaining,
            }
        )

    def _mean_epoch_seconds(self) -> float | None:
        if not self._epoch_seconds:
            return None
        return sum(self._epoch_seconds) / len(self._epoch_seconds)

    def _remaining_epochs_eta(self, epoch: int) -> float:
        return (self._mean_epoch_seconds() or 0.0) * (self.config.epochs - epoch)
