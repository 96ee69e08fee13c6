"""Class folders (ImageNet / torchvision ImageFolder style): the folder an image is in is its class.

Import reads `root/<class>/<image>`, or `root/<split>/<class>/<image>` when every top-level
folder is a split (train, val, valid, test, ...); images in deeper folders belong to the class
folder above them. Each image gets one tag. Images outside any class folder are imported
unlabeled, with a warning. Classes come in sorted order, as ImageFolder numbers them.

Export writes `root/<class>/<image>`, or `root/<split>/<class>/<image>` when any exported image
has a split (images without one then go to `train`, which the report says). The format holds
one class per image: an image goes to the folder of its first tag and its other tags, its
shapes, and images without any tag are counted as skipped. A class name that cannot be a
folder name (a slash, "..", a leading dot, characters Windows refuses) is written with those
characters replaced, which the report also says.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from studio.core.enums import AnnotationKind
from studio.core.errors import LabelExportError, LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import SPLIT_ALIASES, Control, images_below, is_image_name
from studio.core.formats.registry import LabelFormat

# Files that say a folder holds labels of another format, not bare images.
LABEL_FILE_SUFFIXES = frozenset({".json", ".xml", ".txt", ".csv", ".yaml", ".yml"})
UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
NO_CLASS = "images without a class"
# Detection looks at this many files at most, so a huge image folder is judged quickly.
DETECTION_FILE_LIMIT = 20_000


class ClassFoldersFormat(LabelFormat):
    name = "class_folders"
    title = "Class folders (ImageNet style)"
    kinds = frozenset({AnnotationKind.TAG})
    suffixes = ("",)

    def detect(self, path: Path) -> float:
        """A low score: a folder of image folders is also what richer formats put images in."""
        if not path.is_dir():
            return 0.0
        return 0.3 if _looks_like_class_folders(path) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        if not path.is_dir():
            raise LabelImportError(path, "class folders are a folder of one folder per class")
        label_set = LabelSet(self.name, path)
        found = _found_images(path)
        for name in sorted({label for _, label, _ in found if label is not None}):
            label_set.add_class(name)
        loose = []
        for done, (image, label, split) in enumerate(found, start=1):
            control.step(done, len(found))
            relative = image.relative_to(path).as_posix()
            if label is None:
                loose.append(relative)
                label_set.images.append(
                    ImageLabels(relative, image, split=split, labeled=False, where=relative)
                )
                continue
            tag = LabelRecord(label, AnnotationKind.TAG, where=relative)
            label_set.images.append(
                ImageLabels(relative, image, labels=[tag], split=split, where=relative)
            )
        if loose:
            label_set.warnings.append(
                f"{len(loose):,} images are in no class folder and were imported unlabeled "
                f"(first: {loose[0]})"
            )
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        if target.images == "none":
            raise LabelExportError(
                "class folders hold the images themselves: export them with images copied or linked"
            )
        folders = _class_folder_names(export, target)
        with_splits = any(entry.item.split for entry in export.items)
        unsplit = 0
        for done, entry in enumerate(export.items, start=1):
            target.control.step(done, len(export.items))
            label = _first_tag(entry, target)
            if label is None:
                target.report.skipped[NO_CLASS] += 1
                continue
            folder = folders[label]
            if with_splits:
                unsplit += not entry.item.split
                folder = f"{entry.item.split or 'train'}/{folder}"
            target.place_image(entry, folder)
            target.exported()
        if unsplit:
            target.report.warnings.append(
                f"{unsplit:,} images without a split were written to the train split"
            )


# -- reading ---------------------------------------------------------------------------------


def _subfolders(folder: Path) -> list[Path]:
    return sorted(
        path for path in folder.iterdir() if path.is_dir() and not path.name.startswith(".")
    )


def _loose_images(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and is_image_name(path.name)
    )


def _found_images(path: Path) -> list[tuple[Path, str | None, str | None]]:
    """(image, class or None, split) for every image of the dataset folder."""
    found: list[tuple[Path, str | None, str | None]] = [
        (image, None, None) for image in _loose_images(path)
    ]
    for split, root in _class_roots(path):
        if split is not None:
            found += [(image, None, split) for image in _loose_images(root)]
        for class_folder in _subfolders(root):
            found += [(image, class_folder.name, split) for image in images_below(class_folder)]
    return found


def _class_roots(path: Path) -> list[tuple[str | None, Path]]:
    """(split, folder of class folders): each split's folder, or the folder itself."""
    top = _subfolders(path)
    splits = [folder for folder in top if folder.name.lower() in SPLIT_ALIASES]
    if top and len(splits) == len(top) and any(_subfolders(folder) for folder in splits):
        return [(SPLIT_ALIASES[folder.name.lower()], folder) for folder in splits]
    return [(None, path)]


def _looks_like_class_folders(path: Path) -> bool:
    """Images in subfolders, and no label file among the first files looked at."""
    images_in_subfolders = False
    looked_at = 0
    for directory, subdirectories, names in os.walk(path):
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
        for name in names:
            if os.path.splitext(name)[1].lower() in LABEL_FILE_SUFFIXES:
                return False
            if directory != str(path) and is_image_name(name):
                images_in_subfolders = True
        looked_at += len(names)
        if looked_at > DETECTION_FILE_LIMIT:
            break
    return images_in_subfolders


# -- writing ---------------------------------------------------------------------------------


def _first_tag(entry: ExportItem, target: ExportTarget) -> str | None:
    """The class of the image: its first tag; the rest cannot be held and are counted."""
    label = None
    for annotation in entry.annotations:
        if annotation.kind != AnnotationKind.TAG.value:
            target.skip(annotation, f"{annotation.kind} annotations (class folders hold classes)")
        elif label is None:
            label = annotation.label
        else:
            target.skip(annotation, "extra tags (class folders hold one class per image)")
    return label


def _class_folder_names(export: ExportSet, target: ExportTarget) -> dict[str, str]:
    """Class name → folder name, unsafe characters replaced and clashes numbered."""
    folders: dict[str, str] = {}
    taken: set[str] = set()
    for record in export.classes:
        folder = UNSAFE_CHARACTERS.sub("_", record.name).rstrip(" .")
        if not folder or folder.startswith("."):
            folder = f"_{folder}"
        candidate, number = folder, 2
        while candidate.lower() in taken:
            candidate, number = f"{folder}_{number}", number + 1
        taken.add(candidate.lower())
        folders[record.name] = candidate
        if candidate != record.name:
            target.report.warnings.append(
                f"class {record.name!r} was written to the folder {candidate!r}"
            )
    return folders


FORMAT = ClassFoldersFormat()
