"""Training throughput: Studio's Trainer against a minimal hand-written PyTorch loop.

Both sides train the same model (Studio's registry build, same initial weights) on the same
PNG files on disk, with the same batch size, epochs, device, DataLoader workers and, on CUDA,
the same mixed precision and channels-last layout. Studio's side is the whole `Trainer.fit`:
Studio's dataset (`VersionDataset` with its transforms) and seeded loader, the learning-rate
schedule, progress events, cancel polling and writing `last.pt`/`best.pt` after each epoch.
The baseline is the loop every PyTorch tutorial shows: a PIL dataset with the same resize
and normalisation, a plain DataLoader, forward, backward, step.

A second row sets Studio against the compute limit: the same model stepping through batches
of tensors already in memory (no decoding, no loader), which shows how much of the time goes
to reading images.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from benchmarks.fixtures import photo_pixels
from benchmarks.harness import Measurement, Session
from studio.core.versions import VersionItem
from studio.ml import architectures, augment, data
from studio.ml.config import TrainConfig
from studio.ml.devices import choose_device, describe_device
from studio.ml.trainer import Trainer
from studio.ml.training_steps import resolve_workers

LOOP_TARGET = 0.95
CLASSES = ("circle", "square", "triangle")


@dataclass(frozen=True)
class Sizes:
    model: str
    images: int
    input_size: int
    file_size: int
    batch_size: int
    epochs: int
    passes: int


FULL = Sizes("mobilenet_v3_small", 1024, 64, 96, 32, 2, 2)
QUICK = Sizes("mobilenet_v3_small", 32, 32, 40, 8, 1, 1)


def write_pngs(folder: Path, sizes: Sizes, seed: int) -> list[VersionItem]:
    """Photograph-like PNGs (smooth colour fields plus grain), one tag each, as version items."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    side = sizes.file_size
    items = []
    for index in range(sizes.images):
        pixels = photo_pixels(rng, (side, side), (6, 6))
        name = f"image_{index:05d}.png"
        Image.fromarray(pixels).save(folder / name, compress_level=1)
        tag = {"id": index + 1, "class_id": 1 + index % len(CLASSES), "kind": "tag",
               "geometry": None, "attributes": {}}  # fmt: skip
        items.append(
            VersionItem(index + 1, name, f"{index:064x}", side, side, "done", "train", (tag,))
        )
    return items


class PlainImageFolder(Dataset):
    """The baseline's dataset: PIL, then the resize and normalisation every tutorial uses."""

    def __init__(self, folder: Path, items: list[VersionItem], input_size: int) -> None:
        self.paths = [folder / item.path for item in items]
        self.labels = [item.annotations[0]["class_id"] - 1 for item in items]
        self.transform = v2.Compose(
            [
                v2.ToImage(),
                v2.Resize((input_size, input_size), antialias=True),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean=augment.IMAGENET_MEAN, std=augment.IMAGENET_STD),
            ]
        )

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        with Image.open(self.paths[index]) as opened:
            image = opened.convert("RGB")
        return self.transform(image), self.labels[index]


@dataclass
class Setup:
    sizes: Sizes
    device: torch.device
    workers: int
    model: torch.nn.Module
    studio_data: Dataset
    plain_data: Dataset
    folder: Path

    @property
    def use_amp(self) -> bool:
        return self.device.type == "cuda"


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _hand_written_step(setup: Setup) -> Callable[[torch.nn.Module], Callable]:
    def prepare(model: torch.nn.Module) -> Callable:
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
        scaler = torch.amp.GradScaler("cuda", enabled=setup.use_amp)
        layout = torch.channels_last if setup.use_amp else torch.contiguous_format

        def step(images: torch.Tensor, labels: torch.Tensor) -> None:
            images = images.to(setup.device, non_blocking=True, memory_format=layout)
            labels = labels.to(setup.device, non_blocking=True)
            with torch.autocast(setup.device.type, dtype=torch.float16, enabled=setup.use_amp):
                loss = torch.nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

        return step

    return prepare


def _fresh_model(setup: Setup) -> torch.nn.Module:
    model = copy.deepcopy(setup.model).to(setup.device)
    if setup.use_amp:
        model = model.to(memory_format=torch.channels_last)
    return model.train()


def hand_written_loop(setup: Setup) -> float:
    """Images per second of the textbook loop over the PNG files."""
    model = _fresh_model(setup)
    step = _hand_written_step(setup)(model)
    start = time.perf_counter()
    for _ in range(setup.sizes.epochs):
        loader = DataLoader(
            setup.plain_data,
            batch_size=setup.sizes.batch_size,
            shuffle=True,
            num_workers=setup.workers,
            pin_memory=setup.device.type == "cuda",
        )
        for images, labels in loader:
            step(images, labels)
    _synchronize(setup.device)
    return setup.sizes.images * setup.sizes.epochs / (time.perf_counter() - start)


def tensors_in_memory(setup: Setup) -> float:
    """Images per second of the same steps on batches already on the device."""
    model = _fresh_model(setup)
    step = _hand_written_step(setup)(model)
    generator = torch.Generator().manual_seed(0)
    size, batch = setup.sizes.input_size, setup.sizes.batch_size
    batches = [
        (
            torch.randn(batch, 3, size, size, generator=generator).to(setup.device),
            torch.randint(0, len(CLASSES), (batch,), generator=generator).to(setup.device),
        )
        for _ in range(setup.sizes.images // batch)
    ]
    _synchronize(setup.device)
    start = time.perf_counter()
    for _ in range(setup.sizes.epochs):
        for images, labels in batches:
            step(images, labels)
    _synchronize(setup.device)
    return setup.sizes.images * setup.sizes.epochs / (time.perf_counter() - start)


def studio_trainer(setup: Setup, session: Session, run: int) -> float:
    """Images per second of Studio's whole `Trainer.fit`, checkpoints included."""
    config = TrainConfig(
        task="classification",
        model=setup.sizes.model,
        epochs=setup.sizes.epochs,
        batch_size=setup.sizes.batch_size,
        learning_rate=1e-3,
        optimizer="adamw",
        schedule="cosine",
        input_size=setup.sizes.input_size,
        augmentations=[],
        device=setup.device.type,
        workers=setup.workers,
        pretrained="never",
    ).validate()
    trainer = Trainer(
        config,
        copy.deepcopy(setup.model),
        setup.studio_data,
        setup.device,
        validate=lambda model, epoch: {"val/accuracy": 0.0},
        on_event=lambda event: None,
        should_cancel=lambda: False,
        checkpoint_dir=setup.folder / f"run-{run}",
        on_checkpoint=lambda name, path, epoch, digest: None,
        on_epoch=lambda epoch, metrics: None,
    )
    with session.studio_side("training"):
        start = time.perf_counter()
        outcome = trainer.fit()
        _synchronize(setup.device)
        seconds = time.perf_counter() - start
    if outcome.epochs_done != setup.sizes.epochs:
        raise RuntimeError(f"benchmark training stopped early: {outcome}")
    return setup.sizes.images * setup.sizes.epochs / seconds


def _setup(session: Session, sizes: Sizes) -> Setup:
    folder = session.folder("training")
    items = write_pngs(folder / "images", sizes, session.seed)
    device = choose_device("auto")
    torch.manual_seed(session.seed)
    built = architectures.build_model(
        sizes.model, "classification", len(CLASSES), sizes.input_size, pretrained="never"
    )
    class_index = data.ClassIndex(class_ids=(1, 2, 3), names=CLASSES)
    transforms = augment.build_transforms("classification", sizes.input_size, [], train=True)
    return Setup(
        sizes=sizes,
        device=device,
        workers=resolve_workers(-1, device.type),
        model=built.module,
        studio_data=data.VersionDataset(
            items, folder / "images", "classification", class_index, transforms
        ),
        plain_data=PlainImageFolder(folder / "images", items, sizes.input_size),
        folder=folder,
    )


def run(session: Session) -> list[Measurement]:
    sizes = QUICK if session.quick else FULL
    setup = _setup(session, sizes)
    tensors_in_memory(setup)  # warm-up: kernels, allocator, thread pools
    studio, loop, memory = [], [], []
    for number in range(sizes.passes):
        loop.append(hand_written_loop(setup))
        studio.append(studio_trainer(setup, session, number))
        memory.append(tensors_in_memory(setup))
    label = (
        f"training {sizes.model} {sizes.input_size} px, {sizes.images} PNG images × "
        f"{sizes.epochs} epochs, batch {sizes.batch_size} on {describe_device(setup.device)}"
    )
    workers = f"{setup.workers} loader workers" if setup.workers else "loading in-process"
    amp = ", AMP + channels-last" if setup.use_amp else ""
    return [
        Measurement(
            benchmark=f"{label}: Trainer vs hand-written loop",
            metric="throughput",
            unit="images/s",
            studio=max(studio),
            baseline=max(loop),
            higher_is_better=True,
            target=LOOP_TARGET,
            note=f"training: same model, files, batch, device{amp}, {workers}; Studio = "
            f"Trainer.fit incl. schedule, events and checkpoints; best of {sizes.passes}",
        ),
        Measurement(
            benchmark=f"{label}: Trainer vs tensors in memory",
            metric="throughput",
            unit="images/s",
            studio=max(studio),
            baseline=max(memory),
            higher_is_better=True,
            note="compute limit: the same steps on batches already on the device "
            "(no decoding, no loader)",
        ),
    ]
