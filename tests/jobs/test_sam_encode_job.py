"""The SAM encoder job over a real project, into a real embedding cache in tmp_path."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from segment_anything.modeling import Sam
from skimage import data

from studio.api import Project
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey, EmbeddingMeta
from studio.core.errors import StudioError
from studio.jobs import worker
from studio.jobs.events import parse_event
from studio.jobs.launcher import sam_encode_command
from studio.jobs.sam_encode_job import (
    encode_images,
    images_of,
)
from studio.ml.sam.checkpoint import SamCheckpoint, load_sam, save_random_sam


def cache_in(tmp_path: Path) -> EmbeddingCache:
    return EmbeddingCache(tmp_path / "embeddings", 2**30)


@pytest.fixture(scope="module")
def photo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of three scikit-image photographs, shrunk to at most 96 pixels."""
    folder = tmp_path_factory.mktemp("sam_project")
    paths = []
    for name in ("astronaut", "coffee", "chelsea"):
        path = folder / f"{name}.png"
        image = Image.fromarray(getattr(data, name)())
        image.thumbnail((96, 96))
        image.save(path)
        paths.append(path)
    project_path = folder / "photos.studio"
    with Project.create(project_path, author="tester") as project:
        project.import_media(paths)
    return project_path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sam_checkpoint") / "tiny_sam.pth"
    save_random_sam(path)
    return path


@pytest.fixture(scope="module")
def tiny_sam(checkpoint: Path) -> tuple[Sam, SamCheckpoint]:
    return load_sam(checkpoint)


def test_every_image_is_encoded_once_then_found_in_the_store(
    photo_project: Path, tiny_sam: tuple, tmp_path: Path
) -> None:
    store, emitted = cache_in(tmp_path), []
    images = images_of(photo_project)
    first = encode_images(images, *tiny_sam, store, device="cpu", emit=emitted.append)
    assert (first.encoded, first.cached) == (3, 0)
    written = sorted(store.directory.rglob("*.emb"))
    assert len(written) == 3
    second = encode_images(images, *tiny_sam, store, device="cpu", emit=emitted.append)
    assert (second.encoded, second.cached) == (0, 3)
    assert sorted(store.directory.rglob("*.emb")) == written
    assert {event["event"] for event in emitted} == {"encoder", "progress"}


def test_stored_embedding_is_fp16_with_the_images_sizes(
    photo_project: Path, tiny_sam: tuple, tmp_path: Path
) -> None:
    store = cache_in(tmp_path)
    images = images_of(photo_project)
    encode_images(images, *tiny_sam, store, device="cpu", emit=lambda _event: None)
    astronaut = next(image for image in images if image.path.name == "astronaut.png")
    cached = store.get(EmbeddingKey(astronaut.sha256, tiny_sam[1].sha256, 128))
    assert cached is not None
    assert cached.array.dtype == np.float16
    assert cached.array.shape == (1, 32, 8, 8)
    assert cached.meta == EmbeddingMeta((96, 96), (128, 128), "custom")


def test_unreadable_image_is_skipped_naming_the_file(
    photo_project: Path, tiny_sam: tuple, tmp_path: Path
) -> None:
    images = images_of(photo_project)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    images[0] = type(images[0])(images[0].item_id, broken, "f" * 64)
    emitted: list[dict] = []
    summary = encode_images(images, *tiny_sam, cache_in(tmp_path), emit=emitted.append)
    assert (summary.encoded, summary.skipped) == (2, 1)
    skipped = [event for event in emitted if event["event"] == "skipped"]
    assert "broken.png: unreadable or corrupt image" in skipped[0]["error"]


def test_cancel_stops_before_the_next_image(
    photo_project: Path, tiny_sam: tuple, tmp_path: Path
) -> None:
    cancel = threading.Event()
    cancel.set()
    store = cache_in(tmp_path)
    images = images_of(photo_project)
    summary = encode_images(images, *tiny_sam, store, emit=print, cancel=cancel)
    assert summary.cancelled
    assert store.size_bytes() == 0


def test_unknown_item_is_an_error_naming_the_project(photo_project: Path) -> None:
    with pytest.raises(StudioError, match=r"photos\.studio: no item with id 99"):
        images_of(photo_project, [1, 99])


def test_command_parses_as_the_workers_sam_encode(photo_project: Path, checkpoint: Path) -> None:
    command = sam_encode_command(photo_project, checkpoint, [1, 3], device="cpu")
    arguments = worker.parse_arguments(command[3:])
    assert (arguments.action, arguments.project, arguments.checkpoint) == (
        "sam-encode",
        photo_project,
        checkpoint,
    )
    assert (arguments.item, arguments.device) == ([1, 3], "cpu")


@pytest.fixture
def restored_signals() -> Iterator[None]:
    """The worker installs its cancel handlers; put pytest's back afterwards."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def run_worker(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    """`python -m studio.jobs.worker ARGV` in this process: exit code and events."""
    code = worker.main(argv)
    lines = capsys.readouterr().out.splitlines()
    return code, [event for line in lines if (event := parse_event(line))]


@pytest.mark.usefixtures("restored_signals")
def test_worker_exports_the_decoder_and_fills_the_cache_then_hits_both(
    photo_project: Path, checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = sam_encode_command(photo_project, checkpoint, device="cpu")[3:]
    summaries, exported = [], []
    for _run in range(2):
        code, events = run_worker(argv, capsys)
        assert code == worker.EXIT_FINISHED
        summaries.append(events[-1]["summary"])
        exported += [event["exported"] for event in events if event["event"] == "decoder"]
    assert exported == [True, False]
    assert summaries == [
        {"encoded": 3, "cached": 0, "skipped": 0},
        {"encoded": 0, "cached": 3, "skipped": 0},
    ]


@pytest.mark.usefixtures("restored_signals")
def test_worker_refuses_a_bad_checkpoint_in_one_line(
    photo_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"garbage")
    code, events = run_worker(sam_encode_command(photo_project, bad)[3:], capsys)
    assert code == worker.EXIT_FAILED
    assert events[-1]["event"] == "failed"
    assert events[-1]["error"].startswith(f"SAM checkpoint {bad} is refused")
    assert "\n" not in events[-1]["error"]
