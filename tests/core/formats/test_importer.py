"""The importer's guarantees, whatever the format: all or nothing, dry runs, image matching,
classes, statuses, one undo step, cancel. COCO files written here serve as the vehicle."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from studio.api import LabelImportError, OperationCancelledError, Project
from tests.core.formats.helpers import dump
from tests.core.image_files import save_image


def coco_file(
    folder: Path,
    images: list[tuple[str, int, int]],
    annotations: list[dict[str, Any]],
    categories: tuple[str, ...] = ("cat", "dog"),
    name: str = "labels.json",
) -> Path:
    """A COCO file naming `images` (file name, width, height), with ids from 1."""
    document = {
        "images": [
            {"id": index, "file_name": file_name, "width": width, "height": height}
            for index, (file_name, width, height) in enumerate(images, start=1)
        ],
        "categories": [{"id": index, "name": n} for index, n in enumerate(categories, start=1)],
        "annotations": [{"id": index, **a} for index, a in enumerate(annotations, start=1)],
    }
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def box(image_id: int, category_id: int, bbox: list[float]) -> dict[str, Any]:
    return {"image_id": image_id, "category_id": category_id, "bbox": bbox}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "dataset"
    for index in range(3):
        save_image(folder / f"photo{index}.jpg", (64, 48), seed=index)
    return folder


def three_images() -> list[tuple[str, int, int]]:
    return [(f"photo{index}.jpg", 64, 48) for index in range(3)]


def test_import_adds_images_classes_and_annotations_as_one_undo_step(
    project: Project, dataset: Path
) -> None:
    source = coco_file(
        dataset, three_images(), [box(1, 1, [1, 2, 10, 20]), box(1, 2, [5, 5, 5, 5])]
    )
    report = project.import_labels(source)
    assert (report.format, report.items_added, report.annotations_added) == ("coco", 3, 2)
    assert report.new_classes == ["cat", "dog"]
    assert [c.name for c in project.classes()] == ["cat", "dog"]
    statuses = {Path(i.path).name: i.status for i in project.items()}
    assert statuses == {
        "photo0.jpg": "done",
        "photo1.jpg": "done_empty",
        "photo2.jpg": "done_empty",
    }
    project.undo()
    assert project.count_items() == 0
    assert project.classes() == []


def test_one_bad_annotation_rejects_the_whole_file(project: Project, dataset: Path) -> None:
    project.add_classes(["existing"])
    before = dump(project.path)
    source = coco_file(
        dataset, three_images(), [box(1, 1, [1, 2, 10, 20]), box(3, 2, [60, 40, 30, 30])]
    )
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(source)
    message = str(caught.value)
    assert "labels.json" in message
    assert "annotation id 2" in message
    assert "outside the 64×48 image" in message
    assert dump(project.path) == before


def test_dry_run_reports_and_writes_nothing(project: Project, dataset: Path) -> None:
    source = coco_file(
        dataset, three_images(), [box(1, 1, [1, 2, 10, 20]), box(2, 1, [0, 0, 4, 4])]
    )
    before = dump(project.path)
    report = project.import_labels(source, dry_run=True)
    assert report.dry_run
    assert (report.images, report.items_added, report.annotations_added) == (3, 3, 2)
    assert report.per_class == {"cat": 2}
    assert report.new_classes == ["cat", "dog"]
    assert "would import" in report.summary()
    assert dump(project.path) == before


def test_class_map_renames_onto_existing_classes(project: Project, dataset: Path) -> None:
    project.add_classes(["feline"])
    source = coco_file(dataset, three_images(), [box(1, 1, [1, 2, 10, 20])])
    report = project.import_labels(source, class_map={"cat": "feline"})
    assert report.new_classes == ["dog"]
    assert [a.label for a in project.annotations(project.item_ids()[0])] == ["feline"]
    with pytest.raises(LabelImportError, match="does not have: \\['horse'\\]"):
        project.import_labels(source, class_map={"horse": "pony"})


def test_reimport_skips_identical_annotations_and_replace_starts_over(
    project: Project, dataset: Path
) -> None:
    source = coco_file(dataset, three_images(), [box(1, 1, [1, 2, 10, 20])])
    project.import_labels(source)
    again = project.import_labels(source)
    assert (again.items_matched, again.annotations_added, again.duplicates_skipped) == (3, 0, 1)
    item_id = project.item_ids(text="photo0")[0]
    project.annotate(item_id, "dog", box=[30, 30, 4, 4])
    replaced = project.import_labels(source, replace=True)
    assert replaced.annotations_added == 1
    assert [a.label for a in project.annotations(item_id)] == ["cat"]


def test_images_match_existing_items_by_content_and_by_unique_name(
    project: Project, dataset: Path, tmp_path: Path
) -> None:
    project.import_media([dataset])
    elsewhere = tmp_path / "copy"
    shutil.copytree(dataset, elsewhere)
    by_content = coco_file(elsewhere, three_images(), [box(1, 1, [1, 1, 5, 5])])
    report = project.import_labels(by_content)
    assert (report.items_added, report.items_matched) == (0, 3)
    labels_only = tmp_path / "labels-only"
    labels_only.mkdir()
    by_name = coco_file(labels_only, three_images(), [box(2, 2, [1, 1, 5, 5])])
    report = project.import_labels(by_name)
    assert (report.items_added, report.items_matched, report.annotations_added) == (0, 3, 1)
    assert project.count_items() == 3


def test_missing_images_are_an_error_unless_skipped(project: Project, tmp_path: Path) -> None:
    save_image(tmp_path / "here.jpg", (64, 48))
    images = [("here.jpg", 64, 48), ("gone.jpg", 64, 48), ("lost.jpg", 64, 48)]
    source = coco_file(tmp_path, images, [box(1, 1, [1, 1, 5, 5]), box(2, 1, [1, 1, 5, 5])])
    with pytest.raises(LabelImportError, match=r"image file not found: gone.jpg \(and 1 more\)"):
        project.import_labels(source)
    assert project.count_items() == 0
    report = project.import_labels(source, skip_missing_images=True)
    assert report.missing_images == ["gone.jpg", "lost.jpg"]
    assert (report.items_added, report.annotations_added) == (1, 1)


def test_declared_size_must_match_the_image(project: Project, dataset: Path) -> None:
    source = coco_file(dataset, [("photo0.jpg", 640, 480)], [])
    with pytest.raises(LabelImportError, match="declared 640×480 but the file is 64×48"):
        project.import_labels(source)


def test_an_image_listed_twice_is_an_error(project: Project, dataset: Path) -> None:
    source = coco_file(dataset, [("photo0.jpg", 64, 48), ("./photo0.jpg", 64, 48)], [])
    with pytest.raises(LabelImportError, match="listed twice"):
        project.import_labels(source)


def test_shapes_overshooting_by_rounding_are_clamped(project: Project, dataset: Path) -> None:
    source = coco_file(dataset, three_images(), [box(1, 1, [-0.4, 0, 64.7, 48.2])])
    report = project.import_labels(source)
    assert any("clamped" in warning for warning in report.warnings)
    (annotation,) = project.annotations(project.item_ids(text="photo0")[0])
    assert annotation.geometry == [0.0, 0.0, 64.0, 48.0]


def test_reviewed_and_rejected_items_keep_their_status(project: Project, dataset: Path) -> None:
    project.import_media([dataset])
    first, second = project.item_ids(text="photo0")[0], project.item_ids(text="photo1")[0]
    project.set_status(first, "reviewed")
    project.set_status(second, "rejected")
    source = coco_file(dataset, three_images(), [box(1, 1, [1, 1, 5, 5]), box(2, 1, [1, 1, 5, 5])])
    project.import_labels(source)
    assert project.item(first).status == "reviewed"
    assert project.item(second).status == "rejected"
    assert project.item(project.item_ids(text="photo2")[0]).status == "done_empty"


def test_split_comes_from_the_file_name(project: Project, dataset: Path) -> None:
    source = coco_file(dataset, three_images(), [], name="instances_val2017.json")
    project.import_labels(source)
    assert {item.split for item in project.items()} == {"val"}


def test_cancel_changes_nothing(project: Project, dataset: Path) -> None:
    source = coco_file(dataset, three_images(), [box(1, 1, [1, 1, 5, 5])])
    before = dump(project.path)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(OperationCancelledError):
        project.import_labels(source, cancel=cancel)
    assert dump(project.path) == before


def test_progress_is_reported(project: Project, dataset: Path) -> None:
    source = coco_file(dataset, three_images(), [box(1, 1, [1, 1, 5, 5])])
    seen: list[tuple[int, int]] = []
    project.import_labels(source, progress=lambda done, total: seen.append((done, total)))
    assert (3, 3) in seen


def test_unknown_format_and_undetectable_files_are_named(project: Project, tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("hello")
    with pytest.raises(LabelImportError, match=r"notes\.txt: cannot tell the label format"):
        project.import_labels(stray)
    with pytest.raises(LabelImportError, match="unknown label format"):
        project.import_labels(stray, format="pascal")
    with pytest.raises(LabelImportError, match="no such file or folder"):
        project.import_labels(tmp_path / "absent.json")


def test_category_ids_survive_an_export(project: Project, dataset: Path, tmp_path: Path) -> None:
    document = json.loads(coco_file(dataset, three_images(), [box(1, 1, [1, 1, 5, 5])]).read_text())
    document["categories"] = [{"id": 12, "name": "cat"}, {"id": 7, "name": "dog"}]
    document["annotations"][0]["category_id"] = 12
    (dataset / "labels.json").write_text(json.dumps(document))
    project.import_labels(dataset / "labels.json")
    project.add_classes(["bird"])
    project.export_labels(tmp_path / "out", "coco")
    exported = json.loads((tmp_path / "out/annotations/instances_default.json").read_text())
    assert {c["name"]: c["id"] for c in exported["categories"]} == {"cat": 12, "dog": 7, "bird": 13}
    assert exported["annotations"][0]["category_id"] == 12


# -- byte-identical images under two names -----------------------------------------------------


def test_identical_images_under_two_names_become_one_item_with_both_names(
    project: Project, dataset: Path
) -> None:
    shutil.copy(dataset / "photo0.jpg", dataset / "photo0 copy.jpg")
    images = [("photo0.jpg", 64, 48), ("photo0 copy.jpg", 64, 48), ("photo1.jpg", 64, 48)]
    source = coco_file(dataset, images, [box(1, 1, [1, 2, 10, 20]), box(2, 2, [5, 5, 5, 5])])

    report = project.import_labels(source)

    assert (report.images, report.items_added, report.annotations_added) == (2, 2, 2)
    assert any("photo0.jpg = photo0 copy.jpg" in warning for warning in report.warnings)
    (item_id,) = project.item_ids(text="photo0.jpg")
    item = project.item(item_id)
    assert item.meta["duplicate_names"] == ["photo0 copy.jpg"]
    assert sorted(a.label for a in project.annotations(item_id)) == ["cat", "dog"]


def test_identical_image_already_in_the_project_records_the_other_name(
    project: Project, dataset: Path
) -> None:
    project.import_media([dataset / "photo0.jpg"])
    shutil.copy(dataset / "photo0.jpg", dataset / "again.jpg")
    source = coco_file(dataset, [("photo0.jpg", 64, 48), ("again.jpg", 64, 48)], [])
    report = project.import_labels(source)
    assert (report.images, report.items_added, report.items_matched) == (1, 0, 1)
    (item,) = project.items()
    assert (item.status, item.meta["duplicate_names"]) == ("done_empty", ["again.jpg"])


def test_same_image_in_two_class_folders_is_one_item_with_both_tags(
    project: Project, tmp_path: Path
) -> None:
    save_image(tmp_path / "pets/cat/a.jpg", (64, 48), seed=7)
    (tmp_path / "pets/dog").mkdir()
    shutil.copy(tmp_path / "pets/cat/a.jpg", tmp_path / "pets/dog/a.jpg")
    report = project.import_labels(tmp_path / "pets", format="class_folders")
    (item,) = project.items()
    assert sorted(a.label for a in project.annotations(item.id)) == ["cat", "dog"]
    assert item.meta["duplicate_names"] == ["dog/a.jpg"]
    assert any("byte-identical" in warning for warning in report.warnings)
