"""The corpus of malformed and malicious inputs in tests/data/bad/: each is refused with an
error that names the file, and the project it was imported into is left exactly as it was.

An entry `<format>--<case>` (a file or a folder) is copied into a fresh folder together with
the images of tests/data/bad/images/, then imported with `format=<format>`.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from studio.api import LabelImportError, Project
from tests.core.formats.helpers import BAD_INPUTS, dump

ENTRIES = sorted(entry for entry in BAD_INPUTS.iterdir() if "--" in entry.name)
# Single label files can also be imported through their folder, as a user would pick it.
FILE_ENTRIES = [entry for entry in ENTRIES if entry.is_file() and entry.suffix != ".zip"]
MINIMUM_CORPUS = 40
MINIMUM_PER_FORMAT = {
    "coco": 13, "yolo": 8, "voc": 5, "cvat": 4, "labelme": 5, "label_studio": 3,
    "class_folders": 3, "csv_labels": 4, "csv_boxes": 4, "yolo_obb": 3,
}  # fmt: skip


def test_the_corpus_covers_every_format() -> None:
    assert len(ENTRIES) >= MINIMUM_CORPUS
    per_format = Counter(entry.name.split("--")[0] for entry in ENTRIES)
    assert {f.name for f in Project.label_formats()} <= set(per_format)
    for name, minimum in MINIMUM_PER_FORMAT.items():
        assert per_format[name] >= minimum, name


@pytest.fixture
def busy_project(tmp_path: Path) -> Project:
    """A project with images, classes, annotations and history: something to damage."""
    with Project.create(tmp_path / "busy.studio") as project:
        project.import_media([BAD_INPUTS / "images"])
        project.add_classes(["cat", "dog"])
        first = project.item_ids()[0]
        project.annotate(first, "cat", box=[1, 1, 10, 10])
        project.set_status(first, "done")
        yield project


def _copy_in(entry: Path, folder: Path) -> Path:
    folder.mkdir()
    for image in (BAD_INPUTS / "images").iterdir():
        shutil.copy(image, folder / image.name)
    target = folder / entry.name
    if entry.is_dir():
        shutil.copytree(entry, target, symlinks=True)
    else:
        shutil.copy(entry, target, follow_symlinks=False)
    return target


def _files(folder: Path) -> list[Path]:
    """Every file and folder below `folder`, except the project's own files."""
    return sorted(p for p in folder.rglob("*") if not p.name.startswith("busy.studio"))


def _assert_refused(
    project: Project, source: Path, entry: Path, tmp_path: Path, named: str
) -> None:
    """Importing `source` raises an error naming `named` (in its file), and nothing changes."""
    before = dump(project.path)
    files_before = _files(tmp_path)
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(source, format=entry.name.split("--")[0])
    error = caught.value
    assert named in error.file, f"the error names {error.file}, not {named}"
    assert error.problem.strip()
    assert dump(project.path) == before
    assert not project.store_dir.exists() or not any(project.store_dir.rglob("*.*"))
    assert _files(tmp_path) == files_before


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_bad_input_is_refused_and_changes_nothing(
    entry: Path, busy_project: Project, tmp_path: Path
) -> None:
    source = _copy_in(entry, tmp_path / "work")
    _assert_refused(busy_project, source, entry, tmp_path, named=entry.name)


@pytest.mark.parametrize("entry", FILE_ENTRIES, ids=[entry.name for entry in FILE_ENTRIES])
def test_bad_file_is_refused_when_its_folder_is_imported(
    entry: Path, busy_project: Project, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    _copy_in(entry, work)
    # The file itself, or the folder when the format finds no file of its kind there.
    _assert_refused(busy_project, work, entry, tmp_path, named=str(work))


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_detection_of_bad_input_never_crashes(entry: Path, tmp_path: Path) -> None:
    source = _copy_in(entry, tmp_path / "work")
    try:
        name = Project.detect_label_format(source)
    except LabelImportError:
        return
    assert name in {f.name for f in Project.label_formats()}
