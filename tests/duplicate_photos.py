"""scikit-image's sample photographs and near copies of some, for the duplicate tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image
from skimage import data

PHOTOGRAPHS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins", "moon", "page")
COPIED = ("astronaut", "coffee")  # each gets a resized, re-encoded JPEG copy


def write_photographs(folder: Path) -> dict[str, Path]:
    """Each photograph at 256 pixels wide as PNG, plus for COPIED a 160-pixel, quality-60
    JPEG copy named "<name>_copy.jpg": name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in PHOTOGRAPHS:
        image = Image.fromarray(getattr(data, name)()).convert("RGB")
        image = image.resize((256, round(256 * image.height / image.width)))
        written[name] = folder / f"{name}.png"
        image.save(written[name])
        if name in COPIED:
            copy = image.resize((160, round(160 * image.height / image.width)))
            written[f"{name}_copy"] = folder / f"{name}_copy.jpg"
            copy.save(written[f"{name}_copy"], quality=60)
    return written


def write_photo_project(folder: Path) -> Path:
    """`folder/photos.studio` over the photographs and copies, each tagged "photo" and done;
    the astronaut's copy is set in test, the rest in train."""
    from studio.api import Project

    write_photographs(folder / "photos")
    path = folder / "photos.studio"
    with Project.create(path) as project:
        project.add_classes(["photo"])
        project.import_media([str(folder / "photos")])
        for item in project.items():
            project.set_image_tags(item.id, ["photo"])
            test = Path(item.path).name == "astronaut_copy.jpg"
            project.set_split(item.id, "test" if test else "train")
        project.set_status(project.item_ids(), "done")
    return path


def copy_of(template: Path, folder: Path) -> Path:
    """A fresh copy of a closed project made by `write_photo_project`, with its photos."""
    shutil.copytree(template.parent, folder, dirs_exist_ok=True)
    return folder / template.name
