"""The corpus of malformed and malicious inputs in tests/data/bad/: each is refused with an
error that names the file, and the project it was imported into is left exactly as it was.

An entry `<format>--<case>` (a file or a folder) is copied into a fresh folder together with
the images of tests/data/bad/images/, then imported with `format=<format>`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from studio.api import LabelImportError, Project
from tests.core.formats.helpers import BAD_INPUTS, dump

ENTRIES = sorted(entry for entry in BAD_INPUTS.iterdir() if "--" in entry.name)
MINIMUM_CORPUS = 40


def test_the_corpus_covers_every_format() -> None:
    assert len(ENTRIES) >= MINIMUM_CORPUS
    formats = {entry.name.split("--")[0] for entry in ENTRIES}
    assert {f.name for f in Project.label_formats()} <= formats


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


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_bad_input_is_refused_and_changes_nothing(
    entry: Path, busy_project: Project, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    source = _copy_in(entry, work)
    label_format = entry.name.split("--")[0]
    before = dump(busy_project.path)
    store = busy_project.store_dir
    with pytest.raises(LabelImportError) as caught:
        busy_project.import_labels(source, format=label_format)
    error = caught.value
    assert error.file.startswith(str(work)), f"the error names {error.file}, not the input"
    assert error.problem.strip()
    assert dump(busy_project.path) == before
    assert not store.exists() or not any(store.rglob("*.*"))


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_detection_of_bad_input_never_crashes(entry: Path, tmp_path: Path) -> None:
    source = _copy_in(entry, tmp_path / "work")
    try:
        name = Project.detect_label_format(source)
    except LabelImportError:
        return
    assert name in {f.name for f in Project.label_formats()}
