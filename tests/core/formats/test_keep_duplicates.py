"""`keep_duplicates`: byte-identical images under different names stay separate items, each
with its own labels (ADR 0024); without it they are one item (see test_importer.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from studio.api import LabelImportError, LabelImportOptions, Project
from tests.core.formats.helpers import dump
from tests.core.formats.test_importer import box, coco_file
from tests.core.image_files import save_image


@pytest.fixture
def twins(tmp_path: Path) -> Path:
    """A folder with a.jpg, its byte-identical copy b.jpg, and a different c.jpg."""
    folder = tmp_path / "twins"
    save_image(folder / "a.jpg", (64, 48), seed=1)
    shutil.copy(folder / "a.jpg", folder / "b.jpg")
    save_image(folder / "c.jpg", (64, 48), seed=2)
    return folder


def twin_labels(folder: Path) -> Path:
    """COCO labels: a cat box on a.jpg, a dog box on b.jpg, nothing on c.jpg."""
    images = [(name, 64, 48) for name in ("a.jpg", "b.jpg", "c.jpg")]
    return coco_file(folder, images, [box(1, 1, [1, 2, 10, 20]), box(2, 2, [5, 5, 5, 5])])


def labels_by_name(project: Project) -> dict[str, list[str]]:
    return {
        Path(item.path).name: sorted(a.label for a in project.annotations(item.id))
        for item in project.items()
    }


def test_kept_duplicates_are_two_items_each_with_its_own_labels(
    project: Project, twins: Path
) -> None:
    report = project.import_labels(twin_labels(twins), keep_duplicates=True)
    assert (report.images, report.items_added, report.annotations_added) == (3, 3, 2)
    assert labels_by_name(project) == {"a.jpg": ["cat"], "b.jpg": ["dog"], "c.jpg": []}
    assert all("duplicate_names" not in item.meta for item in project.items())
    assert any("kept as separate items (first: b.jpg = a.jpg)" in w for w in report.warnings)


def test_an_options_object_keeps_duplicates_like_the_keyword(project: Project, twins: Path) -> None:
    options = LabelImportOptions(format="coco", keep_duplicates=True)
    report = project.import_labels(twin_labels(twins), options)
    assert report.items_added == 3


def test_importing_kept_duplicates_again_matches_each_item_by_its_path(
    project: Project, twins: Path
) -> None:
    source = twin_labels(twins)
    project.import_labels(source, keep_duplicates=True)
    again = project.import_labels(source, keep_duplicates=True)
    assert (again.items_added, again.items_matched, again.annotations_added) == (0, 3, 0)
    assert labels_by_name(project) == {"a.jpg": ["cat"], "b.jpg": ["dog"], "c.jpg": []}


def test_a_copy_listed_first_does_not_take_the_item_of_the_original(
    project: Project, twins: Path
) -> None:
    """b.jpg has a.jpg's bytes, but a.jpg (already an item) is named by its own entry."""
    project.import_media([twins / "a.jpg"])
    images = [("b.jpg", 64, 48), ("a.jpg", 64, 48)]
    source = coco_file(twins, images, [box(1, 2, [5, 5, 5, 5]), box(2, 1, [1, 2, 10, 20])])
    report = project.import_labels(source, keep_duplicates=True)
    assert (report.items_added, report.items_matched) == (1, 1)
    assert labels_by_name(project) == {"a.jpg": ["cat"], "b.jpg": ["dog"]}


def test_identical_images_in_two_class_folders_are_kept_with_their_own_class(
    project: Project, tmp_path: Path
) -> None:
    save_image(tmp_path / "pets/cat/a.jpg", (64, 48), seed=7)
    (tmp_path / "pets/dog").mkdir()
    shutil.copy(tmp_path / "pets/cat/a.jpg", tmp_path / "pets/dog/a.jpg")
    project.import_labels(tmp_path / "pets", format="class_folders", keep_duplicates=True)
    by_folder = {
        Path(item.path).parent.name: [a.label for a in project.annotations(item.id)]
        for item in project.items()
    }
    assert by_folder == {"cat": ["cat"], "dog": ["dog"]}


def test_the_same_file_named_twice_is_still_an_error(project: Project, twins: Path) -> None:
    images = [("a.jpg", 64, 48), ("./a.jpg", 64, 48)]
    source = coco_file(twins, images, [])
    with pytest.raises(LabelImportError, match="listed twice"):
        project.import_labels(source, keep_duplicates=True)


def test_kept_duplicates_cannot_be_copied_into_the_store(project: Project, twins: Path) -> None:
    source = twin_labels(twins)
    before = dump(project.path)
    expected = r"image id 2: the image 'b.jpg' is byte-identical to 'a.jpg'; images copied"
    with pytest.raises(LabelImportError, match=expected) as error:
        project.import_labels(source, copy_images=True, keep_duplicates=True)
    assert str(error.value).startswith(str(source))
    assert "\n" not in str(error.value)
    assert dump(project.path) == before
    assert not (project.store_dir / "objects").exists()


def test_kept_duplicates_in_a_zip_are_refused_since_its_images_are_copied(
    project: Project, twins: Path, tmp_path: Path
) -> None:
    twin_labels(twins)
    archive = shutil.make_archive(str(tmp_path / "twins"), "zip", twins)
    with pytest.raises(LabelImportError, match="unzip an archive first"):
        project.import_labels(archive, keep_duplicates=True)
    assert project.count_items() == 0
    assert project.import_labels(archive).items_added == 2  # one item for the two copies


def test_options_hold_their_own_copy_of_the_class_map() -> None:
    mapping = {"Bird": "sparrow"}
    options = LabelImportOptions(class_map=mapping)
    mapping["Crow"] = "crow"
    assert options.class_map == {"Bird": "sparrow"}
    assert LabelImportOptions(class_map=None).class_map == {}
