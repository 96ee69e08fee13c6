"""Optimizers and learning-rate schedules, as plain functions of the training progress.

The learning rate is a pure function of (epoch, step, steps per epoch), set before every
step. Nothing but the configuration is needed to continue a schedule after a resume or after
the batch size was halved (which changes the steps per epoch), so no scheduler object has to
survive in the checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from studio.ml.config import TrainConfig

WARMUP_START = 0.001  # warm-up begins at this fraction of the learning rate
STEP_DECAY = 0.1  # "step": the rate drops tenfold after each third of the epochs
ONECYCLE_RISE = 0.3  # "onecycle": the fraction of training spent rising
ONECYCLE_START = 1 / 25  # torch's OneCycleLR defaults
ONECYCLE_END = 1 / 25e4


def _cosine(fraction: float, start: float, end: float) -> float:
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * min(max(fraction, 0.0), 1.0)))


def _onecycle(fraction: float) -> float:
    if fraction < ONECYCLE_RISE:
        return _cosine(fraction / ONECYCLE_RISE, ONECYCLE_START, 1.0)
    return _cosine((fraction - ONECYCLE_RISE) / (1 - ONECYCLE_RISE), 1.0, ONECYCLE_END)


def lr_factor(schedule: str, progress: float, epochs: int, warmup_epochs: int = 0) -> float:
    """The multiplier of the base learning rate after `progress` epochs (a fraction).

    Warm-up (linear from WARMUP_START) applies to every schedule but "onecycle", which has
    its own rise.
    """
    fraction = progress / epochs
    if schedule == "onecycle":
        return _onecycle(fraction)
    if progress < warmup_epochs:
        return WARMUP_START + (1 - WARMUP_START) * progress / warmup_epochs
    decay_fraction = (progress - warmup_epochs) / max(epochs - warmup_epochs, 1)
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return _cosine(decay_fraction, 1.0, 0.0)
    if schedule == "step":
        return STEP_DECAY ** min(int(3 * decay_fraction), 2)
    raise ValueError(f"unknown schedule {schedule!r}")


def learning_rate_at(config: TrainConfig, epoch: int, step: int, steps: int) -> float:
    """The learning rate of step `step` (0-based) of epoch `epoch` (1-based)."""
    progress = epoch - 1 + step / max(steps, 1)
    factor = lr_factor(config.schedule, progress, config.epochs, config.warmup_epochs)
    return config.learning_rate * factor


def set_learning_rate(optimizer: torch.optim.Optimizer, value: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = value


def _parameter_groups(
    parameters: Iterable[tuple[str, torch.nn.Parameter]], weight_decay: float
) -> list[dict]:
    """Weight decay on weights only: biases and normalisation scales are not decayed."""
    decayed, plain = [], []
    for _, parameter in parameters:
        if not parameter.requires_grad:
            continue
        (plain if parameter.ndim <= 1 else decayed).append(parameter)
    groups = [{"params": decayed, "weight_decay": weight_decay}]
    if plain:
        groups.append({"params": plain, "weight_decay": 0.0})
    return groups


def build_optimizer(config: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """The optimizer the config names, over the model's trainable parameters."""
    groups = _parameter_groups(model.named_parameters(), config.weight_decay)
    rate = config.learning_rate
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=rate, momentum=config.momentum, nesterov=False)
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=rate)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=rate)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")
