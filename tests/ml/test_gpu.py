"""The trainer on CUDA: mixed precision, channels-last, real torchvision models, running out
of memory. Skipped without a GPU (the out-of-memory path also runs on the CPU in
tests/ml/test_trainer.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch.utils.data import Dataset, TensorDataset

from studio.ml.config import TrainConfig
from studio.ml.trainer import Trainer
from tests.ml.test_trainer import OutOfMemoryAbove, Recorder

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]


def _config(**settings: object) -> TrainConfig:
    values = {
        "task": "classification",
        "model": "resnet18",
        "epochs": 2,
        "batch_size": 16,
        "learning_rate": 1e-3,
        "optimizer": "adamw",
        "augmentations": [],
        "device": "cuda",
        "workers": 0,
        **settings,
    }
    return TrainConfig(**values).validate()


def _trainer(folder: Path, config: TrainConfig, model: torch.nn.Module, data: Dataset):
    recorder = Recorder(folder)
    trainer = Trainer(
        config,
        model,
        data,
        torch.device("cuda"),
        validate=lambda module, epoch: {},
        on_event=recorder.events.append,
        should_cancel=lambda: False,
        checkpoint_dir=folder,
        on_checkpoint=recorder.on_checkpoint,
        on_epoch=recorder.on_epoch,
    )
    return trainer, recorder


def _images(count: int, size: int = 64, classes: int = 3) -> TensorDataset:
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(count, 3, size, size, generator=generator)
    labels = torch.randint(0, classes, (count,), generator=generator)
    return TensorDataset(images, labels)


def test_amp_and_channels_last_train_a_resnet_with_finite_loss(tmp_path: Path) -> None:
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=3)
    trainer, recorder = _trainer(tmp_path, _config(epochs=3), model, _images(64))
    assert trainer.use_amp
    assert trainer.scaler.is_enabled()
    assert trainer.channels_last
    weight = trainer.model.conv1.weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    outcome = trainer.fit()
    assert outcome.status == "finished"
    losses = recorder.metric("train/loss")
    assert all(math.isfinite(value) for value in losses)
    assert losses[-1] < losses[0]
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())
    assert torch.backends.cudnn.benchmark


def test_without_amp_the_scaler_is_off(tmp_path: Path) -> None:
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 3))
    trainer, recorder = _trainer(
        tmp_path, _config(amp=False, channels_last=False), model, _images(32, size=8)
    )
    assert not trainer.scaler.is_enabled()
    trainer.fit()
    assert all(math.isfinite(value) for value in recorder.metric("train/loss"))


class _Boxes(Dataset):
    task = "detection"

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict]:
        generator = torch.Generator().manual_seed(index)
        image = torch.rand(3, 160, 200, generator=generator)
        target = {
            "boxes": torch.tensor([[20.0, 30.0, 90.0, 120.0]]),
            "labels": torch.tensor([1 + index % 2]),
            "item_id": index,
        }
        return image, target


@pytest.mark.slow  # about 45 s on an H200, mostly first-use kernel set-up
def test_amp_trains_a_torchvision_detector(tmp_path: Path) -> None:
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None, num_classes=3
    )
    config = _config(
        task="detection",
        model="fasterrcnn_mobilenet_v3_large_320_fpn",
        batch_size=4,
        optimizer="sgd",
        learning_rate=0.01,
        input_size=320,
    )
    trainer, recorder = _trainer(tmp_path, config, model, _Boxes())
    assert trainer.fit().status == "finished"
    assert all(math.isfinite(value) for value in recorder.metric("train/loss"))


def test_cuda_out_of_memory_halves_the_batch_and_finishes(tmp_path: Path) -> None:
    torch.manual_seed(0)
    inner = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 3))
    model = OutOfMemoryAbove(inner, limit=8)
    trainer, recorder = _trainer(tmp_path, _config(batch_size=32), model, _images(64, size=8))
    outcome = trainer.fit()
    assert outcome.status == "finished"
    assert model.refused == [32, 16]
    halvings = [e for e in recorder.of("warning") if "out of GPU memory" in e["message"]]
    assert len(halvings) == 2
    assert recorder.metric("batch_size") == [8.0, 8.0]
