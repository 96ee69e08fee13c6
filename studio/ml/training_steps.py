"""One training step per task: moving a batch to the device and computing its loss.

Batches come from `studio.ml.data`: classification `(images, class indices)`, multilabel
`(images, multi-hot)`, detection and segmentation `(list of images, list of target dicts)`
as torchvision's detection models take them (`model(images, targets) -> loss dict`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from studio.core.enums import OBJECT_TASKS, Task

MAX_AUTO_WORKERS = 8


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, e.g. under taskset or a
    container's CPU set), not every core of the machine."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def resolve_workers(setting: int, device_type: str) -> int:
    """DataLoader workers for the "workers" setting (-1 = auto).

    On a GPU the loader must keep up with fast steps, so auto takes every core but one (up
    to MAX_AUTO_WORKERS). On the CPU the model's own threads already use the cores, and
    worker processes would compete with them, so auto uses one worker per four cores.
    """
    if setting >= 0:
        return setting
    cores = usable_cores()
    if device_type == "cuda":
        return max(1, min(MAX_AUTO_WORKERS, cores - 1))
    return min(MAX_AUTO_WORKERS, cores // 4)


def _plain(tensor: torch.Tensor) -> torch.Tensor:
    """A plain tensor view (tv_tensors subclasses would follow their own rules in the model)."""
    return tensor.as_subclass(torch.Tensor) if type(tensor) is not torch.Tensor else tensor


def _target_to(target: Mapping[str, Any], device: torch.device) -> dict[str, torch.Tensor]:
    """Tensors of one detection target on `device`; non-tensor entries (item ids) dropped."""
    return {
        key: _plain(value).to(device, non_blocking=True)
        for key, value in target.items()
        if isinstance(value, torch.Tensor)
    }


def move_batch(
    batch: Sequence[Any], task: str, device: torch.device, channels_last: bool
) -> tuple[Any, Any, int]:
    """(inputs, targets, number of images) of `batch`, on `device`."""
    images, targets = batch[0], batch[1]
    if task in OBJECT_TASKS:
        moved = [_plain(image).to(device, non_blocking=True) for image in images]
        return moved, [_target_to(target, device) for target in targets], len(moved)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    inputs = _plain(images).to(device, non_blocking=True, memory_format=memory_format)
    targets = _plain(targets).to(device, non_blocking=True)
    if task == Task.MULTILABEL.value:
        targets = targets.float()
    return inputs, targets, int(inputs.shape[0])


def compute_loss(model: torch.nn.Module, inputs: Any, targets: Any, task: str) -> torch.Tensor:
    """The scalar training loss of one batch."""
    if task in OBJECT_TASKS:
        losses = model(inputs, targets)
        return sum(losses.values())
    logits = model(inputs)
    if task == Task.MULTILABEL.value:
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    return torch.nn.functional.cross_entropy(logits, targets)


def state_to_cpu(state: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a (nested) state dict with every tensor on the CPU."""
    copied: dict[str, Any] = {}
    for key, value in state.items():
        copied[key] = _copy_to_cpu(value)
    return copied


def _copy_to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, Mapping):
        return {key: _copy_to_cpu(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_to_cpu(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copy_to_cpu(item) for item in value)
    return value
