"""The digits demo project: real data that ships inside installed packages, so nothing downloads.

`create_demo_project(folder)` writes scikit-learn's 1,797 handwritten digits as 32×32 PNG
files, labels each with its true digit (a tag annotation, status "done") so training works at
once, freezes them as dataset version "v1", and adds a few of scikit-image's bundled
photographs, left unlabeled, to show what new work looks like. The project is built under a
temporary name and renamed into place at the end, so an interrupted run never leaves a
half-made `demo.studio` behind. (The photographs demo, with labels drawn by hand, is
`studio.core.photo_demo`.)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
from PIL import Image

from studio.core import annotations as annotation_edits
from studio.core import classes as class_edits
from studio.core import items as item_edits
from studio.core import media, queries, versions
from studio.core import settings as project_settings
from studio.core.database import Database
from studio.core.edits import user_edit
from studio.core.enums import ItemStatus
from studio.core.errors import ProjectFileError, StudioError
from studio.core.project_file import create_project_file, store_dir_of
from studio.core.settings import LABELING_MODE

Progress = Callable[[int, int], None]

DEMO_FILE_NAME = "demo.studio"
DIGITS_DIR = Path("images") / "digits"
PHOTOS_DIR = Path("images") / "photos"
DIGIT_CLASSES = [str(digit) for digit in range(10)]
DIGIT_SCALE = 4  # 8×8 → 32×32, nearest neighbour
AUTHOR = "demo"
FIRST_VERSION = "v1"

# Photographs inside scikit-image's package folder (`skimage/data`), read straight from
# there: its loader functions fall back to a download when a file is missing or altered.
BUNDLED_PHOTOS = {
    "astronaut.png": "astronaut.jpg",
    "coffee.png": "coffee.jpg",
    "chelsea.png": "chelsea.jpg",
    "rocket.jpg": "rocket.jpg",
    "hubble_deep_field.jpg": "hubble_deep_field.jpg",
    "motorcycle_left.png": "motorcycle.jpg",
    "ihc.png": "immunohistochemistry.png",
    "camera.png": "camera.png",
    "coins.png": "coins.png",
    "moon.png": "moon.png",
}


@dataclass(frozen=True)
class DemoDigit:
    index: int
    digit: int
    path: Path


class ProgressSteps:
    """Forwards progress of the successive phases as one count against one total."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


def digit_pixels(values: np.ndarray) -> np.ndarray:
    """8×8 intensities 0..16 as a 32×32 grayscale uint8 image (0..255, nearest neighbour)."""
    scaled = np.rint(np.asarray(values, dtype=np.float64) * (255.0 / 16.0)).astype(np.uint8)
    return np.kron(scaled, np.ones((DIGIT_SCALE, DIGIT_SCALE), dtype=np.uint8))


def write_digits(
    folder: Path, images: np.ndarray, targets: np.ndarray, steps: ProgressSteps
) -> list[DemoDigit]:
    """Write every digit as `folder/images/digits/<digit>/digit_NNNN.png` (NNNN: its index)."""
    for digit in range(10):
        (folder / DIGITS_DIR / str(digit)).mkdir(parents=True, exist_ok=True)
    written = []
    for index, (values, digit) in enumerate(zip(images, targets, strict=True)):
        path = folder / DIGITS_DIR / str(digit) / f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(values)).save(path, compress_level=1)
        written.append(DemoDigit(index, int(digit), path))
        steps.advance()
    return written


def bundled_photos(names: dict[str, str] = BUNDLED_PHOTOS) -> dict[str, Traversable]:
    """The photographs of `names` (source → target name) present in this scikit-image, by
    target name."""
    source_dir = files("skimage.data")
    found = {target: source_dir / source for source, target in names.items()}
    return {target: source for target, source in found.items() if source.is_file()}


def write_photos(
    target_dir: Path, sources: dict[str, Traversable], steps: ProgressSteps
) -> list[Path]:
    """Re-encode the bundled photographs into `target_dir` (JPEG or PNG, by target name)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for target_name, source in sources.items():
        target = target_dir / target_name
        with source.open("rb") as stream, Image.open(stream) as image:
            converted = image.convert("L" if image.mode in ("L", "I", "I;16") else "RGB")
        if target.suffix == ".jpg":
            converted.save(target, quality=92)
        else:
            converted.save(target)
        written.append(target)
        steps.advance()
    return written


def _label_digits(database: Database, root: Path, digits: list[DemoDigit]) -> None:
    """Tag each imported digit with its class and mark it done, as one undoable edit."""
    digit_by_path = {media.stored_path_for(root, entry.path): entry.digit for entry in digits}
    with database.read() as connection:
        records = queries.find_items(connection, queries.ItemQuery())
    item_digits = {r.id: digit_by_path[r.path] for r in records if r.path in digit_by_path}
    if len(item_digits) != len(digits):
        raise StudioError(
            f"{root}: only {len(item_digits)} of {len(digits)} demo digits were imported"
        )
    with user_edit(database, "add the digit classes", AUTHOR) as edit:
        class_edits.add_classes(edit, [{"name": name, "hotkey": name} for name in DIGIT_CLASSES])
    with database.write() as connection:
        project_settings.set_setting(connection, LABELING_MODE, "single_label")
    with user_edit(database, f"label {len(item_digits)} demo digits", AUTHOR) as edit:
        specs = [{"item_id": item, "label": str(digit)} for item, digit in item_digits.items()]
        annotation_edits.add_annotations(edit, specs, AUTHOR)
        item_edits.set_status(edit, list(item_digits), ItemStatus.DONE)


def _freeze_first_version(database: Database) -> None:
    """Freeze the labeled digits as version "v1" (seed 0, default ratios), ready to train."""
    versions.create_version(
        database, name=FIRST_VERSION, seed=0, note="the demo digits", author=AUTHOR
    )


def _build(path: Path, folder: Path, progress: Progress | None) -> None:
    """Write the images, then create, fill and close the project file at `path`."""
    from sklearn.datasets import load_digits

    dataset = load_digits()
    photo_sources = bundled_photos()
    file_count = len(dataset.target) + len(photo_sources)
    steps = ProgressSteps(progress, 2 * file_count)
    digits = write_digits(folder, dataset.images, dataset.target, steps)
    photos = write_photos(folder / PHOTOS_DIR, photo_sources, steps)
    database = create_project_file(path)
    try:
        report = media.import_media(
            database,
            folder,
            store_dir_of(path),
            [folder / DIGITS_DIR, *photos],
            progress=lambda _done, _total: steps.advance(),
        )
        if report.failed:
            failed_path, reason = report.failed[0]
            raise StudioError(f"{failed_path}: the demo could not import it: {reason}")
        _label_digits(database, folder, digits)
        _freeze_first_version(database)
    finally:
        database.close()


def _leftovers(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def build_once(
    folder: Path,
    file_name: str,
    build: Callable[[Path, Path, Progress | None], None],
    progress: Progress | None,
) -> Path:
    """Create `folder/file_name` with `build(partial_path, folder, progress)`, once.

    Refuses (ProjectFileError) when the project exists already. The project is built under a
    hidden temporary name and renamed into place at the end, so an interrupted run never
    leaves a half-made project behind (a leftover of one is removed first).
    """
    folder = Path(folder).resolve()
    path = folder / file_name
    if path.exists():
        raise ProjectFileError(f"{path}: already exists; the demo project is created only once")
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{file_name}.incomplete"
    for leftover in _leftovers(partial):
        leftover.unlink(missing_ok=True)
    try:
        build(partial, folder, progress)
        if any(leftover.exists() for leftover in _leftovers(partial)[1:]):
            raise ProjectFileError(f"{partial}: still in use; the demo was not finished")
        os.replace(partial, path)
    except BaseException:
        for leftover in _leftovers(partial):
            leftover.unlink(missing_ok=True)
        raise
    return path


def create_demo_project(folder: Path, progress: Progress | None = None) -> Path:
    """Create `folder/demo.studio` with the labeled digits and unlabeled photos; return its path.

    Refuses (ProjectFileError) when the project exists already. `progress(done, total)` is
    called while the images are written and imported.
    """
    return build_once(folder, DEMO_FILE_NAME, _build, progress)
