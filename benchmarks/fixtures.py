"""Seeded data for the benchmarks: JPEG files and project files full of items.

Nothing here is timed. Items are written straight into a project file made by
`Project.create`, through plain sqlite3, so that a 100,000-item project takes a second to
build instead of an import of 100,000 real files.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from studio.api import Project
from studio.core.database import CONNECTION_PRAGMAS

JPEG_SIZE = (320, 240)
ITEM_SIZE = (640, 480)
CLASS_NAMES = ("cat", "dog", "bird", "car", "person", "bicycle", "tree", "boat")


def write_jpegs(folder: Path, count: int, seed: int, size: tuple[int, int] = JPEG_SIZE) -> None:
    """`count` distinct photograph-like JPEGs (smooth colour fields plus grain) in `folder`.

    About 25 kB each at 320×240: random low-resolution colours upscaled bicubically, then
    mild noise, so every file has its own content and sha256.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    width, height = size
    for index in range(count):
        pixels = photo_pixels(rng, size, (height // 20, width // 20))
        Image.fromarray(pixels).save(folder / f"photo_{index:05d}.jpg", quality=90)


def photo_pixels(
    rng: np.random.Generator, size: tuple[int, int], coarse: tuple[int, int]
) -> np.ndarray:
    """Photograph-like RGB pixels of `size` (width, height): random colours on a `coarse`
    (rows, columns) grid upscaled bicubically, then mild noise."""
    width, height = size
    grid = rng.integers(0, 256, size=(*coarse, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(grid).resize(size, Image.Resampling.BICUBIC))
    grain = rng.integers(-12, 13, size=(height, width, 3), dtype=np.int16)
    return np.clip(smooth.astype(np.int16) + grain, 0, 255).astype(np.uint8)


def connect_like_studio(path: Path) -> sqlite3.Connection:
    """A raw sqlite3 connection with exactly the pragmas Studio sets on its own connections.

    Autocommit mode (`isolation_level=None`), so the caller writes `BEGIN`/`COMMIT` itself,
    as Studio does.
    """
    connection = sqlite3.connect(str(path), isolation_level=None)
    for pragma in CONNECTION_PRAGMAS:
        connection.execute(pragma)
    return connection


def _item_rows(count: int, seed: int) -> list[tuple]:
    """Item rows with unique names and hashes; names are hash-based, so name order is not
    insertion order (a gallery sorted by name then fetches scattered ids, as in real use)."""
    now = time.time()
    width, height = ITEM_SIZE
    rows = []
    for index in range(count):
        digest = hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()
        path = f"photos/{index % 100:02d}/{digest[:12]}.jpg"
        rows.append((path, digest, 25_000, width, height, "JPEG", "new", "[]", "{}", now, now))
    return rows


def insert_items(path: Path, count: int, seed: int) -> list[int]:
    """Write `count` item rows into the closed project at `path`; returns all its item ids."""
    connection = connect_like_studio(path)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO item (path, sha256, size_bytes, width, height, format, status, tags, "
            "meta, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _item_rows(count, seed),
        )
        connection.execute("COMMIT")
        return [row[0] for row in connection.execute("SELECT id FROM item ORDER BY id")]
    finally:
        connection.close()


def make_project(
    path: Path, item_count: int, seed: int, classes: Sequence[str] = CLASS_NAMES
) -> list[int]:
    """A closed project file with `classes` (added through the API) and `item_count` items."""
    with Project.create(path, author="bench") as project:
        project.add_classes(list(classes))
    return insert_items(path, item_count, seed)


def class_ids(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(str(path))
    try:
        return dict(connection.execute("SELECT name, id FROM label_class").fetchall())
    finally:
        connection.close()


def random_boxes(count: int, seed: int) -> list[list[float]]:
    """`count` boxes [x, y, w, h] inside an ITEM_SIZE image, rounded down to 0.1 px."""
    rng = np.random.default_rng(seed)
    width, height = ITEM_SIZE
    sizes = rng.uniform(8, 200, size=(count, 2))
    corners = rng.uniform(0, 1, size=(count, 2)) * (np.array([width, height]) - sizes)
    boxes = np.floor(np.hstack([corners, sizes]) * 10) / 10
    return boxes.tolist()


def count_rows(path: Path, table: str) -> int:
    """Rows in `table` (one of Studio's own table names), for checking a benchmark's work."""
    if table not in {"item", "annotation", "history", "label_class"}:
        raise ValueError(f"not a Studio table: {table!r}")
    connection = sqlite3.connect(str(path))
    try:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        connection.close()


def json_text(value: object) -> str:
    """JSON as SQLAlchemy's JSON type stores it (json.dumps with default settings)."""
    return json.dumps(value)
