"""Class folders (ImageNet style): detection, import with and without splits, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.api import LabelImportError, Project
from studio.core.errors import LabelExportError
from studio.core.formats.class_folders import ClassFoldersFormat
from tests.core.formats.helpers import FORMAT_FIXTURES, dump, round_trip
from tests.core.image_files import save_image

FIXTURE = FORMAT_FIXTURES / "class_folders"


def _contents(project: Project) -> dict[str, tuple]:
    """Image path in the dataset → (status, split, sorted labels)."""
    result = {}
    for item in project.items():
        labels = sorted(f"{a.label}:{a.kind}" for a in project.annotations(item.id))
        result[Path(item.path).name] = (item.status, item.split, labels)
    return result


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_fixture_is_detected_with_a_low_score() -> None:
    assert Project.detect_label_format(FIXTURE) == "class_folders"
    assert ClassFoldersFormat().detect(FIXTURE) == pytest.approx(0.3)


def test_folders_holding_label_files_are_not_class_folders() -> None:
    for other in ("yolo", "csv_labels", "coco"):
        assert ClassFoldersFormat().detect(FORMAT_FIXTURES / other) == 0.0
    assert ClassFoldersFormat().detect(FIXTURE / "train" / "cat" / "cat_1.jpg") == 0.0


def test_import_of_the_split_fixture(project: Project) -> None:
    report = project.import_labels(FIXTURE)
    assert report.format == "class_folders"
    assert [c.name for c in project.classes()] == ["cat", "dog"]
    assert _contents(project) == {
        "cat_1.jpg": ("done", "train", ["cat:tag"]),
        "cat_2.jpg": ("done", "train", ["cat:tag"]),
        "dog_1.png": ("done", "train", ["dog:tag"]),
        "cat_3.jpg": ("done", "val", ["cat:tag"]),
        "dog_2.jpg": ("done", "val", ["dog:tag"]),
    }
    assert report.per_class == {"cat": 3, "dog": 2}
    assert report.warnings == []


def test_without_split_folders_images_in_the_root_come_in_unlabeled(
    tmp_path: Path, project: Project
) -> None:
    root = tmp_path / "pets"
    save_image(root / "zebra" / "z.jpg", (64, 48), seed=1)
    save_image(root / "ant" / "deeper" / "a.png", (64, 48), seed=2)
    save_image(root / "stray.jpg", (64, 48), seed=3)
    report = project.import_labels(root, format="class_folders")
    assert [c.name for c in project.classes()] == ["ant", "zebra"]
    assert _contents(project) == {
        "z.jpg": ("done", None, ["zebra:tag"]),
        "a.png": ("done", None, ["ant:tag"]),
        "stray.jpg": ("new", None, []),
    }
    assert report.warnings == [
        "1 images are in no class folder and were imported unlabeled (first: stray.jpg)"
    ]


def test_images_directly_in_a_split_folder_keep_the_split(tmp_path: Path, project: Project) -> None:
    root = tmp_path / "data"
    save_image(root / "train" / "cat" / "a.jpg", (64, 48), seed=1)
    save_image(root / "valid" / "cat" / "b.jpg", (64, 48), seed=2)
    save_image(root / "valid" / "loose.jpg", (64, 48), seed=3)
    report = project.import_labels(root, format="class_folders")
    assert _contents(project) == {
        "a.jpg": ("done", "train", ["cat:tag"]),
        "b.jpg": ("done", "val", ["cat:tag"]),
        "loose.jpg": ("new", "val", []),
    }
    assert "valid/loose.jpg" in report.warnings[0]


def test_a_class_named_like_a_split_is_still_a_class(tmp_path: Path, project: Project) -> None:
    root = tmp_path / "data"
    save_image(root / "test" / "a.jpg", (64, 48), seed=1)
    save_image(root / "train" / "b.jpg", (64, 48), seed=2)
    project.import_labels(root, format="class_folders")
    assert _contents(project) == {
        "a.jpg": ("done", None, ["test:tag"]),
        "b.jpg": ("done", None, ["train:tag"]),
    }


def test_round_trip_keeps_classes_and_splits(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, FIXTURE, "class_folders")
    assert before == after
    assert len(before) == 5
    assert _files(exported) == _files(FIXTURE)


def _project_with_images(tmp_path: Path, count: int) -> tuple[Project, list[int]]:
    for index in range(count):
        save_image(tmp_path / "media" / f"img{index}.jpg", (64, 48), seed=index)
    project = Project.create(tmp_path / "p.studio")
    project.import_media([tmp_path / "media"])
    return project, project.item_ids()


def test_export_keeps_one_class_per_image_and_counts_the_rest(tmp_path: Path) -> None:
    project, (tagged, multi, shapes_only, empty) = _project_with_images(tmp_path, 4)
    with project:
        project.add_classes(["cat", "dog", "a/b"])
        project.annotate(tagged, "a/b")
        project.annotate(multi, "dog")
        project.annotate(multi, "cat")
        project.annotate(multi, "cat", box=[1, 1, 5, 5])
        project.annotate(shapes_only, "cat", polygon=[(1, 1), (9, 1), (5, 9)])
        project.set_status(empty, "done_empty")
        report = project.export_labels(tmp_path / "out", format="class_folders")
    assert _files(tmp_path / "out") == ["a_b/img0.jpg", "dog/img1.jpg"]
    assert report.annotations == 2
    assert report.skipped == {
        "extra tags (class folders hold one class per image)": 1,
        "box annotations (class folders hold classes)": 1,
        "polygon annotations (class folders hold classes)": 1,
        "images without a class": 2,
    }
    assert report.warnings == ["class 'a/b' was written to the folder 'a_b'"]


def test_unsplit_images_beside_split_ones_go_to_train(tmp_path: Path) -> None:
    project, (first, second) = _project_with_images(tmp_path, 2)
    with project:
        project.add_classes(["cat"])
        for item in (first, second):
            project.annotate(item, "cat")
        project.set_split(second, "val")
        report = project.export_labels(tmp_path / "out", format="class_folders")
    assert _files(tmp_path / "out") == ["train/cat/img0.jpg", "val/cat/img1.jpg"]
    assert report.warnings == ["1 images without a split were written to the train split"]


def test_export_without_images_is_refused(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(FIXTURE)
        with pytest.raises(LabelExportError, match="hold the images themselves"):
            project.export_labels(tmp_path / "out", format="class_folders", images="none")
    assert not (tmp_path / "out").exists()


def test_dry_run_writes_nothing(project: Project) -> None:
    before = dump(project.path)
    report = project.import_labels(FIXTURE, dry_run=True)
    assert (report.images, report.annotations_added) == (5, 5)
    assert report.new_classes == ["cat", "dog"]
    assert dump(project.path) == before


def test_corrupt_image_names_the_folder_and_image(tmp_path: Path, project: Project) -> None:
    root = tmp_path / "data"
    save_image(root / "cat" / "good.jpg", (64, 48), seed=1)
    (root / "dog").mkdir()
    (root / "dog" / "bad.jpg").write_bytes(np.arange(200, dtype=np.uint8).tobytes())
    before = dump(project.path)
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(root, format="class_folders")
    assert caught.value.file == str(root)
    assert caught.value.record == "dog/bad.jpg"
    assert dump(project.path) == before
