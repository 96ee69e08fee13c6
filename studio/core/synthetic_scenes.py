"""Seeded synthetic scenes with exact ground truth, for detection and segmentation tests.

Each scene is a PNG of a noisy background with one to `max_objects` non-overlapping
circles, squares and triangles. An object's drawn pixels are exactly the COCO
rasterisation of its polygon (pycocotools, the same code that scores segmentation), so
the mask is what is on screen, and the vertices are placed (integer corners, triangle
tips on half pixels, circle centres and radii whole) so the polygon's bounding box equals
the box of its pixels. PNG keeps the pixels as drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pycocotools import mask as coco_mask

from studio.core import annotations as annotation_edits
from studio.core import classes as class_edits
from studio.core import items as item_edits
from studio.core import media, queries
from studio.core.database import Database
from studio.core.edits import user_edit
from studio.core.enums import ItemStatus
from studio.core.errors import StudioError
from studio.core.geometry import encode_mask
from studio.core.project_file import create_project_file, store_dir_of

SCENE_CLASSES = ("circle", "square", "triangle")
GEOMETRIES = ("box", "polygon", "mask")
CIRCLE_SIDES = 32
MIN_SIDE = 12
MAX_SIDE = 40  # a circle stays within half a pixel of its 32-gon below a radius of 26
GAP = 2  # pixels kept free between objects
PLACEMENT_TRIES = 50
BASE_COLORS = {"circle": (220, 60, 50), "square": (50, 190, 70), "triangle": (60, 90, 230)}
AUTHOR = "synthetic"


@dataclass(frozen=True)
class SceneObject:
    label: str
    box: tuple[float, float, float, float]  # x, y, w, h: exactly the drawn pixels' bounds
    polygon: list[float]  # one flat ring
    mask: dict[str, Any]  # COCO compressed RLE of the drawn pixels


@dataclass(frozen=True)
class Scene:
    path: Path
    width: int
    height: int
    objects: tuple[SceneObject, ...]


def _ring(label: str, x: int, y: int, side: int) -> list[float]:
    """The polygon of a shape whose bounding box is the square (x, y, side, side)."""
    if label == "square":
        return [x, y, x + side, y, x + side, y + side, x, y + side]
    if label == "triangle":
        # An odd base puts the tip on a pixel centre's column, so the tip row is drawn.
        base = side - 1 if side % 2 == 0 else side
        return [x + base / 2, y, x + base, y + side, x, y + side]
    radius = side // 2
    centre_x, centre_y = x + radius, y + radius
    points = []
    for index in range(CIRCLE_SIDES):
        angle = 2 * math.pi * index / CIRCLE_SIDES
        points += [centre_x + radius * math.cos(angle), centre_y + radius * math.sin(angle)]
    return [round(value, 4) for value in points]


def _rasterize(ring: list[float], width: int, height: int) -> np.ndarray:
    rle = coco_mask.frPyObjects([ring], height, width)
    return coco_mask.decode(rle)[:, :, 0].astype(bool)


def _pixel_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    x, y = int(columns[0]), int(rows[0])
    return float(x), float(y), float(columns[-1] + 1 - x), float(rows[-1] + 1 - y)


def _overlaps(box: tuple[int, int, int, int], placed: list[tuple[int, int, int, int]]) -> bool:
    x, y, side, _ = box
    return any(
        x < other_x + other_side + GAP
        and other_x < x + side + GAP
        and y < other_y + other_side + GAP
        and other_y < y + side + GAP
        for other_x, other_y, other_side, _ in placed
    )


def _place(rng: np.random.Generator, size: int, count: int) -> list[tuple[int, int, int, int]]:
    """Up to `count` non-overlapping squares (x, y, side, class index); at least one."""
    largest = max(MIN_SIDE, min(MAX_SIDE, size // 2))
    placed: list[tuple[int, int, int, int]] = []
    for _ in range(count * PLACEMENT_TRIES):
        if len(placed) == count:
            break
        side = int(rng.integers(MIN_SIDE, largest + 1))
        x, y = (int(value) for value in rng.integers(0, size - side + 1, size=2))
        box = (x, y, side, int(rng.integers(len(SCENE_CLASSES))))
        if not _overlaps(box, placed):
            placed.append(box)
    return placed


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    gradient = np.linspace(60, 140, size, dtype=np.float32)
    base = (gradient[None, :, None] + gradient[:, None, None]) / 2
    noise = rng.normal(0, 8, size=(size, size, 3)).astype(np.float32)
    return np.clip(base + noise, 0, 255)


def _paint(pixels: np.ndarray, mask: np.ndarray, label: str, rng: np.random.Generator) -> None:
    shade = np.array(BASE_COLORS[label], dtype=np.float32) + rng.uniform(-25, 25, size=3)
    texture = rng.normal(0, 4, size=(int(mask.sum()), 3)).astype(np.float32)
    pixels[mask] = np.clip(shade + texture, 0, 255)


def _scene(folder: Path, index: int, rng: np.random.Generator, size: int, most: int) -> Scene:
    pixels = _background(rng, size)
    objects = []
    for x, y, side, class_index in _place(rng, size, int(rng.integers(1, most + 1))):
        label = SCENE_CLASSES[class_index]
        ring = _ring(label, x, y, side)
        mask = _rasterize(ring, size, size)
        _paint(pixels, mask, label, rng)
        objects.append(SceneObject(label, _pixel_box(mask), ring, encode_mask(mask)))
    path = folder / f"scene_{index:04d}.png"
    Image.fromarray(pixels.astype(np.uint8)).save(path, compress_level=1)
    return Scene(path, size, size, tuple(objects))


def write_scenes(
    folder: Path, count: int, seed: int = 0, size: int = 96, max_objects: int = 3
) -> list[Scene]:
    """Write `count` scenes as `folder/scene_NNNN.png`; the same seed gives the same scenes."""
    if size < MIN_SIDE or max_objects < 1:
        raise ValueError(f"scenes need size ≥ {MIN_SIDE} and max_objects ≥ 1")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    return [_scene(folder, index, rng, size, max_objects) for index in range(count)]


def _annotation_spec(item_id: int, scene_object: SceneObject, geometry: str) -> dict[str, Any]:
    shapes = {
        "box": list(scene_object.box),
        "polygon": [scene_object.polygon],
        "mask": scene_object.mask,
    }
    return {"item_id": item_id, "label": scene_object.label, geometry: shapes[geometry]}


def _label_scenes(database: Database, root: Path, scenes: list[Scene], geometry: str) -> None:
    with database.read() as connection:
        records = queries.find_items(connection, queries.ItemQuery())
    item_of = {record.path: record.id for record in records}
    stored = [(item_of.get(media.stored_path_for(root, scene.path)), scene) for scene in scenes]
    if any(item_id is None for item_id, _ in stored):
        raise StudioError(f"{root}: not every synthetic scene was imported")
    with user_edit(database, f"label {len(scenes)} synthetic scenes", AUTHOR) as edit:
        class_edits.add_classes(edit, list(SCENE_CLASSES))
        specs = [
            _annotation_spec(item_id, scene_object, geometry)
            for item_id, scene in stored
            for scene_object in scene.objects
        ]
        annotation_edits.add_annotations(edit, specs, AUTHOR)
        item_edits.set_status(edit, [item_id for item_id, _ in stored], ItemStatus.DONE)


def create_scene_project(
    path: Path, count: int = 24, seed: int = 0, size: int = 96, *, geometry: str = "polygon"
) -> Path:
    """A project at `path` with `count` scenes (in `<stem>_images/` beside it), one
    annotation per object of kind `geometry` ("box", "polygon" or "mask"), items done."""
    if geometry not in GEOMETRIES:
        raise ValueError(f"geometry {geometry!r}: expected one of {', '.join(GEOMETRIES)}")
    path = Path(path).resolve()
    scenes = write_scenes(path.parent / f"{path.stem}_images", count, seed, size)
    database = create_project_file(path)
    try:
        report = media.import_media(
            database,
            path.parent,
            store_dir_of(path),
            [scene.path for scene in scenes],
            author=AUTHOR,
        )
        if report.failed:
            failed_path, reason = report.failed[0]
            raise StudioError(f"{failed_path}: a synthetic scene could not be imported: {reason}")
        _label_scenes(database, path.parent, scenes, geometry)
    finally:
        database.close()
    return path
