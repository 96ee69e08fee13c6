"""Helpers of the label import/export dialog tests: a small real COCO dataset, a held pool."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThreadPool

from tests.core.image_files import save_image

IMAGE_SIZE = (64, 48)


def coco_document(annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Two images (a.jpg, b.png), classes cat (1) and dog (2); by default a cat on a.jpg, a
    dog and a cat on b.png."""
    width, height = IMAGE_SIZE
    return {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": width, "height": height},
            {"id": 2, "file_name": "b.png", "width": width, "height": height},
        ],
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
        "annotations": annotations
        if annotations is not None
        else [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 3, 20, 10]},
            {"id": 2, "image_id": 2, "category_id": 2, "bbox": [5, 5, 30, 20]},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [40, 10, 12, 12]},
        ],
    }


def write_coco_dataset(folder: Path, document: dict[str, Any] | None = None) -> Path:
    """A COCO folder as COCO's tools write it: instances_train.json beside its images."""
    folder.mkdir(parents=True, exist_ok=True)
    save_image(folder / "a.jpg", IMAGE_SIZE, seed=1)
    save_image(folder / "b.png", IMAGE_SIZE, seed=2)
    path = folder / "instances_train.json"
    path.write_text(json.dumps(document if document is not None else coco_document()))
    return path


class HeldPool:
    """Keeps a pool's only thread busy, so a task started meanwhile waits in the queue
    (the test can then cancel it before it starts)."""

    def __init__(self, pool: QThreadPool) -> None:
        self._release = threading.Event()
        self._started = threading.Event()
        self._pool = pool

    def __enter__(self) -> HeldPool:
        self._pool.start(self._hold)
        assert self._started.wait(10), "the pool's thread never started"
        return self

    def _hold(self) -> None:
        self._started.set()
        self._release.wait(30)

    def __exit__(self, *exc: object) -> None:
        self._release.set()
