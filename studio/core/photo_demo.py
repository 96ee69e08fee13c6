"""The photographs demo project: what `make run` and the welcome page's "Open the demo" open.

`create_photo_demo(folder)` writes `folder/photos.studio` with scikit-image's bundled
photographs (read from its package folder: nothing downloads) carrying boxes and polygons
traced by hand over each photograph (`photo_demo_labels.json`, shipped with Studio), then a
few seeded synthetic scenes (`studio.core.synthetic_scenes`) labeled with boxes, polygons
and masks, and last three photographs left unlabeled, to show what new work looks like. The
labeled images are marked done. Like the digits demo (`studio.core.demo`), it is built under
a temporary name and renamed into place at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from studio.core import annotations as annotation_edits
from studio.core import classes as class_edits
from studio.core import items as item_edits
from studio.core import media, queries
from studio.core.database import Database
from studio.core.demo import Progress, ProgressSteps, build_once, bundled_photos, write_photos
from studio.core.edits import user_edit
from studio.core.enums import ItemStatus
from studio.core.errors import StudioError
from studio.core.project_file import create_project_file, store_dir_of
from studio.core.synthetic_scenes import GEOMETRIES, SCENE_CLASSES, Scene, write_scenes

PHOTO_DEMO_FILE_NAME = "photos.studio"
LABELED_DIR = Path("images") / "photographs"
SCENES_DIR = Path("images") / "scenes"
UNLABELED_DIR = Path("images") / "unlabeled"
LABELS_RESOURCE = "photo_demo_labels.json"
SCENE_COUNT = 9
SCENE_SIZE = 160
SCENE_SEED = 0
SCENE_MOST_OBJECTS = 5
UNLABELED_PHOTOS = {
    "hubble_deep_field.jpg": "hubble_deep_field.jpg",
    "ihc.png": "immunohistochemistry.png",
    "moon.png": "moon.png",
}
AUTHOR = "demo"


@dataclass(frozen=True)
class TracedPhoto:
    """One photograph of the demo and the shapes traced over it (annotation specs without
    their item: `label` and a `box` [x, y, w, h] or a `polygon` [x1, y1, x2, y2, …])."""

    source: str  # file name in scikit-image's data folder
    file: str  # file name written into the demo
    shapes: tuple[dict[str, Any], ...]


def traced_photos() -> list[TracedPhoto]:
    """The hand-drawn labels shipped with Studio, photograph by photograph."""
    text = files("studio.core").joinpath(LABELS_RESOURCE).read_text(encoding="utf-8")
    return [
        TracedPhoto(entry["source"], entry["file"], tuple(entry["shapes"]))
        for entry in json.loads(text)["photos"]
    ]


def photo_classes(photos: list[TracedPhoto]) -> list[str]:
    """The photographs' classes in the order they first appear, then the scenes' classes."""
    names = [shape["label"] for photo in photos for shape in photo.shapes]
    return list(dict.fromkeys([*names, *SCENE_CLASSES]))


def _shape_spec(item_id: int, shape: dict[str, Any]) -> dict[str, Any]:
    if "polygon" in shape:
        return {"item_id": item_id, "label": shape["label"], "polygon": [shape["polygon"]]}
    return {"item_id": item_id, "label": shape["label"], "box": shape["box"]}


def _scene_spec(item_id: int, scene: Scene, index: int) -> list[dict[str, Any]]:
    """The scene's objects, all as one kind of shape: box, polygon, mask in turn by scene."""
    geometry = GEOMETRIES[index % len(GEOMETRIES)]
    specs = []
    for scene_object in scene.objects:
        shapes = {
            "box": list(scene_object.box),
            "polygon": [scene_object.polygon],
            "mask": scene_object.mask,
        }
        specs.append({"item_id": item_id, "label": scene_object.label, geometry: shapes[geometry]})
    return specs


def _label(
    database: Database,
    root: Path,
    photos: dict[Path, TracedPhoto],
    scenes: list[Scene],
) -> None:
    """Add the classes, then the traced shapes and the scenes' shapes, marked done, as two
    undoable edits."""
    with database.read() as connection:
        records = queries.find_items(connection, queries.ItemQuery())
    item_of = {record.path: record.id for record in records}
    wanted = [*photos, *(scene.path for scene in scenes)]
    missing = [path for path in wanted if media.stored_path_for(root, path) not in item_of]
    if missing:
        raise StudioError(f"{missing[0]}: the demo could not import it")
    with user_edit(database, "add the demo classes", AUTHOR) as edit:
        class_edits.add_classes(edit, photo_classes(list(photos.values())))
    specs = []
    labeled = []
    for path, photo in photos.items():
        item_id = item_of[media.stored_path_for(root, path)]
        specs += [_shape_spec(item_id, shape) for shape in photo.shapes]
        labeled.append(item_id)
    for index, scene in enumerate(scenes):
        item_id = item_of[media.stored_path_for(root, scene.path)]
        specs += _scene_spec(item_id, scene, index)
        labeled.append(item_id)
    with user_edit(database, f"label {len(labeled)} demo images", AUTHOR) as edit:
        annotation_edits.add_annotations(edit, specs, AUTHOR)
        item_edits.set_status(edit, labeled, ItemStatus.DONE)


def _build(path: Path, folder: Path, progress: Progress | None) -> None:
    photos = traced_photos()
    sources = bundled_photos({photo.source: photo.file for photo in photos})
    absent = [photo.source for photo in photos if photo.file not in sources]
    if absent:
        raise StudioError(f"skimage/data/{absent[0]}: this scikit-image lacks the photograph")
    unlabeled_sources = bundled_photos(UNLABELED_PHOTOS)
    file_count = len(photos) + SCENE_COUNT + len(unlabeled_sources)
    steps = ProgressSteps(progress, 2 * file_count)
    written = write_photos(folder / LABELED_DIR, sources, steps)
    by_file = {photo.file: photo for photo in photos}
    traced = {target: by_file[target.name] for target in written}
    scenes = write_scenes(
        folder / SCENES_DIR, SCENE_COUNT, SCENE_SEED, SCENE_SIZE, SCENE_MOST_OBJECTS
    )
    steps.advance(SCENE_COUNT)
    unlabeled = write_photos(folder / UNLABELED_DIR, unlabeled_sources, steps)
    database = create_project_file(path)
    try:
        report = media.import_media(
            database,
            folder,
            store_dir_of(path),
            [*written, *(scene.path for scene in scenes), *unlabeled],
            author=AUTHOR,
            progress=lambda _done, _total: steps.advance(),
        )
        if report.failed:
            failed_path, reason = report.failed[0]
            raise StudioError(f"{failed_path}: the demo could not import it: {reason}")
        _label(database, folder, traced, scenes)
    finally:
        database.close()


def create_photo_demo(folder: Path, progress: Progress | None = None) -> Path:
    """Create `folder/photos.studio` (photographs with hand-drawn labels, synthetic scenes,
    three unlabeled photographs); return its path.

    Refuses (ProjectFileError) when it exists already. `progress(done, total)` is called
    while the images are written and imported.
    """
    return build_once(folder, PHOTO_DEMO_FILE_NAME, _build, progress)
