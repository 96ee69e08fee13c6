"""Small real projects for the Segment Anything tests: scikit-image photographs shrunk to at
most 96 pixels, one class, and the tiny random SAM saved as a checkpoint."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from skimage import data

from studio.api import Project
from studio.ml.sam.checkpoint import save_random_sam

PHOTOS = ("coffee", "chelsea")
CLASS = "thing"


def photo_project(folder: Path, photos: tuple[str, ...] = PHOTOS) -> Path:
    """A project of the named scikit-image photographs (≤ 96 px) with the one class `CLASS`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in photos:
        path = folder / f"{name}.png"
        image = Image.fromarray(getattr(data, name)())
        image.thumbnail((96, 96))
        image.save(path)
        paths.append(path)
    project_path = folder / "photos.studio"
    with Project.create(project_path, author="tester") as project:
        project.add_classes([CLASS])
        project.import_media(paths)
    return project_path


def tiny_checkpoint(folder: Path) -> Path:
    """The tiny random SAM (`studio.ml.sam.checkpoint.TINY`) saved as `folder/tiny_sam.pth`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny_sam.pth"
    save_random_sam(path)
    return path
